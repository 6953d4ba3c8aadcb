import * as v from 'valibot';
import { EntrySourceSchema } from './bundle/options.js';
import type { CapabilitiesInput } from './capabilities/schema.js';
import { InvalidOptionsError, type ValidationIssue } from './errors.js';
import { defaultSocketLimit } from './host-calls/socket-gate.js';
import { describeIssues } from './validation-messages.js';

const MB = 1024 * 1024;

/** Runtime-control variables a worker must never receive: they change how the runtime itself behaves. */
const FORBIDDEN_ENV = /^(LD_|DYLD_|NODE_|BUN_|UV_|MALLOC_|GLIBC_|QJS_|BUNBASE_)|^(PATH|HOME|TMPDIR|SHELL|IFS|ENV|BASH_ENV)$/i;

export const PositiveInt = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
export const NonNegativeInt = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/**
 * The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days): a
 * longer one fires after 1 ms, with a warning, so a deadline past it would
 * be checked a thousand times a second instead of never.
 */
export const MAX_TIMER_MS = 2_147_483_647;
const TIMER_TOO_LONG = `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest delay a Node timer takes`;
/** A duration in ms that becomes a timer; 0 where the option says it means "none". */
export const TimerMs = v.pipe(NonNegativeInt, v.maxValue(MAX_TIMER_MS, TIMER_TOO_LONG));
const PositiveTimerMs = v.pipe(PositiveInt, v.maxValue(MAX_TIMER_MS, TIMER_TOO_LONG));

const SourceSchema = v.union([
  v.strictObject({
    /** The bundle's text: an ES module. */
    code: v.pipe(v.string(), v.nonEmpty('must not be empty')),
    /** Shown in stack traces. Default `handler.js`. */
    filename: v.optional(v.string(), 'handler.js'),
    /** The bundle's source map (JSON text), kept on the host: stacks and logs then name the original files. */
    sourceMap: v.optional(v.string()),
  }),
  v.strictObject({
    /** A file the host reads once and ships to every worker; workers need no access to it. */
    path: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  }),
  EntrySourceSchema,
]);

const EnvSchema = v.pipe(
  v.record(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names must be identifiers'),
      // NODE_ENV steers libraries, not a runtime: no worker process is started with the pool's env in
      // its environment (each runtime installs it in the sandbox), and it overrides the 'production' default.
      v.check(
        (name) => name === 'NODE_ENV' || !FORBIDDEN_ENV.test(name),
        'runtime-control variables (LD_*, NODE_* other than NODE_ENV, BUN_*, PATH, ...) are refused',
      ),
    ),
    v.string(),
  ),
  v.check((env) => Object.keys(env).length <= 1000, 'at most 1000 variables'),
);

/**
 * Options of `createPool`. The schema is the type: defaults live here.
 * `capabilities` is validated separately so its errors carry their own code.
 */
