import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkPath } from '../capabilities/paths.js';
import type { Capabilities } from '../capabilities/index.js';
import { send } from './channel.js';
import { isReserved } from './fd-budget.js';

/**
 * The API layer inside a Bun worker: every API the profile does not allow is
 * replaced by one that throws, and every allowed file API checks its path.
 * Bun has far more ways out than can be patched from JavaScript (see
 * docs/security.md); this layer gives clear errors and denial events, the OS
 * fence is what actually holds.
 */

type Capability = 'filesystem' | 'network' | 'childProcess' | 'eval';
type Fn = (...args: unknown[]) => unknown;
type Patchable = Record<string, unknown>;

const require = createRequire(import.meta.url);

export class CapabilityDenied extends Error {
  readonly code = 'CAPABILITY_DENIED';
  constructor(message: string) {
    super(message);
    this.name = 'CapabilityDenied';
  }
}

/**
 * Installs every guard the profile calls for. Returns the loader the bundle's
 * rewritten `import()` calls (lib/workers/bun-dynamic-imports.ts).
 *
 * Globals are patched now; a module's exports when the handler first loads the
 * module (whenLoaded): loading Bun's Node modules up front only to patch them
 * was most of a worker's start-up. Every way to a module goes through a guard
 * that patches it first: `require` in all its forms, the rewritten `import()`,
 * `process.getBuiltinModule`, and the bundle's static imports (patchStaticImports).
 */
export function installGuards(caps: Capabilities, currentId: () => number): ImportLoader {
  const deny = (capability: Capability, target: string, rule: string): never => {
    send({ id: currentId(), type: 'denied', payload: { capability, target, rule } });
    throw new CapabilityDenied(`${capability} access to ${target} is not allowed: ${rule}`);
  };
  // Processes first: what both refuse (worker_threads.Worker) is then reported as a process.
  if (!caps.allowChildProcess) guardProcesses(deny);
  if (!caps.allowEval) guardEval(deny);
  guardSignals(deny);
  guardSockets(deny);
  guardFiles(caps, deny);
  guardDescriptors(deny);
  return guardLoaders(deny, caps.allowEval);
}

/** Patches waiting for their module, by canonical name (`node:fs`, `bun:sqlite`). */
const pendingPatches = new Map<string, ((mod: Patchable) => void)[]>();

function whenLoaded(name: string, patch: (mod: Patchable) => void): void {
  const patches = pendingPatches.get(name) ?? [];
  patches.push(patch);
  pendingPatches.set(name, patches);
}

/**
 * Modules that use each other while they load (node:https builds an http.Agent):
 * all of a family are loaded before any of them is patched.
 */
const FAMILIES = [['node:net', 'node:tls', 'node:dgram', 'node:http', 'node:https', 'node:http2', 'node:dns', 'node:dns/promises']];

/** Applies the patches of a built-in module (and its family), once, before the handler gets it. */
function patchBuiltin(specifier: string): void {
  const name = /^(node|bun):/.test(specifier) ? specifier : `node:${specifier}`;
  if (!pendingPatches.has(name)) return;
  const names = FAMILIES.find((family) => family.includes(name)) ?? [name];
  // Taken out first: loading goes through the guarded require, which comes back here.
  const patches = names.map((member) => [member, pendingPatches.get(member) ?? []] as const);
  for (const member of names) pendingPatches.delete(member);
  const modules = patches.map(([member, list]) => [require(member) as Patchable, list] as const);
  for (const [mod, list] of modules) for (const patch of list) patch(mod);
}

/** Patches every built-in module the bundle imports statically: they are linked before any of its code runs. */
export function patchStaticImports(source: string): void {
  const isBuiltin = (require('node:module') as { isBuiltin: (name: string) => boolean }).isBuiltin;
  for (const { path } of new Bun.Transpiler({ loader: 'js' }).scanImports(source)) if (isBuiltin(path)) patchBuiltin(path);
}

type Deny = (capability: Capability, target: string, rule: string) => never;

// Functions this layer installed; some modules are reachable under two names (fs.promises).
const installed = new WeakSet<object>();

function replace(target: Patchable, names: readonly string[], make: (name: string, original: unknown) => unknown): void {
  for (const name of names) {
    const original = target[name];
    if (original === undefined || (typeof original === 'function' && installed.has(original))) continue;
    const value = make(name, original);
    if (typeof value === 'function') installed.add(value);
    Object.defineProperty(target, name, { value, writable: false, configurable: false });
  }
}

/** Where the bundle's rewritten `import()` goes (dynamic-code.ts); the entry puts it on the global object. */
export type ImportLoader = (specifier: unknown, options?: unknown) => Promise<unknown>;

