import { produce, enablePatches, produceWithPatches } from 'immer';

enablePatches();

export async function run() {
  const base = {
    todos: [
      { id: 1, done: false },
      { id: 2, done: false },
    ],
    meta: { count: 2 },
  };
  const next = produce(base, (draft) => {
    draft.todos[0].done = true;
    draft.todos.push({ id: 3, done: false });
    draft.meta.count += 1;
  });
  const [, patches] = produceWithPatches(base, (draft) => {
    draft.meta.count = 10;
  });
  return {
    next,
    untouched: base.todos[0].done === false,
    shared: next.todos[1] === base.todos[1],
    frozen: Object.isFrozen(next.todos),
    patches,
  };
}
