// The Web API prelude: bundled at build time (bun build), compiled to
// bytecode (qw-compile) and embedded in the worker binary. It installs the
// globals handlers expect and hands the runtime its callbacks.
import { native } from './native.js';
import { Headers } from './headers.js';
import { Request, abortRequest, createRequest } from './request.js';
import { Response, isPlainResponseHead, isResponse, readResponseBody, responseHeaderList, takeResponse } from './response.js';
import { BodyTooLarge } from './stream.js';
import { responseHeadersProblem } from '../../lib/response-header-limits.ts';
import { MessageChannel, MessageEvent, MessagePort } from './message-channel.js';
import { AbortController, AbortSignal, CustomEvent, Event, EventTarget } from './abort.js';
import { TextDecoder, TextEncoder } from './encoding.js';
import { createConsole } from './console.js';
import { fetch } from './fetch.js';
import { createFs } from './fs.js';
import { installLazyUrl } from './lazy-url.js';
import { installLazyStreams } from './lazy-streams.js';
import { installLazyIntl } from './lazy-intl.js';
import { installLazyCompression } from './lazy-compression.js';
import { Blob, File } from './blob.js';
import { FormData } from './formdata.js';
import { installLazySubtle, loadSubtle } from './lazy-subtle.js';
import { structuredClone } from './clone.js';
import { installUserTiming } from './performance.js';
import { createProcess, processEnv } from './process.js';
import { fixErrorStackSetter } from './error-stack.js';

// The pool's env, once configure() has it. The native worker evaluates this
// prelude before it knows its pool (so that a forked worker is ready when its
// init arrives) and calls configure() from init, before the handler loads.
let env = {};
// The pool's maxBodyBytes: a stream response body is not read past it.
let maxBodyBytes = Infinity;

// queueJob(fn, a, b): fn(a, b) as a job of its own, at the end of the job
// queue, where a reaction to an already settled promise would go. The native
// worker's binding has it; elsewhere it is the engine's own queueMicrotask
// (taken before the prelude replaces the global), which queues the same kind
// of job, with a closure for the arguments. Both cost a fraction of a
// promise and its reaction.
const engineQueueMicrotask = globalThis.queueMicrotask;
const reflectApply = Reflect.apply;
const queueJob =
  native.queueJob ??
  ((fn, a, b) => {
    engineQueueMicrotask(() => fn(a, b));
  });

function define(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

function queueMicrotask(callback) {
  if (typeof callback !== 'function') throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
  Promise.resolve().then(() => callback());
}

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

const CREATE = Symbol('create');

// The Crypto interface: one frozen instance, `crypto`, with the methods on
// a frozen prototype. The methods do not need `this`, as some libraries
// call them detached.
class Crypto {
  constructor(token) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
  }
  getRandomValues(array) {
    if (!ArrayBuffer.isView(array)) throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.");
    if (!INTEGER_ARRAYS.some((C) => array instanceof C)) {
      throw new DOMException("Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView is not an integer array type.", 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw new DOMException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, 'QuotaExceededError');
    }
    return native.getRandomValues(array);
  }
  randomUUID() {
    return native.randomUUID();
  }
  get subtle() {
    return loadSubtle().subtle;
  }
}
Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto', configurable: true });
Object.freeze(Crypto.prototype);
const crypto = Object.freeze(new Crypto(CREATE));

define('Headers', Headers);
define('Blob', Blob);
define('File', File);
define('FormData', FormData);
define('Request', Request);
define('Response', Response);
define('AbortController', AbortController);
define('AbortSignal', AbortSignal);
define('Event', Event);
define('CustomEvent', CustomEvent);
define('EventTarget', EventTarget);
define('MessageChannel', MessageChannel);
define('MessagePort', MessagePort);
define('MessageEvent', MessageEvent);
define('TextEncoder', TextEncoder);
define('TextDecoder', TextDecoder);
define('console', createConsole());
define('fetch', fetch);
define('setTimeout', native.setTimeout);
define('setInterval', native.setInterval);
define('clearTimeout', native.clearTimeout);
define('clearInterval', native.clearInterval);
define('queueMicrotask', queueMicrotask);
define('structuredClone', structuredClone);
define('crypto', crypto);
define('Crypto', Crypto);
installLazySubtle();
define('self', globalThis);
define(
  'navigator',
  Object.freeze({
    userAgent: `bunbase-functions (QuickJS-NG ${native.engineVersion})`,
    language: 'en-US',
    languages: Object.freeze(['en-US']),
    hardwareConcurrency: 1,
    onLine: true,
  }),
);
installUserTiming(performance);
fixErrorStackSetter();
installLazyUrl();
installLazyStreams();
installLazyIntl();
installLazyCompression();

