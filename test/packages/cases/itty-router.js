import { AutoRouter, error } from 'itty-router';

export async function run(request) {
  const router = AutoRouter();
  router.get('/items/:id', ({ params, query }) => ({ id: params.id, sort: query.sort }));
  router.post('/run', async (req) => ({ body: await req.json() }));
  router.get('/fail', () => error(418, 'teapot'));
  const a = await router.fetch(new Request('http://r.test/items/7?sort=asc'));
  const b = await router.fetch(request);
  const c = await router.fetch(new Request('http://r.test/fail'));
  const d = await router.fetch(new Request('http://r.test/none'));
  return [await a.json(), await b.json(), c.status, await c.json(), d.status];
}
