// ReadableStream, WritableStream, TransformStream and the queuing
// strategies from web-streams-polyfill, loaded on first use, plus
// TextEncoderStream and TextDecoderStream built on them.
import { installLazy, isLoaded, loadLazy } from './lazy.js';
import { TextDecoder, TextEncoder } from './encoding.js';

const NAMES = [
  'ReadableStream',
  'ReadableStreamDefaultReader',
  'WritableStream',
  'TransformStream',
  'ByteLengthQueuingStrategy',
  'CountQueuingStrategy',
  'TextEncoderStream',
  'TextDecoderStream',
];

function addTextStreams(mod) {
  const { TransformStream } = mod;
  mod.TextEncoderStream = class TextEncoderStream extends TransformStream {
    constructor() {
      const encoder = new TextEncoder();
      super({
        transform(chunk, controller) {
          const bytes = encoder.encode(String(chunk));
          if (bytes.length) controller.enqueue(bytes);
        },
      });
    }
    get encoding() {
      return 'utf-8';
    }
  };
  mod.TextDecoderStream = class TextDecoderStream extends TransformStream {
    #decoder;
    constructor(label = 'utf-8', options = undefined) {
      const decoder = new TextDecoder(label, options);
      super({
        transform(chunk, controller) {
          const text = decoder.decode(chunk, { stream: true });
          if (text) controller.enqueue(text);
        },
        flush(controller) {
          const text = decoder.decode();
          if (text) controller.enqueue(text);
        },
      });
      this.#decoder = decoder;
    }
    get encoding() {
      return this.#decoder.encoding;
    }
    get fatal() {
      return this.#decoder.fatal;
    }
    get ignoreBOM() {
      return this.#decoder.ignoreBOM;
    }
  };
}

export function loadStreams() {
  return loadLazy('streams', '__qw_streams', NAMES, addTextStreams);
}

export function installLazyStreams() {
  installLazy(NAMES, loadStreams);
}

// Without the polyfill loaded nobody can hold a ReadableStream.
export function isReadableStream(value) {
  return isLoaded('streams') && value instanceof loadStreams().ReadableStream;
}
