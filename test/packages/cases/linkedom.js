import { parseHTML } from 'linkedom';

export async function run() {
  const { document } = parseHTML(
    '<!doctype html><html><body><main><h1 id="t">Title</h1><p class="x">a</p><p class="x">b</p></main></body></html>',
  );
  const p = document.createElement('p');
  p.textContent = 'c';
  p.className = 'x';
  document.querySelector('main').appendChild(p);
  return {
    title: document.getElementById('t').textContent,
    paragraphs: [...document.querySelectorAll('p.x')].map((n) => n.textContent),
    html: document.querySelector('main').outerHTML,
  };
}