// The engine has no compiler in this context (no eval intrinsic), so every
// road to run-time compilation already fails. These wrappers only give the
// failure a clear EvalError and report the denial to the host (the same
// CAPABILITY_DENIED as Bun's); a handler that removes them gets the
// engine's own TypeError, never a compiler. Returns what lifts them again,
// every replaced property as it was (descriptor and all).
function denyEval() {
  const deny = (what) => {
    native.denyEval(what);
    const error = new EvalError(`${what} is disabled: the capability profile does not allow it (allowEval: false).`);
    error.code = 'CAPABILITY_DENIED';
    return error;
  };
  const replaced = [];
  const replace = (target, key, value) => {
    replaced.push([target, key, Object.getOwnPropertyDescriptor(target, key)]);
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
  };
  const wrap = (proto, name) => {
    const original = proto.constructor;
    const wrapper = function () {
      throw deny(name);
    };
    Object.defineProperty(wrapper, 'name', { value: original.name });
    wrapper.prototype = proto;
    replace(proto, 'constructor', wrapper);
    return wrapper;
  };
  replace(globalThis, 'Function', wrap(Function.prototype, 'Function'));
  wrap(Object.getPrototypeOf(async function () {}), 'AsyncFunction');
  wrap(Object.getPrototypeOf(function* () {}), 'GeneratorFunction');
  wrap(Object.getPrototypeOf(async function* () {}), 'AsyncGeneratorFunction');
  replace(globalThis, 'eval', function evalDisabled() {
    throw deny('eval');
  });
  return () => {
    for (const [target, key, descriptor] of replaced.reverse()) {
      if (descriptor) Object.defineProperty(target, key, descriptor);
      else delete target[key];
    }
  };
}

// What needs no pool setting is made with the prelude, before any pool is
// known: in the fork server that is once for all of its workers, whose pages
// stay shared as long as a worker does not write to them (configure() made a
// forked worker copy or add 108 KB of pages, now 32 KB). configure() then
// fills in the pool's env and, for a pool that allows eval, lifts the
// denial: both before any handler code.
//
// A binding that knows its pool already (quickjs-wasm, below) denies eval in
// configure() instead, only when the pool does not allow it: with the
// denial made first and lifted, the WebAssembly engine later crashed (memory
// access out of bounds) evaluating the lazy Intl data under a denied eval,
// cause not found; it has no zygote whose pages this would save.
const nodeProcess = createProcess({});
define('process', nodeProcess);
const liftEvalDenial = 'env' in native ? undefined : denyEval();

// What depends on the pool, once: before any handler code, never after.
let configured = false;
function configure(settings) {
  if (configured) throw new TypeError('configure: already configured');
  configured = true;
  env = settings.env;
  maxBodyBytes = settings.maxBodyBytes ?? Infinity;
  nodeProcess.env = processEnv(env);
  if (liftEvalDenial === undefined) {
    if (!settings.allowEval) denyEval();
  } else if (settings.allowEval) {
    liftEvalDenial();
  }
}

// A binding that knows its pool already (quickjs-wasm) passes the settings
// with the binding itself.
if ('env' in native) configure({ env: native.env, allowEval: native.allowEval, maxBodyBytes: native.maxBodyBytes });

// ---- the handler -----------------------------------------------------------

// The handler: `handlerObject.fetch(...)` for an object with a fetch method
// (looked up at each call, as it always was), otherwise `handler(...)`.
let handlerObject = null;
let handler = null;

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

function setHandler(ns) {
  const d = ns.default;
  if (d && typeof d === 'object' && typeof d.fetch === 'function') {
    handlerObject = d;
  } else if (typeof d === 'function') {
    handler = d;
  } else if (typeof ns.handler === 'function') {
    handler = ns.handler;
  } else {
    return 'The module exports no handler. Export one of: `export default { fetch(request, env, ctx) {} }`, `export default function (request, env, ctx) {}`, or `export function handler(request) {}`.';
  }
  return undefined;
}

