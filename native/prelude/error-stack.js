// The engine's Error.prototype.stack setter accepts strings only, so
// `err.stack = undefined` (superjson does it) throws. Any other value now
// becomes an own data property, as it would in V8 or JavaScriptCore.
export function fixErrorStackSetter() {
  const desc = Object.getOwnPropertyDescriptor(Error.prototype, 'stack');
  if (!desc?.set) return;
  const set = desc.set;
  Object.defineProperty(Error.prototype, 'stack', {
    get: desc.get,
    set(value) {
      if (typeof value === 'string' || this === Error.prototype || (typeof this !== 'object' && typeof this !== 'function') || this === null) {
        set.call(this, value);
        return;
      }
      Object.defineProperty(this, 'stack', { value, writable: true, enumerable: true, configurable: true });
    },
    enumerable: desc.enumerable,
    configurable: true,
  });
}
