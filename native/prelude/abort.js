// Event, EventTarget, AbortController and AbortSignal (the subset handlers
// use: abort, reason, throwIfAborted, abort/timeout/any, onabort).
let isStopped;
let setDispatching;
let trusted;

export class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #defaultPrevented = false;
  #stop = false;
  #stopPropagation = false;
  #trusted = false;
  #dispatching = false;
  target = null;
  currentTarget = null;
  timeStamp = performance.now();

  constructor(type, init = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }
  get type() {
    return this.#type;
  }
  get bubbles() {
    return this.#bubbles;
  }
  get cancelable() {
    return this.#cancelable;
  }
  get composed() {
    return this.#composed;
  }
  // True only for events the runtime itself dispatches (an AbortSignal's
  // abort), never for events made with `new Event()`.
  get isTrusted() {
    return this.#trusted;
  }
  get defaultPrevented() {
    return this.#defaultPrevented;
  }
  get returnValue() {
    return !this.#defaultPrevented;
  }
  set returnValue(value) {
    if (!value) this.preventDefault();
  }
  get cancelBubble() {
    return this.#stopPropagation;
  }
  set cancelBubble(value) {
    if (value) this.#stopPropagation = true;
  }
  get eventPhase() {
    return this.#dispatching ? Event.AT_TARGET : Event.NONE;
  }
  get srcElement() {
    return this.target;
  }
  composedPath() {
    return this.#dispatching && this.currentTarget ? [this.currentTarget] : [];
  }
  preventDefault() {
    if (this.#cancelable) this.#defaultPrevented = true;
  }
  stopImmediatePropagation() {
    this.#stop = true;
    this.#stopPropagation = true;
  }
  stopPropagation() {
    this.#stopPropagation = true;
  }
  initEvent(type, bubbles = false, cancelable = false) {
    if (this.#dispatching) return;
    this.#type = String(type);
    this.#bubbles = Boolean(bubbles);
    this.#cancelable = Boolean(cancelable);
    this.#defaultPrevented = false;
    this.#stop = this.#stopPropagation = false;
  }
  static {
    isStopped = (e) => e.#stop;
    setDispatching = (e, on) => {
      e.#dispatching = on;
    };
    trusted = (e) => {
      e.#trusted = true;
      return e;
    };
  }
  get [Symbol.toStringTag]() {
    return 'Event';
  }
}
for (const [name, value] of [
  ['NONE', 0],
  ['CAPTURING_PHASE', 1],
  ['AT_TARGET', 2],
  ['BUBBLING_PHASE', 3],
]) {
  Object.defineProperty(Event, name, { value, enumerable: true });
  Object.defineProperty(Event.prototype, name, { value, enumerable: true });
}

export class CustomEvent extends Event {
  #detail;
  constructor(type, init = undefined) {
    super(type, init);
    this.#detail = init?.detail ?? null;
  }
  get detail() {
    return this.#detail;
  }
  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
  get [Symbol.toStringTag]() {
    return 'CustomEvent';
  }
}

export class EventTarget {
  // Per type, the listeners in the order they were added, by listener: adding
  // and removing one are O(1) (a list scanned on every add made 2,000
  // listeners on one signal cost 0.2 s, and 20,000 ran past any deadline).
  #listeners = new Map();

  addEventListener(type, listener, options = undefined) {
    if (listener == null) return;
    const once = typeof options === 'object' && Boolean(options?.once);
    const signal = typeof options === 'object' ? options?.signal : undefined;
    if (signal?.aborted) return;
    let byListener = this.#listeners.get(type);
    if (!byListener) this.#listeners.set(type, (byListener = new Map()));
    if (byListener.has(listener)) return;
    byListener.set(listener, { listener, once, removed: false });
    signal?.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
  }

  removeEventListener(type, listener) {
    const byListener = this.#listeners.get(type);
    const entry = byListener?.get(listener);
    if (entry === undefined) return;
    // A dispatch under way skips it, as the DOM standard says.
    entry.removed = true;
    byListener.delete(listener);
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'.");
    event.target = this;
    event.currentTarget = this;
    setDispatching(event, true);
    const handlerProp = this['on' + event.type];
    const byListener = this.#listeners.get(event.type);
    const list = byListener ? [...byListener.values()] : [];
    if (typeof handlerProp === 'function') list.unshift({ listener: handlerProp, once: false, removed: false });
    for (const l of list) {
      if (l.removed) continue;
      if (l.once) this.removeEventListener(event.type, l.listener);
      try {
        if (typeof l.listener === 'function') l.listener.call(this, event);
        else l.listener.handleEvent(event);
      } catch (err) {
        // As in browsers: a throwing listener is reported, the others still run.
        queueMicrotask(() => {
          throw err;
        });
      }
      if (isStopped(event)) break;
    }
    event.currentTarget = null;
    setDispatching(event, false);
    return !event.defaultPrevented;
  }
}

const CREATE = Symbol('create');
let fire;

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  onabort = null;

  constructor(key) {
    if (key !== CREATE) throw new TypeError('Illegal constructor');
    super();
  }

  get aborted() {
    return this.#aborted;
  }
  get reason() {
    return this.#reason;
  }
  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }

  static abort(reason = undefined) {
    const s = new AbortSignal(CREATE);
    fire(s, reason);
    return s;
  }

  static timeout(ms) {
    const s = new AbortSignal(CREATE);
    setTimeout(() => fire(s, new DOMException('The operation timed out.', 'TimeoutError')), ms);
    return s;
  }

  static any(signals) {
    const s = new AbortSignal(CREATE);
    for (const other of signals) {
      if (other.aborted) {
        fire(s, other.reason);
        return s;
      }
    }
    for (const other of signals) other.addEventListener('abort', () => fire(s, other.reason), { once: true });
    return s;
  }

  static {
    fire = (s, reason) => {
      if (s.#aborted) return;
      s.#aborted = true;
      s.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      s.dispatchEvent(trusted(new Event('abort')));
    };
  }

  get [Symbol.toStringTag]() {
    return 'AbortSignal';
  }
}

export class AbortController {
  #signal = new AbortSignal(CREATE);

  get signal() {
    return this.#signal;
  }
  abort(reason = undefined) {
    fire(this.#signal, reason);
  }
  get [Symbol.toStringTag]() {
    return 'AbortController';
  }
}