function guardEval(deny: Deny): void {
  const refuse = (what: string) =>
    function denied(): never {
      return deny('eval', what, 'allowEval is false');
    };
  const g = globalThis as unknown as Patchable;
  replace(g, ['eval'], () => refuse('eval'));
  // Each function kind's constructor is replaced in place: the replacement takes
  // over the original's prototype object (so `Function.prototype.call`,
  // `instanceof Function` and `.toString` keep working, and libraries that
  // reach the intrinsics through `Function.prototype` load), and that
  // prototype's `constructor` points to it. A bound function prints as native code.
  const kinds: unknown[] = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const kind of kinds) {
    const proto = Object.getPrototypeOf(kind) as Patchable & { constructor: Fn };
    const original = proto.constructor;
    const target = refuse(`${original.name} constructor`);
    // instanceof looks through a bound function to its target's prototype.
    Object.defineProperty(target, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false });
    const replacement = target.bind(undefined);
    Object.defineProperty(replacement, 'name', { value: original.name });
    Object.defineProperty(replacement, 'length', { value: original.length });
    Object.defineProperty(replacement, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false });
    installed.add(replacement);
    Object.defineProperty(proto, 'constructor', { value: replacement, writable: false, enumerable: false, configurable: false });
    if (original === Function) replace(g, ['Function'], () => replacement);
  }
  replace(g, ['ShadowRealm', 'Worker'], (name) => refuse(name));
  // A blob: URL is a way to import a string as code; nothing else in a handler needs one.
  replace(URL as unknown as Patchable, ['createObjectURL'], () => refuse('URL.createObjectURL'));
  // `new Module(path)._compile(text)` runs text as code. Bun's instances have a
  // prototype of their own, where `_compile` is an accessor: replaced outright.
  const moduleApi = require('node:module') as Patchable & { prototype: Patchable };
  replace(moduleApi.prototype, ['_compile', 'load'], (name) => refuse(`Module.prototype.${name}`));
  const instanceProto = Object.getPrototypeOf(new (moduleApi as unknown as new (id: string) => object)('/')) as object;
  for (const name of ['_compile', 'load']) {
    if (instanceProto === moduleApi.prototype || Object.getOwnPropertyDescriptor(instanceProto, name) === undefined) continue;
    const value = refuse(`Module.prototype.${name}`);
    installed.add(value);
    Object.defineProperty(instanceProto, name, { value, writable: false, enumerable: false, configurable: false });
  }
  // node:repl's exports are getters that would load its internals, which use node:vm: defined over, never read.
  whenLoaded('node:repl', (repl) => {
    for (const name of ['start', 'REPLServer']) {
      const value = refuse(`repl.${name}`);
      installed.add(value);
      Object.defineProperty(repl, name, { value, writable: false, enumerable: true, configurable: false });
    }
  });
  whenLoaded('node:vm', (vm) =>
    replace(
      vm,
      ['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'Script', 'createContext', 'SourceTextModule'],
      (name) => refuse(`vm.${name}`),
    ),
  );
  // worker_threads.Worker takes source text ({ eval: true }, data: URLs).
  // (Without allowChildProcess, guardProcesses has already refused Worker as a process.)
  whenLoaded('node:worker_threads', (workers) => replace(workers, ['Worker'], () => refuse('worker_threads.Worker')));
}

/**
 * Every way to load a module by name: patches a built-in before handing it
 * over, and with eval refused loads nothing else. data: and blob: URLs, files
 * (which a handler may have written) and modules a Bun.plugin makes up
 * (Bun.plugin cannot be replaced) are all code from strings.
 */
