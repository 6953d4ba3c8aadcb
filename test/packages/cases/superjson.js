import superjson from 'superjson';

export async function run() {
  const value = {
    when: new Date(Date.UTC(2024, 0, 2)),
    tags: new Set(['a', 'b']),
    map: new Map([[1, 'one']]),
    big: 12345678901234567890n,
    re: /ab+c/gi,
    nothing: undefined,
  };
  const text = superjson.stringify(value);
  const back = superjson.parse(text);
  return {
    text,
    when: back.when instanceof Date && back.when.toISOString(),
    tags: [...back.tags],
    map: [...back.map],
    big: back.big.toString(),
    re: back.re.toString(),
    hasNothing: 'nothing' in back,
  };
}
