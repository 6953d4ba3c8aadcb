import { chunk, groupBy, merge, sortBy, uniqBy, kebabCase, get, cloneDeep, isEqual } from 'lodash-es';

export async function run() {
  const people = [
    { n: 'ada', a: 36 },
    { n: 'bob', a: 20 },
    { n: 'cy', a: 36 },
    { n: 'ada', a: 50 },
  ];
  const deep = { a: { b: [1, { c: 2 }] } };
  const copy = cloneDeep(deep);
  return {
    chunks: chunk([1, 2, 3, 4, 5], 2),
    byAge: groupBy(people, 'a'),
    merged: merge({ a: { x: 1 } }, { a: { y: 2 } }),
    sorted: sortBy(people, ['a', 'n']).map((p) => p.n),
    unique: uniqBy(people, 'n').length,
    kebab: kebabCase('Hello World_fooBar'),
    path: get(deep, 'a.b[1].c'),
    equal: isEqual(copy, deep) && copy !== deep,
  };
}
