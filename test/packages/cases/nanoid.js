import { customAlphabet, nanoid } from 'nanoid';

export async function run() {
  const ids = Array.from({ length: 50 }, () => nanoid());
  const short = customAlphabet('abc', 8)();
  return {
    lengths: [...new Set(ids.map((id) => id.length))],
    urlSafe: ids.every((id) => /^[A-Za-z0-9_-]+$/.test(id)),
    distinct: new Set(ids).size,
    short: /^[abc]{8}$/.test(short),
  };
}
