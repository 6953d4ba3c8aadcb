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

class DisposableStack {
  #resources = [];
  #disposed = false;

  get disposed() {
    return this.#disposed;
  }

  use(value) {
    this.#open('use');
    if (value !== null && value !== undefined) {
      const dispose = callable(value[Symbol.dispose], 'The value\'s [Symbol.dispose]');
      this.#resources.push(() => dispose.call(value));
    }
    return value;
  }

  adopt(value, onDispose) {
    this.#open('adopt');
    callable(onDispose, 'onDispose');
    this.#resources.push(() => onDispose(value));
    return value;
  }

  defer(onDispose) {
    this.#open('defer');
    callable(onDispose, 'onDispose');
    this.#resources.push(() => onDispose());
  }

  move() {
    this.#open('move');
    const next = new DisposableStack();
    next.#resources = this.#resources;
    this.#resources = [];
    this.#disposed = true;
    return next;
  }

  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    const resources = this.#resources;
    this.#resources = [];
    let failure;
    for (let i = resources.length - 1; i >= 0; i--) {
      try {
        resources[i]();
      } catch (error) {
        failure = combined(failure, error);
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  #open(method) {
    if (this.#disposed) throw new ReferenceError(`Cannot call DisposableStack.prototype.${method} on a disposed stack`);
  }
}

class AsyncDisposableStack {
  #resources = [];
  #disposed = false;

  get disposed() {
    return this.#disposed;
  }

  use(value) {
    this.#open('use');
    if (value !== null && value !== undefined) {
      const asyncDispose = value[Symbol.asyncDispose];
      if (asyncDispose !== undefined && asyncDispose !== null) {
        callable(asyncDispose, 'The value\'s [Symbol.asyncDispose]');
        this.#resources.push(() => asyncDispose.call(value));
      } else {
        // A sync disposable is awaited like an async one (its result is not).
        const dispose = callable(value[Symbol.dispose], 'The value\'s [Symbol.asyncDispose] or [Symbol.dispose]');
        this.#resources.push(() => {
          dispose.call(value);
        });
      }
    }
    return value;
  }

  adopt(value, onDisposeAsync) {
    this.#open('adopt');
    callable(onDisposeAsync, 'onDisposeAsync');
    this.#resources.push(() => onDisposeAsync(value));
    return value;
  }

  defer(onDisposeAsync) {
    this.#open('defer');
    callable(onDisposeAsync, 'onDisposeAsync');
    this.#resources.push(() => onDisposeAsync());
  }

  move() {
    this.#open('move');
    const next = new AsyncDisposableStack();
    next.#resources = this.#resources;
    this.#resources = [];
    this.#disposed = true;
    return next;
  }

  async disposeAsync() {
    if (this.#disposed) return;
    this.#disposed = true;
    const resources = this.#resources;
    this.#resources = [];
    let failure;
    for (let i = resources.length - 1; i >= 0; i--) {
      try {
        await resources[i]();
      } catch (error) {
        failure = combined(failure, error);
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  #open(method) {
    if (this.#disposed) throw new ReferenceError(`Cannot call AsyncDisposableStack.prototype.${method} on a disposed stack`);
  }
}