function guardLoaders(deny: Deny, allowEval: boolean): ImportLoader {
  const moduleApi = require('node:module') as Patchable & { prototype: Patchable; isBuiltin: (name: string) => boolean };
  const isBuiltin = moduleApi.isBuiltin;
  const check = (what: string, specifier: unknown): void => {
    if (typeof specifier === 'string' && isBuiltin(specifier)) {
      patchBuiltin(specifier);
    } else if (allowEval) {
      // Another module (a data: URL, a file) may import any built-in statically, out of our sight.
      for (const name of [...pendingPatches.keys()]) patchBuiltin(name);
    } else {
      const shown = typeof specifier === 'string' ? JSON.stringify(specifier.slice(0, 60)) : typeof specifier;
      deny('eval', `${what}(${shown})`, 'allowEval is false: only built-in modules load at run time');
    }
  };
  const guardLoader = (load: Fn, what: string) =>
    function guardedLoad(this: unknown, ...args: unknown[]): unknown {
      check(what, args[0]);
      return load.apply(this, args);
    };
  const createRequireOriginal = moduleApi['createRequire'] as Fn;
  replace(moduleApi, ['createRequire'], () => (...args: unknown[]) => guardLoader(createRequireOriginal(...args) as Fn, 'require'));
  replace(moduleApi, ['_load'], (_name, original) => guardLoader(original as Fn, 'Module._load'));
  replace(process as unknown as Patchable, ['getBuiltinModule'], (_name, original) => guardLoader(original as Fn, 'process.getBuiltinModule'));
  // The bundle's own `require` (and import.meta.require) calls Module.prototype.require
  // only once that has been *assigned*: Bun notices the override on a [[Set]], not on
  // defineProperty. Assigned, then made read-only.
  const guardedRequire = guardLoader(moduleApi.prototype['require'] as Fn, 'require');
  installed.add(guardedRequire);
  moduleApi.prototype['require'] = guardedRequire;
  Object.defineProperty(moduleApi.prototype, 'require', { writable: false, configurable: false });
  // The bundle's import() expressions are rewritten to call this (lib/workers/bun-dynamic-imports.ts).
  return async (specifier, options) => {
    check('import', specifier);
    return import(specifier as string, options as ImportCallOptions);
  };
}

function guardProcesses(deny: Deny): void {
  const refuse = (what: string) =>
    function denied(): never {
      return deny('childProcess', what, 'allowChildProcess is false');
    };
  whenLoaded('node:child_process', (cp) => {
    replace(cp, ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'], (name) => refuse(`child_process.${name}`));
    const childProcess = (cp['ChildProcess'] as { prototype: Patchable } | undefined)?.prototype;
    if (childProcess !== undefined) replace(childProcess, ['spawn'], () => refuse('ChildProcess.spawn'));
  });
  const bun = (globalThis as unknown as { Bun: Patchable }).Bun;
  replace(bun, ['spawn', 'spawnSync', '$'], (name) => refuse(`Bun.${name}`));
  replace(process as unknown as Patchable, ['dlopen', '_linkedBinding'], (name) => refuse(`process.${name}`));
  // Bun's own node:zlib and node:_http_common ask for these two while they load
  // (lazily, when a handler first requires them); neither reaches a process, a file or a socket.
  replace(process as unknown as Patchable, ['binding'], (_name, original) => (name: unknown) => {
    if (name === 'constants' || name === 'http_parser') return (original as Fn).call(process, name);
    return deny('childProcess', `process.binding(${JSON.stringify(String(name).slice(0, 40))})`, 'allowChildProcess is false');
  });
  const ffiExports = ['dlopen', 'cc', 'linkSymbols', 'CFunction', 'viewSource'];
  whenLoaded('bun:ffi', (ffi) => replace(ffi, ffiExports, (name) => refuse(`bun:ffi.${name}`)));
  // Bun.FFI is a second, separate object with the same powers.
  const bunFfi = (globalThis as unknown as { Bun: Patchable }).Bun['FFI'] as Patchable | undefined;
  if (bunFfi !== undefined) replace(bunFfi, ffiExports, (name) => refuse(`Bun.FFI.${name}`));
  whenLoaded('node:worker_threads', (workers) => replace(workers, ['Worker'], () => refuse('worker_threads.Worker')));
  // SQLite extensions and a custom SQLite library are shared objects loaded into the worker, as bun:ffi's are.
  whenLoaded('bun:sqlite', (sqlite) => {
    const Database = sqlite['Database'] as (Patchable & { prototype: Patchable }) | undefined;
    if (Database === undefined) return;
    replace(Database.prototype, ['loadExtension'], () => refuse('bun:sqlite Database.loadExtension'));
    replace(Database, ['setCustomSQLite'], () => refuse('bun:sqlite Database.setCustomSQLite'));
  });
}

/** The worker's own descriptors (the channel, the placeholders of fd-budget.ts) cannot be closed by the handler. */
function guardDescriptors(deny: Deny): void {
  whenLoaded('node:fs', (fs) => {
    for (const name of ['close', 'closeSync']) {
      replace(fs, [name], (_name, original) => function guardedClose(this: unknown, ...args: unknown[]): unknown {
        if (isReserved(args[0])) return deny('filesystem', `${name}(${String(args[0])})`, "the worker's own descriptor");
        return (original as Fn).apply(this, args);
      });
    }
  });
}

/** Signals only to the worker itself: never the host, another tenant, or -1. Children are signalled through their handles. */
function guardSignals(deny: Deny): void {
  const target = process as unknown as Patchable;
  for (const name of ['kill', '_kill']) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    replace(target, [name], () => (pid: number, ...rest: unknown[]) => {
      if (pid !== process.pid) {
        return deny('childProcess', `process.${name}(${String(pid)})`, 'signals may only target the worker itself');
      }
      return (original as Fn).call(process, pid, ...rest);
    });
  }
  // Node's way of telling another process to open its debugger (SIGUSR1): the host is a Node process.
  replace(target, ['_debugProcess'], () => (pid: unknown) =>
    deny('childProcess', `process._debugProcess(${String(pid)})`, 'signals may only target the worker itself'),
  );
}