export const PoolOptionsSchema = v.pipe(
  v.strictObject({
    /**
     * Which worker runtime runs the handler: `quickjs-ng` (the native worker),
     * `bun`, or `quickjs-wasm` (QuickJS-NG in WebAssembly on shared threads:
     * no native build, any OS, API-layer enforcement only).
     */
    runtime: v.picklist(['quickjs-ng', 'bun', 'quickjs-wasm']),
    /**
     * The capability profile: `profiles.strict(id)`, `profiles.permissive(id)`,
     * `profiles.custom(id, overrides)`, or a plain object of capability fields.
     * A plain object is the same as `profiles.custom`: a bare `{ projectId }`
     * allows nothing and gets 256 MB, 60 000 ms CPU, 50 descriptors.
     * Checked by `validateCapabilities` (`INVALID_CAPABILITIES`), not here.
     */
    capabilities: v.custom<CapabilitiesInput>(() => true),
    source: SourceSchema,
    /** Values the handler receives as `env`; never the host's `process.env`. Default `{}`. */
    env: v.optional(EnvSchema, {}),
    /** Workers kept alive even when idle. Default 0. */
    minWorkers: v.optional(NonNegativeInt, 0),
    /** Upper bound on workers. Default 4. */
    maxWorkers: v.optional(PositiveInt, 4),
    /** Invocations one worker runs at the same time. Default 1. */
    concurrency: v.optional(PositiveInt, 1),
    /** Invocations waiting for a worker before `QUEUE_FULL`. Default 1000. */
    maxQueue: v.optional(NonNegativeInt, 1000),
    /** Wall-clock deadline of one invocation, awaited work included; 0 = none. Default 30 000 ms. */
    timeoutMs: v.optional(TimerMs, 30_000),
    /** How long a worker may take from spawn to `ready`. Default 10 000 ms. */
    startTimeoutMs: v.optional(PositiveTimerMs, 10_000),
    /** Workers above `minWorkers` idle this long are stopped; 0 = never. Default 30 000 ms. */
    idleTimeoutMs: v.optional(TimerMs, 30_000),
    /** A worker is replaced after this many invocations; 0 = never. Default 10 000. */
    recycleAfter: v.optional(NonNegativeInt, 10_000),
    /** Largest request or response body. Default 32 MiB. */
    maxBodyBytes: v.optional(PositiveInt, 32 * MB),
    /** Log bytes kept per invocation; the rest is dropped with a marker. Default 1 MiB. */
    maxLogBytes: v.optional(PositiveInt, MB),
    /** Largest protocol line a worker may send. Default: enough for a base64 `maxBodyBytes` body plus 1 MiB. */
    maxMessageBytes: v.optional(PositiveInt),
    /**
     * Fence every worker at the OS level (Landlock, seccomp, rlimits, network
     * namespace). Default true. `false` is for debugging only: the API layer
     * alone is then all that stands between the handler and the machine.
     */
    osSandbox: v.optional(v.boolean(), true),
    /** Refuse to start a worker whose OS fence lacks a layer (`SANDBOX_UNAVAILABLE`). Default false. */
    requireOsSandbox: v.optional(v.boolean(), false),
    /**
     * QuickJS-NG: fork workers from a fork server started once per host
     * process instead of spawning each one (docs/fork-server.md): faster
     * starts that never block the host's event loop, the same OS fence.
     * `false` spawns every worker (fresh address-space randomisation per
     * worker). Ignored by Bun. Default true.
     */
    forkServer: v.optional(v.boolean(), true),
    /**
     * After sending work to a worker with no other call in flight, the host
     * polls its event loop for this long instead of sleeping, so a quick answer
     * is read at once rather than after the kernel wakes the process (on the
     * development machine that halved the warm round trip at no extra CPU per
     * call). With several calls in flight answers come back to back and it
     * does not poll. On quickjs-wasm threads the sandbox, too, polls this long
     * for its next call after it answers. While what a side waits for keeps
     * coming later than this, its spinning pauses itself: it would only take
     * CPU from the other. 0 turns both off. Default 200 µs.
     */
    spinWaitUs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(10_000)), 200),
    /**
     * Limits on the fetches the host performs for handlers (docs/security.md,
     * "Host calls"). A fetch beyond one fails inside the handler with its own
     * code; the invocation goes on.
     */
    hostFetch: v.optional(
      v.strictObject({
        /** Fetches one invocation may have in flight (`FETCH_CONCURRENCY_LIMIT`). Default 16. */
        maxConcurrentPerInvocation: v.optional(PositiveInt, 16),
        /** Fetches one worker may have in flight, all its invocations together (`FETCH_CONCURRENCY_LIMIT`). Default 64. */
        maxConcurrentPerWorker: v.optional(PositiveInt, 64),
        /**
         * Bytes the host holds for one invocation's fetches together: request
         * bodies waiting to be sent, response bodies being read or waiting to
         * reach the worker (`FETCH_BUFFER_LIMIT`). Default: `maxBodyBytes`.
         */
        maxBufferedBytes: v.optional(PositiveInt),
        /**
         * Outbound sockets open in this host process, every pool together,
         * beyond which this pool's fetches fail (`HOST_SOCKETS_EXHAUSTED`).
         * Default: half the process's descriptor limit, at most 4096.
         */
        maxSockets: v.optional(PositiveInt),
      }),
      {},
    ),
    /** Grace period for a worker to exit after `shutdown` before it is killed. Default 2000 ms. */
    shutdownTimeoutMs: v.optional(TimerMs, 2000),

    // ---- the unit-test sandbox ----
    /**
     * quickjs-wasm: run the sandboxes on the host's own thread instead of
     * the shared worker threads: no thread hop per call, but a handler that
     * computes holds the host's event loop, and a sandbox stuck in one long
     * native step cannot be stopped (no thread to terminate). For tests.
     * Default false.
     */
    inline: v.optional(v.boolean(), false),
    /**
     * Replaces the network of this pool: the handler's `fetch` reaches this
     * function instead of going out, once the profile's checks passed
     * (`allowNetwork`, `allowedDomains`). For tests: mocked or recorded
     * responses. Every runtime. Default: the real network, through the host.
     */
    fetch: v.optional(
      v.custom<(request: Request) => Response | Promise<Response>>(
        (f) => typeof f === 'function',
        'must be a function (request: Request) => Response | Promise<Response>',
      ),
    ),
    /**
     * quickjs-wasm and quickjs-ng: a fake clock starting at this instant (ms
     * since the epoch). `Date`, `performance.now` and timers then move only
     * when the test calls `pool.advanceTime(ms)`; deadlines and CPU limits
     * stay on the real clock. Default: the real clock.
     */
    fakeClock: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
    /**
     * quickjs-wasm and quickjs-ng: seeds `Math.random`, `crypto.getRandomValues`
     * and `crypto.randomUUID`, so a run repeats exactly (the same values on
     * both runtimes). Every worker of the pool starts from the seed. Never for
     * secrets. Default: real entropy.
     */
    randomSeed: v.optional(v.pipe(v.number(), v.safeInteger())),
    /**
     * `'worker'`: a worker's global state survives from one invocation to the
     * next. `'invocation'` (quickjs-wasm and quickjs-ng): every invocation
     * gets a fresh context, with the prelude and the handler loaded anew; work
     * the previous one left running is dropped. Invocations that overlap in
     * one worker (`concurrency` > 1) share a context. Default `'worker'`.
     */
    isolation: v.optional(v.picklist(['worker', 'invocation']), 'worker'),
  }),
  v.forward(
    v.check((o) => o.runtime === 'quickjs-wasm' || !o.inline, 'inline needs runtime quickjs-wasm'),
    ['inline'],
  ),
  v.forward(
    v.check(
      (o) => o.runtime !== 'bun' || (o.fakeClock === undefined && o.randomSeed === undefined && o.isolation === 'worker'),
      'fakeClock, randomSeed and isolation: "invocation" need runtime quickjs-ng or quickjs-wasm (Bun has no such control)',
    ),
    ['runtime'],
  ),
  v.forward(
    v.check((o) => o.minWorkers <= o.maxWorkers, 'minWorkers must not exceed maxWorkers'),
    ['minWorkers'],
  ),
  v.forward(
    v.check((o) => o.osSandbox || !o.requireOsSandbox, 'requireOsSandbox needs osSandbox'),
    ['requireOsSandbox'],
  ),
);

