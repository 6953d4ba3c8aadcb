// Event, EventTarget, AbortController and AbortSignal (the subset handlers
// use: abort, reason, throwIfAborted, abort/timeout/any, onabort).
let isStopped;

export class Event {
  #type;
  #cancelable;
  #defaultPrevented = false;
  #stop = false;
  target = null;
  currentTarget = null;
  timeStamp = performance.now();

  constructor(type, init = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required");
    this.#type = String(type);
    this.#cancelable = Boolean(init?.cancelable);
  }
  get type() {
    return this.#type;
  }
  get cancelable() {
    return this.#cancelable;
  }
  get defaultPrevented() {
    return this.#defaultPrevented;
  }
  preventDefault() {
    if (this.#cancelable) this.#defaultPrevented = true;
  }
  stopImmediatePropagation() {
    this.#stop = true;
  }
  stopPropagation() {}
  static {
    isStopped = (e) => e.#stop;
  }
}

export class EventTarget {
  #listeners = new Map();

  addEventListener(type, listener, options = undefined) {
    if (listener == null) return;
    const once = typeof options === 'object' && Boolean(options?.once);
    const signal = typeof options === 'object' ? options?.signal : undefined;
    if (signal?.aborted) return;
    let list = this.#listeners.get(type);
    if (!list) this.#listeners.set(type, (list = []));
    if (list.some((l) => l.listener === listener)) return;
    list.push({ listener, once });
    signal?.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
  }

  removeEventListener(type, listener) {
    const list = this.#listeners.get(type);
    if (!list) return;
    const i = list.findIndex((l) => l.listener === listener);
    if (i >= 0) list.splice(i, 1);
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'.");
    event.target = this;
    event.currentTarget = this;
    const handlerProp = this['on' + event.type];
    const list = [...(this.#listeners.get(event.type) ?? [])];
    if (typeof handlerProp === 'function') list.unshift({ listener: handlerProp, once: false });
    for (const l of list) {
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
      s.dispatchEvent(new Event('abort'));
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
