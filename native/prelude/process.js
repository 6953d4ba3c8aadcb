// A minimal `process`, the shape browser bundles have long been given
// (browserify's "process" shim): env, nextTick, browser: true, and empty
// version fields, so code that looks for Node (process.versions.node) does
// not find it. process.env is a copy of the pool's `env` (never the host's
// environment) with NODE_ENV defaulting to 'production': libraries such as
// React and immer read it to leave their development checks out, as a
// bundler's define would for a browser build.
export function processEnv(env) {
  return { NODE_ENV: 'production', ...env };
}

export function createProcess(env) {
  const noop = () => process;
  const process = {
    title: 'browser',
    browser: true,
    env: processEnv(env),
    argv: [],
    version: '',
    versions: {},
    nextTick(callback, ...args) {
      if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function.');
      queueMicrotask(() => callback(...args));
    },
    cwd: () => '/',
    on: noop,
    once: noop,
    off: noop,
    addListener: noop,
    removeListener: noop,
    removeAllListeners: noop,
    emit: () => false,
    listeners: () => [],
  };
  return process;
}
