// MessageChannel, MessagePort and MessageEvent within one realm. Libraries
// use a channel as a way to run something soon after the current task:
// React's server renderer and scheduler create one as they load. A message
// is a structured clone, delivered as its own task (a zero-delay timer), in
// order, once the receiving port is started (`start()`, or setting
// `onmessage`); messages to a closed or unstarted port wait or are dropped as
// in browsers. Transfer lists and ports inside messages are not supported.
import { native } from './native.js';
import { Event, EventTarget } from './abort.js';
import { structuredClone } from './clone.js';

export class MessageEvent extends Event {
  #data;
  #origin;
  #ports;

  constructor(type, init = undefined) {
    super(type, init);
    this.#data = init?.data ?? null;
    this.#origin = String(init?.origin ?? '');
    this.#ports = Object.freeze([...(init?.ports ?? [])]);
  }
  get data() {
    return this.#data;
  }
  get origin() {
    return this.#origin;
  }
  get lastEventId() {
    return '';
  }
  get source() {
    return null;
  }
  get ports() {
    return this.#ports;
  }
}

const CREATE = Symbol('create');

export class MessagePort extends EventTarget {
  #peer = null;
  #queue = [];
  #started = false;
  #closed = false;
  #scheduled = false;
  #onmessage = null;
  onmessageerror = null;

  constructor(token) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
    super();
  }

  // Taken off the class below: only MessageChannel makes pairs.
  static pair() {
    const a = new MessagePort(CREATE);
    const b = new MessagePort(CREATE);
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  postMessage(message, transfer = undefined) {
    const list = Array.isArray(transfer) ? transfer : transfer?.transfer;
    if (list !== undefined && list.length > 0) {
      throw new DOMException('MessagePort.postMessage: transferring objects is not supported here', 'DataCloneError');
    }
    const data = structuredClone(message);
    const peer = this.#peer;
    if (this.#closed || peer === null || peer.#closed) return;
    peer.#queue.push(data);
    peer.#schedule();
  }

  start() {
    if (this.#started) return;
    this.#started = true;
    this.#schedule();
  }

  close() {
    this.#closed = true;
    this.#queue.length = 0;
    if (this.#peer !== null) this.#peer.#peer = null;
    this.#peer = null;
  }

  get onmessage() {
    return this.#onmessage;
  }
  set onmessage(listener) {
    this.#onmessage = typeof listener === 'function' ? listener : null;
    // As in browsers, setting onmessage starts the port.
    this.start();
  }

  #schedule() {
    if (!this.#started || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    native.setTimeout(() => this.#deliver(), 0);
  }

  // One message per task, as a browser's port message queue does.
  #deliver() {
    this.#scheduled = false;
    if (this.#closed || this.#queue.length === 0) return;
    const data = this.#queue.shift();
    this.dispatchEvent(new MessageEvent('message', { data }));
    this.#schedule();
  }
}
Object.defineProperty(MessagePort.prototype, Symbol.toStringTag, { value: 'MessagePort', configurable: true });
const pairPorts = MessagePort.pair;
delete MessagePort.pair;

export class MessageChannel {
  #port1;
  #port2;

  constructor() {
    [this.#port1, this.#port2] = pairPorts();
  }
  get port1() {
    return this.#port1;
  }
  get port2() {
    return this.#port2;
  }
}
Object.defineProperty(MessageChannel.prototype, Symbol.toStringTag, { value: 'MessageChannel', configurable: true });
