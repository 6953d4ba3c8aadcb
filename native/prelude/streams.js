// Bundled separately (see lazy-streams.js): the WHATWG Streams ponyfill
// (web-streams-polyfill, which is built from the spec's reference
// implementation), evaluated on first use of a stream.
import {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableStream,
  ReadableStreamDefaultReader,
  TransformStream,
  WritableStream,
} from 'web-streams-polyfill';

globalThis.__qw_streams = {
  ReadableStream,
  ReadableStreamDefaultReader,
  WritableStream,
  TransformStream,
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
};
