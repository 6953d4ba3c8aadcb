// console.*: arguments formatted like Node's util.format (a light inspect),
// sent as `log` messages on the protocol channel.
import { native } from './native.js';

const MAX_DEPTH = 2;

// A value's text for the log, never a throw: a handler's console.log must not
// fail because of what it logs (a Proxy whose traps throw, a throwing getter).
// Accessor properties are shown as Node shows them, [Getter], not called.
function inspect(value, depth = 0, seen = new Set(), nested = false) {
  try {
    return inspectValue(value, depth, seen, nested);
  } catch (error) {
    let why;
    try {
      why = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
    } catch {
      why = 'an exception';
    }
    return `[Uninspectable: ${why}]`;
  }
}

function property(value, key, item) {
  const d = Object.getOwnPropertyDescriptor(value, key);
  if (d === undefined) return 'undefined';
  if (d.get === undefined && d.set === undefined) return item(d.value);
  return d.get === undefined ? '[Setter]' : d.set === undefined ? '[Getter]' : '[Getter/Setter]';
}

function inspectValue(value, depth, seen, nested) {
  switch (typeof value) {
    case 'string':
      return nested ? `'${value.replace(/'/g, "\\'")}'` : value;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'undefined':
      return 'undefined';
    case 'function':
      return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
    case 'boolean':
      return String(value);
  }
  if (value === null) return 'null';
  if (seen.has(value)) return '[Circular]';
  if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}`.trimEnd() : String(value);
  if (value instanceof Date) return isNaN(value) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (depth > MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  seen.add(value);
  try {
    const item = (v) => inspect(v, depth + 1, seen, true);
    if (Array.isArray(value)) return value.length ? `[ ${value.map(item).join(', ')} ]` : '[]';
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return `${value.constructor.name}(${value.length}) [ ${Array.from(value.slice(0, 100)).join(', ')}${value.length > 100 ? ', ...' : ''} ]`;
    }
    if (value instanceof Map) return `Map(${value.size}) { ${[...value].map(([k, v]) => `${item(k)} => ${item(v)}`).join(', ')} }`;
    if (value instanceof Set) return `Set(${value.size}) { ${[...value].map(item).join(', ')} }`;
    if (value instanceof Promise) return 'Promise { ... }';
    const ctor = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : '';
    const tag = value[Symbol.toStringTag];
    if (tag && typeof value.entries === 'function' && (tag === 'Headers' || tag === 'URLSearchParams')) {
      return `${tag} { ${[...value.entries()].map(([k, v]) => `${item(k)}: ${item(v)}`).join(', ')} }`;
    }
    const keys = Object.keys(value);
    if (!keys.length) return `${ctor}{}`;
    return `${ctor}{ ${keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : item(k)}: ${property(value, k, item)}`).join(', ')} }`;
  } finally {
    seen.delete(value);
  }
}

export function format(args) {
  let out = '';
  let i = 0;
  if (typeof args[0] === 'string' && args[0].includes('%')) {
    const fmt = args[0];
    i = 1;
    out = fmt.replace(/%([sdifjoOc%])/g, (m, c) => {
      if (c === '%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      try {
        return formatOne(c, a);
      } catch {
        return '[Uninspectable]';
      }
    });
  }
  for (; i < args.length; i++) out += (out || i > 0 ? ' ' : '') + inspect(args[i]);
  return out;
}

// One %-directive's text (may throw: a valueOf that throws under %d).
function formatOne(c, a) {
  switch (c) {
    case 's':
      return typeof a === 'string' ? a : inspect(a, 1);
    case 'd':
    case 'i':
      if (typeof a === 'bigint') return `${a}n`;
      return typeof a === 'symbol' ? 'NaN' : String(c === 'i' ? parseInt(a) : Number(a));
    case 'f':
      return typeof a === 'symbol' ? 'NaN' : String(parseFloat(a));
    case 'j':
      try {
        return JSON.stringify(a);
      } catch {
        return '[Circular]';
      }
    case 'c':
      return '';
    default:
      return inspect(a, 0, new Set(), true);
  }
}

export function createConsole() {
  let indent = '';
  const counts = new Map();
  const timers = new Map();
  const emit = (level, args) => native.log(level, indent ? format(args).replace(/^/gm, indent) : format(args));
  return {
    log: (...a) => emit('log', a),
    info: (...a) => emit('info', a),
    debug: (...a) => emit('debug', a),
    warn: (...a) => emit('warn', a),
    error: (...a) => emit('error', a),
    trace: (...a) => emit('error', ['Trace:', ...a, '\n' + (new Error().stack ?? '')]),
    dir: (v) => emit('log', [inspect(v, 0, new Set(), true)]),
    table: (...a) => emit('log', a),
    assert: (cond, ...a) => {
      if (!cond) emit('error', ['Assertion failed' + (a.length ? ':' : ''), ...a]);
    },
    count: (label = 'default') => {
      counts.set(label, (counts.get(label) ?? 0) + 1);
      emit('log', [`${label}: ${counts.get(label)}`]);
    },
    countReset: (label = 'default') => counts.delete(label),
    time: (label = 'default') => timers.set(label, performance.now()),
    timeLog: (label = 'default', ...a) => emit('log', [`${label}: ${(performance.now() - (timers.get(label) ?? 0)).toFixed(3)}ms`, ...a]),
    timeEnd: (label = 'default') => {
      emit('log', [`${label}: ${(performance.now() - (timers.get(label) ?? 0)).toFixed(3)}ms`]);
      timers.delete(label);
    },
    group: (...a) => {
      if (a.length) emit('log', a);
      indent += '  ';
    },
    groupCollapsed: (...a) => {
      if (a.length) emit('log', a);
      indent += '  ';
    },
    groupEnd: () => {
      indent = indent.slice(2);
    },
  };
}
