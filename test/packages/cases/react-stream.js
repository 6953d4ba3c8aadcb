import { createElement as h } from 'react';
import { renderToReadableStream } from 'react-dom/server';

function List({ items }) {
  return h('ol', null, items.map((i) => h('li', { key: i }, i)));
}

// The streaming renderer: React schedules its work through a MessageChannel.
export async function run() {
  const stream = await renderToReadableStream(h('section', null, h('p', null, 'streamed'), h(List, { items: ['a', 'b'] })));
  await stream.allReady;
  return await new Response(stream).text();
}