export type PoolOptions = v.InferInput<typeof PoolOptionsSchema>;
export type ResolvedPoolOptions = Omit<v.InferOutput<typeof PoolOptionsSchema>, 'maxMessageBytes' | 'hostFetch'> & {
  maxMessageBytes: number;
  hostFetch: HostFetchLimits;
};

/** `hostFetch` with every default filled in. */
export interface HostFetchLimits {
  maxConcurrentPerInvocation: number;
  maxConcurrentPerWorker: number;
  maxBufferedBytes: number;
  maxSockets: number;
}

/** `issues` from parsing with `schema` (default: the pool options) in the user's words. */
export function issuesOf(issues: readonly v.BaseIssue<unknown>[], schema: unknown = PoolOptionsSchema): ValidationIssue[] {
  return describeIssues(schema, issues, 'option');
}

export function formatIssues(prefix: string, issues: readonly ValidationIssue[]): string {
  return `${prefix}: ${issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')}`;
}

/** Validates `createPool` options, filling in defaults. Throws `InvalidOptionsError` naming every bad field. */
export function validateOptions(input: unknown): ResolvedPoolOptions {
  const parsed = v.safeParse(PoolOptionsSchema, input);
  if (!parsed.success) {
    const issues = issuesOf(parsed.issues);
    throw new InvalidOptionsError(formatIssues('Invalid pool options', issues), issues);
  }
  const options = parsed.output;
  return {
    ...options,
    maxMessageBytes: options.maxMessageBytes ?? Math.ceil((options.maxBodyBytes * 4) / 3) + MB,
    hostFetch: {
      maxConcurrentPerInvocation: options.hostFetch.maxConcurrentPerInvocation,
      maxConcurrentPerWorker: options.hostFetch.maxConcurrentPerWorker,
      maxBufferedBytes: options.hostFetch.maxBufferedBytes ?? options.maxBodyBytes,
      maxSockets: options.hostFetch.maxSockets ?? defaultSocketLimit(),
    },
  };
}
