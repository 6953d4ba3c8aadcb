// Explicit resource management (`using`, `await using`), which the native
// worker's QuickJS-NG and Bun have and quickjs-wasm's older QuickJS-NG (0.12)
// lacks: `Symbol.dispose`, `Symbol.asyncDispose`, `SuppressedError`,
// `DisposableStack` and `AsyncDisposableStack`. Without `Symbol.dispose`, a
// class's `[Symbol.dispose]()` was a method named "undefined", and TypeScript's
// `using` (lowered by esbuild) threw "Object not disposable". Each piece is
// added only where the engine has none. The symbols are the registered ones
// esbuild's and TypeScript's helpers fall back to, so code compiled against
// either finds the same symbol.

export function installDisposables(define) {
  if (typeof Symbol.dispose !== 'symbol') {
    Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });
  }
  if (typeof Symbol.asyncDispose !== 'symbol') {
    Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose') });
  }
  if (typeof globalThis.SuppressedError !== 'function') define('SuppressedError', SuppressedError);
  // The symbol-keyed members only now: the symbols may have been made just above.
  if (typeof globalThis.DisposableStack !== 'function') {
    method(DisposableStack.prototype, Symbol.dispose, DisposableStack.prototype.dispose);
    Object.defineProperty(DisposableStack.prototype, Symbol.toStringTag, { value: 'DisposableStack', configurable: true });
    define('DisposableStack', DisposableStack);
  }
  if (typeof globalThis.AsyncDisposableStack !== 'function') {
    method(AsyncDisposableStack.prototype, Symbol.asyncDispose, AsyncDisposableStack.prototype.disposeAsync);
    Object.defineProperty(AsyncDisposableStack.prototype, Symbol.toStringTag, { value: 'AsyncDisposableStack', configurable: true });
    define('AsyncDisposableStack', AsyncDisposableStack);
  }
}

function method(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

class SuppressedError extends Error {
  constructor(error, suppressed, message = undefined) {
    super(message === undefined ? undefined : String(message));
    Object.defineProperty(this, 'error', { value: error, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(this, 'suppressed', { value: suppressed, writable: true, configurable: true, enumerable: false });
  }
}
Object.defineProperty(SuppressedError.prototype, 'name', { value: 'SuppressedError', writable: true, configurable: true });

// An error thrown while disposing hides the one before it, as its `suppressed`.
function combined(failure, error) {
  return failure === undefined ? { error } : { error: new SuppressedError(error, failure.error, 'An error was suppressed during disposal.') };
}

function callable(value, what) {
  if (typeof value !== 'function') throw new TypeError(`${what} is not a function`);
  return value;
}

// What both stacks hold: their resources' disposal steps, in the order added.
class Resources {
  constructor(stackName) {
    this.stackName = stackName;
    this.steps = [];
    this.disposed = false;
  }

  /** Refuses `method` once the stack is disposed (or moved): the first check of every method but dispose. */
  open(method) {
    if (this.disposed) throw new ReferenceError(`Cannot call ${this.stackName}.prototype.${method} on a disposed stack`);
    return this.steps;
  }

  /** Marks the stack disposed and hands over its steps (for dispose, or for move's new stack). */
  take() {
    const steps = this.steps;
    this.steps = [];
    this.disposed = true;
    return steps;
  }
}

// Runs the steps last to first; an error thrown by one hides the one before it, as its `suppressed`.
function runSteps(steps, call) {
  let failure;
  let i = steps.length;
  const next = () => {
    while (i > 0) {
      const step = steps[--i];
      let result;
      try {
        result = call(step);
      } catch (error) {
        failure = combined(failure, error);
        continue;
      }
      if (result !== undefined && typeof result.then === 'function') {
        return result.then(next, (error) => {
          failure = combined(failure, error);
          return next();
        });
      }
    }
    if (failure !== undefined) throw failure.error;
    return undefined;
  };
  return next();
}

class DisposableStack {
  #resources = new Resources('DisposableStack');

  get disposed() {
    return this.#resources.disposed;
  }

  use(value) {
    const steps = this.#resources.open('use');
    if (value !== null && value !== undefined) {
      const dispose = callable(value[Symbol.dispose], "The value's [Symbol.dispose]");
      steps.push(() => dispose.call(value));
    }
    return value;
  }

  adopt(value, onDispose) {
    const steps = this.#resources.open('adopt');
    callable(onDispose, 'onDispose');
    steps.push(() => onDispose(value));
    return value;
  }

  defer(onDispose) {
    const steps = this.#resources.open('defer');
    callable(onDispose, 'onDispose');
    steps.push(() => onDispose());
  }

  move() {
    this.#resources.open('move');
    const next = new DisposableStack();
    next.#resources.steps = this.#resources.take();
    return next;
  }

  dispose() {
    if (this.#resources.disposed) return;
    // Synchronous: a step's result is not awaited.
    runSteps(this.#resources.take(), (step) => void step());
  }
}

class AsyncDisposableStack {
  #resources = new Resources('AsyncDisposableStack');

  get disposed() {
    return this.#resources.disposed;
  }

  use(value) {
    const steps = this.#resources.open('use');
    if (value === null || value === undefined) {
      // Awaited at disposal like any other (one more tick), as the standard has it.
      steps.push(() => undefined);
      return value;
    }
    const asyncDispose = value[Symbol.asyncDispose];
    if (asyncDispose !== undefined && asyncDispose !== null) {
      callable(asyncDispose, "The value's [Symbol.asyncDispose]");
      steps.push(() => asyncDispose.call(value));
    } else {
      // A sync disposable is awaited like an async one (its result is not).
      const dispose = callable(value[Symbol.dispose], "The value's [Symbol.asyncDispose] or [Symbol.dispose]");
      steps.push(() => void dispose.call(value));
    }
    return value;
  }

  adopt(value, onDisposeAsync) {
    const steps = this.#resources.open('adopt');
    callable(onDisposeAsync, 'onDisposeAsync');
    steps.push(() => onDisposeAsync(value));
    return value;
  }

  defer(onDisposeAsync) {
    const steps = this.#resources.open('defer');
    callable(onDisposeAsync, 'onDisposeAsync');
    steps.push(() => onDisposeAsync());
  }

  move() {
    this.#resources.open('move');
    const next = new AsyncDisposableStack();
    next.#resources.steps = this.#resources.take();
    return next;
  }

  async disposeAsync() {
    if (this.#resources.disposed) return;
    // Every step is awaited, whatever it returns.
    await runSteps(this.#resources.take(), async (step) => {
      await step();
    });
  }
}
