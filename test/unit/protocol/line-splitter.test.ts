import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../lib/protocol/line-splitter.js';

function collect(max = 1024) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const splitter = new LineSplitter(max, (l) => lines.push(l), (n) => overflows.push(n));
  return { splitter, lines, overflows };
}

describe('LineSplitter', () => {
  it('joins a line split across many chunks', () => {
    const { splitter, lines } = collect();
    for (const part of ['{"a":', '1', '}\n']) splitter.push(Buffer.from(part));
    expect(lines).toEqual(['{"a":1}']);
  });

  it('splits many messages in one chunk and keeps the tail for later', () => {
    const { splitter, lines } = collect();
    splitter.push(Buffer.from('one\ntwo\nthr'));
    expect(lines).toEqual(['one', 'two']);
    splitter.push(Buffer.from('ee\n'));
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('decodes a multi-byte UTF-8 character split between chunks', () => {
    const { splitter, lines } = collect();
    const bytes = Buffer.from('zażółć 🙂\n');
    for (let i = 0; i < bytes.length; i++) splitter.push(bytes.subarray(i, i + 1));
    expect(lines).toEqual(['zażółć 🙂']);
  });

  it('does not keep a reference to a chunk the caller may reuse', () => {
    const { splitter, lines } = collect();
    const chunk = Buffer.from('abc');
    splitter.push(chunk);
    chunk.fill(0x78);
    splitter.push(Buffer.from('\n'));
    expect(lines).toEqual(['abc']);
  });

  it('skips empty lines', () => {
    const { splitter, lines } = collect();
    splitter.push(Buffer.from('\n\na\n\n'));
    expect(lines).toEqual(['a']);
  });

  it('reports a line over the limit once and stops, whether or not it has ended', () => {
    const ended = collect(10);
    ended.splitter.push(Buffer.from('0123456789abc\nnext\n'));
    expect(ended.overflows).toEqual([13]);
    expect(ended.lines).toEqual([]);
    const open = collect(10);
    open.splitter.push(Buffer.from('01234567'));
    open.splitter.push(Buffer.from('89abc'));
    open.splitter.push(Buffer.from('more\n'));
    expect(open.overflows).toEqual([13]);
    expect(open.lines).toEqual([]);
  });

  it('accepts a line exactly at the limit', () => {
    const { splitter, lines, overflows } = collect(5);
    splitter.push(Buffer.from('12345\n'));
    expect(lines).toEqual(['12345']);
    expect(overflows).toEqual([]);
  });
});
