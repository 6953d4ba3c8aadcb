import { readFileSync } from 'node:fs';
import * as variantModule from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSSyncVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import { EngineStrings } from './engine-strings.js';
import { guardedMemory } from './memory-growth.js';
import { allocateJobSlot } from './pending-jobs.js';

// The package's types describe its CommonJS build; under ESM its variant is the default export.
const variant = (variantModule as unknown as { default: QuickJSSyncVariant }).default;


export interface Engine {
  module: QuickJSWASMModule;
  /** QuickJS-NG version inside the WebAssembly build, as the engine reports it. */
  version: string;
  /** The guest binding (guest-binding.js) and the prelude, as bundled by scripts/build-wasm-prelude.mjs. */
  binding: string;
  prelude: string;
  /** Exact, fast strings between host and engine; undefined if this build's format is not the expected one (engine-strings.ts). */
  strings: EngineStrings | undefined;
  /** The lazily evaluated parts of the prelude, by the name `native.loadLazy` uses (CMakeLists.txt's list). */
  lazy: Map<string, string>;
  /** The module's word for the job queue's last context (pending-jobs.ts). */
  jobSlot: number;
}

let engine: Promise<Engine> | undefined;

/**
 * Forgets this thread's engine: the next sandbox loads a new module. For an
 * engine that threw out of a call (local-port.ts): its memory may hold a
 * half-made allocation or a stack pointer left mid-call.
 */
export function discardEngine(): void {
  engine = undefined;
}

/**
 * The QuickJS-NG WebAssembly module and the prelude sources, loaded once per
 * thread: every sandbox on the thread is a runtime inside this one module.
 */
export function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const read = (name: string): string => readFileSync(new URL(`./prelude/${name}.js`, import.meta.url), 'utf8');
    const parts = JSON.parse(readFileSync(new URL('./prelude/parts.json', import.meta.url), 'utf8')) as string[];
    // The memory is ours so that each growth is charged to a sandbox (memory-growth.ts).
    const module = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmMemory: guardedMemory() }));
    const probe = module.newRuntime();
    const version = /([0-9]+\.[0-9]+\.[0-9]+)/.exec(probe.dumpMemoryUsage())?.[1] ?? 'unknown';
    const probeContext = probe.newContext();
    // Module memory, not the probe's: it outlives the probe.
    const jobSlot = allocateJobSlot(probe, probeContext);
    probeContext.dispose();
    probe.dispose();
    return {
      module,
      version,
      binding: read('binding'),
      prelude: read('index'),
      strings: EngineStrings.probe(module),
      lazy: new Map(parts.map((part) => [part, read(part)])),
      jobSlot,
    };
  })();
  return engine;
}
