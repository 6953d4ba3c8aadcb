// performance.mark/measure and the entry getters of User Timing, on top of
// the engine's performance.now()/timeOrigin. Entries belong to the worker,
// not to one invocation (as in a browser tab): at most MAX_ENTRIES are kept,
// the oldest going first, so a handler that marks on every request cannot
// grow the worker without bound.
const MAX_ENTRIES = 1000;

class PerformanceEntry {
  #name;
  #type;
  #start;
  #duration;
  constructor(name, type, start, duration) {
    this.#name = name;
    this.#type = type;
    this.#start = start;
    this.#duration = duration;
  }
  get name() {
    return this.#name;
  }
  get entryType() {
    return this.#type;
  }
  get startTime() {
    return this.#start;
  }
  get duration() {
    return this.#duration;
  }
  toJSON() {
    return { name: this.name, entryType: this.entryType, startTime: this.startTime, duration: this.duration, detail: this.detail };
  }
}

export class PerformanceMark extends PerformanceEntry {
  #detail;
  constructor(name, options = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'PerformanceMark': 1 argument required, but only 0 present.");
    const start = options?.startTime === undefined ? performance.now() : Number(options.startTime);
    if (!(start >= 0)) throw new TypeError("Failed to construct 'PerformanceMark': startTime cannot be negative");
    super(String(name), 'mark', start, 0);
    this.#detail = options?.detail === undefined ? null : structuredClone(options.detail);
  }
  get detail() {
    return this.#detail;
  }
}

export class PerformanceMeasure extends PerformanceEntry {
  #detail;
  constructor(key, name, start, duration, detail) {
    if (key !== CREATE) throw new TypeError('Illegal constructor');
    super(name, 'measure', start, duration);
    this.#detail = detail;
  }
  get detail() {
    return this.#detail;
  }
}

const CREATE = Symbol('create');
const entries = [];

function record(entry) {
  entries.push(entry);
  if (entries.length > MAX_ENTRIES) entries.shift();
  return entry;
}

function timeOf(markOrTime, what) {
  if (typeof markOrTime === 'number') return markOrTime;
  const name = String(markOrTime);
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].entryType === 'mark' && entries[i].name === name) return entries[i].startTime;
  throw new DOMException(`Failed to execute 'measure' on 'Performance': The mark '${name}' does not exist (${what}).`, 'SyntaxError');
}

function remove(type, name) {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].entryType === type && (name === undefined || entries[i].name === String(name))) entries.splice(i, 1);
}

export function installUserTiming(performance) {
  Object.assign(performance, {
    mark(name, options = undefined) {
      return record(new PerformanceMark(name, options));
    },
    measure(name, startOrOptions = undefined, endMark = undefined) {
      let start = 0;
      let end = performance.now();
      let detail = null;
      if (startOrOptions !== null && typeof startOrOptions === 'object') {
        const o = startOrOptions;
        if (o.start !== undefined) start = timeOf(o.start, 'start');
        if (o.end !== undefined) end = timeOf(o.end, 'end');
        else if (o.duration !== undefined && o.start !== undefined) end = start + Number(o.duration);
        if (o.duration !== undefined && o.end !== undefined && o.start === undefined) start = end - Number(o.duration);
        if (o.detail !== undefined) detail = structuredClone(o.detail);
      } else if (startOrOptions !== undefined) {
        start = timeOf(startOrOptions, 'start');
      }
      if (endMark !== undefined) end = timeOf(endMark, 'end');
      return record(new PerformanceMeasure(CREATE, String(name), start, end - start, detail));
    },
    getEntries() {
      return [...entries].sort((a, b) => a.startTime - b.startTime);
    },
    getEntriesByType(type) {
      return this.getEntries().filter((e) => e.entryType === String(type));
    },
    getEntriesByName(name, type = undefined) {
      return this.getEntries().filter((e) => e.name === String(name) && (type === undefined || e.entryType === String(type)));
    },
    clearMarks(name = undefined) {
      remove('mark', name);
    },
    clearMeasures(name = undefined) {
      remove('measure', name);
    },
    toJSON() {
      return { timeOrigin: performance.timeOrigin };
    },
  });
}
