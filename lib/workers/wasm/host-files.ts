import { constants } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { checkPath, type PathCapabilities } from '../../capabilities/paths.js';

/** The fs operations of the binding, by the number guest-binding.js sends. */
const OPS = ['readFile', 'writeFile', 'readdir', 'stat', 'mkdir', 'rm'] as const;
const SYSCALLS = ['open', 'open', 'scandir', 'stat', 'mkdir', 'rm'] as const;
const WRITES = new Set([1, 4, 5]);

export interface FsOutcome {
  ok: boolean;
  /** A JSON result (readdir, stat) or error description; null when there is none. */
  json: string | null;
  /** File contents (readFile). */
  bytes: Uint8Array | null;
}

export type FsStart =
  | { ok: true; id: number; done: Promise<FsOutcome> }
  | {
      ok: false;
      name: string;
      message: string;
      props: Record<string, string | number>;
      denial?: { target: string; rule: string };
    };

/**
 * The `node:fs/promises` subset of a quickjs-wasm sandbox, done by the host
 * on the sandbox's behalf. Every path goes through the same rules as the
 * other runtimes' (capabilities/paths.ts: canonicalised, /proc, /sys and
 * /dev never grantable, readOnlyPaths never written); the operation then
 * runs on the resolved path, and files are opened with O_NOFOLLOW so a
 * symlink swapped in after the check is refused rather than followed.
 *
 * The operations use the host's descriptors, so at most `maxOpen` of them
 * (the profile's maxFileDescriptors) run at once for one sandbox; past that
 * an operation fails with EMFILE, as opening past RLIMIT_NOFILE does in the
 * process runtimes. Unbounded, one handler starting thousands of reads
 * would take the host's whole descriptor table, from the host application
 * and from every other tenant.
 */
export class HostFiles {
  readonly #caps: PathCapabilities;
  /** 0 = no limit (the profile's maxFileDescriptors: 0). */
  readonly #maxOpen: number;
  #open = 0;
  #nextId = 1;

  constructor(caps: PathCapabilities, maxOpen: number) {
    this.#caps = caps;
    this.#maxOpen = maxOpen;
  }

  start(op: number, path: string, data: Uint8Array | null, a: boolean, b: boolean): FsStart {
    const name = OPS[op];
    if (name === undefined) return { ok: false, name: 'TypeError', message: `unknown fs operation ${op}`, props: {} };
    if (!isAbsolute(path)) {
      return { ok: false, name: 'TypeError', message: 'fs paths must be absolute in bunbase-functions workers', props: {} };
    }
    const decision = checkPath(path, this.#caps, WRITES.has(op) ? 'write' : 'read');
    if (!decision.allowed) {
      const where = decision.resolved !== path ? `'${path}' (resolves to '${decision.resolved}')` : `'${path}'`;
      return {
        ok: false,
        name: 'Error',
        message: `Filesystem access to ${where} is not allowed by the capability profile: ${decision.rule}.`,
        props: { code: 'CAPABILITY_DENIED', path },
        denial: { target: decision.resolved, rule: decision.rule },
      };
    }
    if (this.#maxOpen > 0 && this.#open >= this.#maxOpen) {
      return {
        ok: false,
        name: 'Error',
        message: `EMFILE: too many open files, ${SYSCALLS[op] ?? 'open'} '${path}' (${this.#open} file operations in flight, maxFileDescriptors ${this.#maxOpen})`,
        props: { code: 'EMFILE', errno: -24, syscall: SYSCALLS[op] ?? 'open', path },
      };
    }
    const id = this.#nextId++;
    this.#open++;
    const done = this.#run(op, decision.resolved, data, a, b).finally(() => this.#open--).then(
      (outcome) => outcome,
      (error: NodeJS.ErrnoException) => {
        const code = error.code ?? 'EIO';
        const message = (error.message ?? code).split(decision.resolved).join(path);
        const props = { code, errno: error.errno ?? 0, syscall: SYSCALLS[op], path };
        return { ok: false, json: JSON.stringify({ message, props }), bytes: null };
      },
    );
    return { ok: true, id, done };
  }

  async #run(op: number, path: string, data: Uint8Array | null, a: boolean, b: boolean): Promise<FsOutcome> {
    const none: FsOutcome = { ok: true, json: null, bytes: null };
    switch (op) {
      case 0: {
        const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
        try {
          return { ok: true, json: null, bytes: new Uint8Array(await file.readFile()) };
        } finally {
          await file.close();
        }
      }
      case 1: {
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (a ? constants.O_APPEND : constants.O_TRUNC);
        const file = await open(path, flags, 0o666);
        try {
          await file.writeFile(data ?? new Uint8Array(0));
        } finally {
          await file.close();
        }
        return none;
      }
      case 2:
        return { ok: true, json: JSON.stringify(await readdir(path)), bytes: null };
      case 3: {
        const s = await stat(path);
        const fields = {
          size: s.size,
          mode: s.mode,
          uid: s.uid,
          gid: s.gid,
          nlink: s.nlink,
          ino: s.ino,
          dev: s.dev,
          atimeMs: s.atimeMs,
          mtimeMs: s.mtimeMs,
          ctimeMs: s.ctimeMs,
          isFile: s.isFile(),
          isDirectory: s.isDirectory(),
        };
        return { ok: true, json: JSON.stringify(fields), bytes: null };
      }
      case 4:
        await mkdir(path, { recursive: a });
        return none;
      default:
        await rm(path, { recursive: a, force: b });
        return none;
    }
  }
}
