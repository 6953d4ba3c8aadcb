// A minimal stand-in for ReadableStream: the whole body as one chunk.
export class SimpleStream {
  constructor(bytes, onRead) {
    this._bytes = bytes;
    this._onRead = onRead;
  }
  get locked() {
    return false;
  }
  getReader() {
    let done = false;
    const read = async () => {
      if (done) return { done: true, value: undefined };
      done = true;
      this._onRead();
      return { done: false, value: this._bytes };
    };
    return { read, releaseLock() {}, cancel: async () => {}, closed: Promise.resolve(undefined) };
  }
  async cancel() {}
  [Symbol.asyncIterator]() {
    const reader = this.getReader();
    return { next: reader.read, return: async () => ({ done: true, value: undefined }) };
  }
}

