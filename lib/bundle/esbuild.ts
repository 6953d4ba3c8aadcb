import type * as Esbuild from 'esbuild';
import { BundleLoadError } from '../errors.js';

let loading: Promise<typeof Esbuild> | undefined;

/**
 * esbuild is an optional peer dependency: its binary is about 11 MB, and a
 * host that ships prebuilt bundles (`source.code` / `source.path`) never needs
 * it. It is loaded on the first `source.entry` build.
 */
export function loadEsbuild(): Promise<typeof Esbuild> {
  loading ??= import('esbuild').then(
    (module) => (module as { default?: typeof Esbuild }).default ?? module,
    (error: unknown) => {
      loading = undefined;
      throw new BundleLoadError(
        'source.entry needs esbuild to bundle the handler, and it is not installed: run `npm install esbuild` ' +
          '(an optional peer dependency of bunbase-functions), or pass a prebuilt bundle as source.code / source.path',
        { cause: error },
      );
    },
  );
  return loading;
}