// The requests of the invocations in flight, by id: a cancel aborts the
// request's signal. Nearly always there is one at a time: that one is kept
// in a pair of variables, any others in a Map (a Map's set and delete were
// a twentieth of a hello call).
let soleId = 0;
let soleRequest = null;
const moreRequests = new Map();

function track(id, request) {
  if (soleRequest === null) {
    soleId = id;
    soleRequest = request;
  } else {
    moreRequests.set(id, request);
  }
}

function untrack(id) {
  if (soleRequest !== null && soleId === id) {
    soleId = 0;
    soleRequest = null;
  } else if (moreRequests.size !== 0) {
    moreRequests.delete(id);
  }
}

function tracked(id) {
  return soleRequest !== null && soleId === id ? soleRequest : moreRequests.get(id);
}

// The handler's third argument. waitUntil needs nothing per invocation: the
// worker outlives the response anyway.
const CTX = Object.freeze({
  waitUntil(promise) {
    Promise.resolve(promise).catch(() => {});
  },
  passThroughOnException() {},
});

// One invocation: the request, the handler, the response read and sent.
//
// The handler's answer is read as `await handler(...)` would read it, one
// job after the handler returned, and the cheap way when it returned one of
// our Responses itself (most handlers that are not async): no promise and
// no async function, just the job that `await` would have queued. The
// Response is asked for `then` first, as await would ask it.
function invoke(id, p) {
  invokeArgs(id, p.method, p.url, p.headers, p.body);
}

// invoke() with the payload's fields as arguments (the native worker's way:
// no payload object per call).
function invokeArgs(id, method, url, pairs, bytes) {
  try {
    const request = createRequest(url, method, pairs ?? null, bytes ?? null);
    track(id, request);
    const response = handlerObject !== null ? handlerObject.fetch(request, env, CTX) : handler(request, env, CTX);
    if (!isResponse(response)) {
      awaitResponse(id, response);
      return;
    }
    let then;
    try {
      then = response.then;
    } catch (error) {
      // await would reject: the failure a job later.
      queueJob(failInvocation, id, error);
      return;
    }
    // A thenable Response is awaited through a thenable of ours that calls its
    // then, so that `then` is not looked up a second time.
    if (typeof then === 'function') awaitResponse(id, { then: (resolve, reject) => reflectApply(then, response, [resolve, reject]) });
    else queueJob(answer, id, response);
  } catch (error) {
    failInvocation(id, error);
  }
}

async function awaitResponse(id, value) {
  let response;
  try {
    response = await value;
  } catch (error) {
    failInvocation(id, error);
    return;
  }
  answer(id, response);
}

// The handler's answer: a Response is read and sent, anything else fails.
function answer(id, response) {
  try {
    if (!(response instanceof Response)) {
      throw new TypeError(`The handler must return a Response (or a Promise of one), but it returned ${describe(response)}.`);
    }
    const s = takeResponse(response);
    if (s.source) sendAfterBody(id, s);
    else send(id, s);
  } catch (error) {
    failInvocation(id, error);
  }
}

async function sendAfterBody(id, s) {
  try {
    await readResponseBody(s, maxBodyBytes);
    send(id, s);
  } catch (error) {
    failInvocation(id, error);
  }
}

function send(id, s) {
  const headers = responseHeaderList(s);
  // A body's default content-type alone, without status text, is within the limits.
  const problem = isPlainResponseHead(s) ? undefined : responseHeadersProblem(headers, s.statusText);
  untrack(id);
  if (problem !== undefined) native.fail(id, new RangeError(problem), 'RESPONSE_TOO_LARGE');
  else native.respond(id, s.status, s.statusText, headers, s.bytes);
}

function failInvocation(id, error) {
  untrack(id);
  native.fail(id, error, isBodyTooLarge(error) ? 'RESPONSE_TOO_LARGE' : undefined);
}

// instanceof asks a proxy's getPrototypeOf trap, which a handler can make throw:
// inside invoke()'s catch that would leave the invocation unanswered.
function isBodyTooLarge(error) {
  try {
    return error instanceof BodyTooLarge;
  } catch {
    return false;
  }
}

function cancel(id) {
  const request = tracked(id);
  untrack(id);
  if (request !== undefined) abortRequest(request);
}

native.setup({ invoke, invokeArgs, cancel, setHandler, configure, fs: createFs() });
