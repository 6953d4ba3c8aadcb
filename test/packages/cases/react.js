import { createElement as h, useId, useState, Fragment } from 'react';
import { renderToString } from 'react-dom/server';

function Field({ label, initial }) {
  const id = useId();
  const [value] = useState(initial);
  return h(Fragment, null, h('label', { htmlFor: id }, label), h('input', { id, defaultValue: value, 'data-x': '<&>' }));
}

export async function run() {
  const rows = [1, 2, 3].map((n) => h('li', { key: n, className: n % 2 ? 'odd' : 'even' }, `item ${n}`));
  return renderToString(h('main', null, h('h1', { style: { color: 'red', marginTop: 4 } }, 'Title & more'), h('ul', null, rows), h(Field, { label: 'Name', initial: 'Ada' })));
}