/** Raw sockets are never allowed: outbound network goes through the host's fetch. */
function guardSockets(deny: Deny): void {
  const refuse = (what: string) =>
    function denied(): never {
      return deny('network', what, 'raw sockets are not available; use fetch()');
    };
  const bun = (globalThis as unknown as { Bun: Patchable }).Bun;
  replace(bun, ['connect', 'listen', 'serve', 'udpSocket'], (name) => refuse(`Bun.${name}`));
  // Bun.fetch is read-only and non-configurable: it cannot be routed through
  // the host from here. Only the OS layer (no sockets, no network namespace) stops it.
  replace(globalThis as unknown as Patchable, ['WebSocket', 'EventSource'], (name) => refuse(name));
  const modules: [string, readonly string[]][] = [
    ['node:net', ['connect', 'createConnection', 'createServer', 'Socket', 'Stream', 'Server']],
    ['node:tls', ['connect', 'createServer', 'TLSSocket']],
    ['node:dgram', ['createSocket', 'Socket']],
    ['node:http', ['request', 'get', 'createServer', 'Agent']],
    ['node:https', ['request', 'get', 'createServer', 'Agent']],
    ['node:http2', ['connect', 'createServer', 'createSecureServer']],
    ['node:dns', ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'lookupService', 'Resolver']],
    ['node:dns/promises', ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'lookupService', 'Resolver']],
  ];
  for (const [name, exports] of modules) whenLoaded(name, (mod) => replace(mod, exports, (fn) => refuse(`${name.slice(5)}.${fn}`)));
  // A debugger server is a listening socket that runs whatever code its client sends: with the
  // OS fence off, any process on the host could take over the worker through it.
  const debuggerRule = 'a debugger server is a listening socket that evaluates code; never available';
  const refuseDebugger = (what: string) =>
    function denied(): never {
      return deny('network', what, debuggerRule);
    };
  for (const name of ['node:inspector', 'node:inspector/promises']) {
    whenLoaded(name, (mod) => replace(mod, ['open', 'waitForDebugger', 'Session'], (fn) => refuseDebugger(`${name.slice(5)}.${fn}`)));
  }
  whenLoaded('bun:jsc', (jsc) => replace(jsc, ['startRemoteDebugger'], () => refuseDebugger('bun:jsc.startRemoteDebugger')));
}

// Which arguments of each fs function are paths, and what the call does to them.
const READS: Record<string, number[]> = {
  readFile: [0], readdir: [0], stat: [0], lstat: [0], access: [0], exists: [0], readlink: [0], realpath: [0],
  opendir: [0], statfs: [0], createReadStream: [0], watch: [0], watchFile: [0],
};
const WRITES: Record<string, number[]> = {
  writeFile: [0], appendFile: [0], mkdir: [0], mkdtemp: [0], rm: [0], rmdir: [0], unlink: [0], rename: [0, 1],
  copyFile: [1], cp: [1], chmod: [0], chown: [0], lchown: [0], utimes: [0], lutimes: [0], truncate: [0],
  createWriteStream: [0], symlink: [0, 1], link: [1],
};
const BOTH: Record<string, number[]> = { open: [0], copyFile: [0], cp: [0], link: [0] };

