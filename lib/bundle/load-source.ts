import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { BundleLoadError } from '../errors.js';
import type { ResolvedPoolOptions } from '../options.js';
import { findCachedHandler, resolveHandler, type HandlerBundle } from './build-handler.js';
import { SourceMap } from './source-map.js';
import { createStackMapper, type StackMapper } from './stack-map.js';

/** What a pool's workers run. */
export interface PoolBundle {
  source: string;
  filename: string;
  /** Points positions in worker stacks, logs and messages at the original files; absent without a source map. */
  mapStack: StackMapper | undefined;
  /** The source map's JSON text, for callers that keep the bundle (the registry stores it with each version). */
  sourceMap: string | undefined;
}

/** A map the user passed is checked at once: a broken one is their input error, reported before any spawn. */
function withMap(source: string, filename: string, map: string | undefined): PoolBundle {
  if (map === undefined || map === '') return { source, filename, mapStack: undefined, sourceMap: undefined };
  let parsed: SourceMap;
  try {
    parsed = SourceMap.parse(map);
  } catch (error) {
    throw new BundleLoadError(`The source map of ${filename} is not a usable source map: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { source, filename, mapStack: createStackMapper(filename, parsed), sourceMap: map };
}

/** Our own build's map is parsed only when a stack first needs it. */
function fromHandler(bundle: HandlerBundle): PoolBundle {
  return {
    source: bundle.code,
    filename: bundle.filename,
    mapStack: createStackMapper(bundle.filename, () => SourceMap.parse(bundle.sourceMap)),
    sourceMap: bundle.sourceMap,
  };
}

/**
 * Turns `source` into the bundle the workers run: the text of `code`, the
 * file at `path`, or the built `entry`. A cached entry bundle is returned at
 * once; otherwise the promise of its build (the pool starts workers when it settles).
 */
export function loadSource(options: ResolvedPoolOptions): PoolBundle | Promise<PoolBundle> {
  const source = options.source;
  if ('code' in source) return withMap(source.code, source.filename, source.sourceMap);
  if ('path' in source) {
    const path = resolve(source.path);
    try {
      return withMap(readFileSync(path, 'utf8'), basename(path), undefined);
    } catch (error) {
      throw new BundleLoadError(`Cannot read the handler bundle at ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  const { entry, ...settings } = source;
  const cached = findCachedHandler(entry, options.runtime, settings);
  if (cached !== undefined) return fromHandler(cached);
  return resolveHandler(entry, options.runtime, settings).then(fromHandler);
}
