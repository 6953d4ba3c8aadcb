// ReadableStream, WritableStream, TransformStream and the queuing
// strategies from web-streams-polyfill, loaded on first use.
import { installLazy, isLoaded, loadLazy } from './lazy.js';

const NAMES = ['ReadableStream', 'ReadableStreamDefaultReader', 'WritableStream', 'TransformStream', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy'];

export function loadStreams() {
  return loadLazy('streams', '__qw_streams', NAMES);
}

export function installLazyStreams() {
  installLazy(NAMES, loadStreams);
}

// Without the polyfill loaded nobody can hold a ReadableStream.
export function isReadableStream(value) {
  return isLoaded('streams') && value instanceof loadStreams().ReadableStream;
}