function guardFiles(caps: Capabilities, deny: Deny): void {
  const check = (target: unknown, access: 'read' | 'write'): void => {
    if (typeof target === 'number') return; // An open descriptor was checked when it was opened.
    // fs accepts file: URLs; decode them as fs does (file:///pro%63 is /proc), or refuse them.
    let path: string;
    try {
      path =
        target instanceof URL || (typeof target === 'string' && target.startsWith('file:'))
          ? fileURLToPath(target as string | URL)
          : String(target);
    } catch {
      deny('filesystem', String(target), 'not a usable file URL');
    }
    // Refused as fs itself refuses it (before any check, so no denial for what never reached a path).
    if (path.includes('\0')) {
      throw Object.assign(new TypeError("The argument 'path' must be a string, Uint8Array, or URL without null bytes"), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    const decision = checkPath(path, caps, access);
    if (!decision.allowed) deny('filesystem', decision.resolved, decision.rule);
  };
  const wrap = (original: Fn, reads: number[], writes: number[], name: string): Fn =>
    function guarded(this: unknown, ...args: unknown[]): unknown {
      for (const i of reads) check(args[i], 'read');
      const flags = args[1];
      const opensForWrite = name === 'open' && typeof flags === 'string' && /[wa+]/.test(flags);
      const opensForWriteNum = name === 'open' && typeof flags === 'number' && (flags & 3) !== 0;
      for (const i of writes) check(args[i], 'write');
      if (opensForWrite || opensForWriteNum) check(args[0], 'write');
      return original.apply(this, args);
    };
  const patchModule = (mod: Patchable): void => {
    const names = new Set([...Object.keys(READS), ...Object.keys(WRITES), ...Object.keys(BOTH)]);
    for (const base of names) {
      for (const name of [base, `${base}Sync`]) {
        const original = mod[name];
        if (typeof original !== 'function') continue;
        const reads = [...(READS[base] ?? []), ...(BOTH[base] ?? [])];
        const writes = WRITES[base] ?? [];
        replace(mod, [name], () => wrap(original as Fn, reads, writes, base));
      }
    }
  };
  whenLoaded('node:fs', (fs) => {
    patchModule(fs);
    patchModule(fs['promises'] as Patchable);
  });
  whenLoaded('node:fs/promises', patchModule);

  const bun = (globalThis as unknown as { Bun: Patchable }).Bun;
  const file = bun['file'] as Fn;
  const write = bun['write'] as Fn;
  const mmap = bun['mmap'] as Fn | undefined;
  if (mmap !== undefined) {
    replace(bun, ['mmap'], () => (target: unknown, ...rest: unknown[]) => {
      check(target, 'read');
      return mmap.call(bun, target, ...rest);
    });
  }
  replace(bun, ['file'], () => (target: unknown, ...rest: unknown[]) => {
    check(target, 'read');
    const handle = file.call(bun, target, ...rest) as Patchable;
    // A BunFile can write itself; those methods need write access to the same path.
    for (const method of ['write', 'writer', 'delete', 'unlink']) {
      const original = handle[method];
      if (typeof original !== 'function') continue;
      Object.defineProperty(handle, method, {
        value: (...args: unknown[]) => {
          check(target, 'write');
          return (original as Fn).apply(handle, args);
        },
      });
    }
    return handle;
  });
  replace(bun, ['write'], () => (dest: unknown, ...rest: unknown[]) => {
    // A BunFile made from a descriptor (Bun.stdout) has no name: the descriptor was checked when opened.
    const target = typeof dest === 'object' && dest !== null ? (dest as { name?: unknown }).name : dest;
    if (target !== undefined) check(target, 'write');
    return write.call(bun, dest, ...rest);
  });
  const build = bun['build'] as Fn | undefined;
  if (build !== undefined) {
    replace(bun, ['build'], () => (config: { entrypoints?: unknown[]; outdir?: unknown }, ...rest: unknown[]) => {
      for (const entry of config?.entrypoints ?? []) check(entry, 'read');
      if (config?.outdir !== undefined) check(config.outdir, 'write');
      return build.call(bun, config, ...rest);
    });
  }
  const glob = (bun['Glob'] as { prototype: Patchable } | undefined)?.prototype;
  if (glob !== undefined) {
    for (const method of ['scan', 'scanSync']) {
      const original = glob[method] as Fn | undefined;
      if (original === undefined) continue;
      replace(glob, [method], () => function scan(this: unknown, options?: string | { cwd?: string }) {
        check(typeof options === 'string' ? options : (options?.cwd ?? process.cwd()), 'read');
        return original.call(this, options);
      });
    }
  }
  whenLoaded('bun:sqlite', (sqlite) => guardSqlite(sqlite, check));
}

function guardSqlite(sqlite: Patchable, check: (target: unknown, access: 'read' | 'write') => void): void {
  const Database = sqlite['Database'] as (new (...args: unknown[]) => object) | undefined;
  if (Database !== undefined) {
    const Guarded = class extends Database {
      constructor(...args: unknown[]) {
        const file = args[0];
        if (typeof file === 'string' && file !== '' && file !== ':memory:') {
          const readonly = typeof args[1] === 'object' && args[1] !== null && (args[1] as { readonly?: boolean }).readonly === true;
          check(file, readonly ? 'read' : 'write');
        }
        super(...args);
      }
    };
    replace(sqlite, ['Database', 'default'], (name) => (name === 'default' && sqlite['default'] !== Database ? sqlite['default'] : Guarded));
  }
}
