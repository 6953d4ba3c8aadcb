import { Hono } from 'hono';

export async function run(request) {
  const app = new Hono();
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') }));
  app.post('/run', async (c) => c.json({ got: await c.req.json(), x: c.req.query('x') }, 201));
  app.notFound((c) => c.text('nope', 404));
  const a = await app.fetch(new Request('http://app.test/users/42?q=hi'));
  const b = await app.fetch(request);
  const c = await app.fetch(new Request('http://app.test/missing'));
  return [await a.json(), b.status, await b.json(), c.status, await c.text()];
}
