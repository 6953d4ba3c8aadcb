import { h, Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { renderToString } from 'preact-render-to-string';

function Counter({ start }) {
  const [count] = useState(start);
  return h('button', { class: 'c', 'data-n': count }, `Count: ${count}`);
}

export async function run() {
  const items = ['a', '<b>', 'c&d'];
  return renderToString(
    h(
      Fragment,
      null,
      h('h1', { style: { color: 'red' } }, 'List'),
      h(
        'ul',
        null,
        items.map((i) => h('li', { key: i }, i)),
      ),
      h(Counter, { start: 3 }),
    ),
  );
}
