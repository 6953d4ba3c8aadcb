import * as v from 'valibot';
import { PROTOCOL_VERSION } from './constants.js';

const Id = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const HeaderList = v.array(v.strictTuple([v.string(), v.string()]));
const Body = v.nullable(v.string());

export const LOG_LEVELS = ['debug', 'info', 'log', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Error codes a worker may report itself; anything else is a protocol violation. */
export const WORKER_ERROR_CODES = [
  'HANDLER_ERROR',
  'CPU_LIMIT',
  'TIMEOUT',
  'MEMORY_LIMIT',
  'CAPABILITY_DENIED',
  'BUNDLE_LOAD_ERROR',
  'RESPONSE_TOO_LARGE',
] as const;

export const DENIABLE_CAPABILITIES = ['filesystem', 'network', 'childProcess', 'eval'] as const;

const ReadySchema = v.object({
  id: v.literal(0),
  type: v.literal('ready'),
  payload: v.object({
    protocol: v.literal(PROTOCOL_VERSION),
    runtime: v.pipe(v.string(), v.maxLength(64)),
    version: v.pipe(v.string(), v.maxLength(64)),
    pid: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    features: v.pipe(v.array(v.pipe(v.string(), v.maxLength(64))), v.maxLength(64)),
    sandbox: v.record(v.pipe(v.string(), v.maxLength(64)), v.union([v.pipe(v.string(), v.maxLength(256)), v.number(), v.boolean()])),
  }),
});

const ResponseSchema = v.object({
  id: Id,
  type: v.literal('response'),
  payload: v.object({
    status: v.pipe(v.number(), v.integer(), v.minValue(200), v.maxValue(599)),
    statusText: v.string(),
    headers: HeaderList,
    body: Body,
    cpuMs: v.pipe(v.number(), v.minValue(0)),
    peakMemoryBytes: v.pipe(v.number(), v.minValue(0)),
  }),
});

const ErrorSchema = v.object({
  id: Id,
  type: v.literal('error'),
  payload: v.object({
    code: v.picklist(WORKER_ERROR_CODES),
    name: v.optional(v.string()),
    message: v.string(),
    stack: v.optional(v.string()),
  }),
});

const LogSchema = v.object({
  id: Id,
  type: v.literal('log'),
  payload: v.object({
    level: v.picklist(LOG_LEVELS),
    message: v.string(),
    time: v.number(),
  }),
});

const DeniedSchema = v.object({
  id: Id,
  type: v.literal('denied'),
  payload: v.object({
    capability: v.picklist(DENIABLE_CAPABILITIES),
    target: v.pipe(v.string(), v.maxLength(4096)),
    rule: v.pipe(v.string(), v.maxLength(1024)),
  }),
});

const FetchArgsSchema = v.object({
  url: v.pipe(v.string(), v.maxLength(65536)),
  method: v.pipe(v.string(), v.maxLength(32)),
  headers: HeaderList,
  body: Body,
  redirect: v.optional(v.picklist(['follow', 'manual', 'error'])),
});

const CallSchema = v.object({
  id: Id,
  type: v.literal('call'),
  payload: v.object({
    call: Id,
    op: v.literal('fetch'),
    args: FetchArgsSchema,
  }),
});

/** The fake clock moved as `advanceTime` asked, its due timers ran (the unit-test sandbox). */
const AdvancedSchema = v.object({
  id: v.literal(0),
  type: v.literal('advanced'),
  payload: v.strictObject({}),
});

/** Every message a worker may send. Worker output is untrusted input. */
export const WorkerMessageSchema = v.variant('type', [
  ReadySchema,
  ResponseSchema,
  ErrorSchema,
  LogSchema,
  DeniedSchema,
  CallSchema,
  AdvancedSchema,
]);

export type WorkerMessage = v.InferOutput<typeof WorkerMessageSchema>;
export type ReadyMessage = v.InferOutput<typeof ReadySchema>;
export type ResponseMessage = v.InferOutput<typeof ResponseSchema>;
export type ErrorMessage = v.InferOutput<typeof ErrorSchema>;
export type LogMessage = v.InferOutput<typeof LogSchema>;
export type DeniedMessage = v.InferOutput<typeof DeniedSchema>;
export type CallMessage = v.InferOutput<typeof CallSchema>;
export type FetchArgs = v.InferOutput<typeof FetchArgsSchema>;
export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];
export type DeniableCapability = (typeof DENIABLE_CAPABILITIES)[number];

export type HeaderPairs = [string, string][];

/** Messages the host sends. They are built by trusted code, so they have types but no schema. */
export type HostMessage =
  | {
      id: 0;
      type: 'init';
      payload: {
        protocol: typeof PROTOCOL_VERSION;
        source: string;
        filename: string;
        env: Record<string, string>;
        capabilities: unknown;
        limits: { maxBodyBytes: number; maxLogBytes: number };
        /** Apply the OS fence before loading the bundle (workers that fence themselves). */
        osSandbox: boolean;
        /** The worker's private working directory (null without the OS fence). */
        workdir: string | null;
      };
    }
  | {
      id: number;
      type: 'invoke';
      payload: {
        method: string;
        url: string;
        headers: HeaderPairs;
        body: string | null;
        cpuMs: number;
        timeoutMs: number;
      };
    }
  | { id: number; type: 'cancel'; payload: Record<string, never> }
  | { id: 0; type: 'shutdown'; payload: Record<string, never> }
  /** Moves a fake clock (`fakeClock`, quickjs-ng); answered by `advanced`. */
  | { id: 0; type: 'advanceTime'; payload: { ms: number } }
  | {
      id: number;
      type: 'result';
      payload:
        | {
            call: number;
            ok: true;
            value: {
              status: number;
              statusText: string;
              url: string;
              redirected: boolean;
              headers: HeaderPairs;
              body: string | null;
            };
          }
        | { call: number; ok: false; error: { code: string; message: string } };
    };
