// A handler written in TypeScript with npm packages: hono routes, zod checks the input.
// The host bundles it (createPool({ source: { entry } }) or buildHandler()); no build step of your own.
import { Hono } from 'hono';
import { z } from 'zod';

type Env = { Bindings: { GREETING: string } };

const Order = z.object({
  item: z.string().min(1),
  quantity: z.number().int().positive(),
  express: z.boolean().default(false),
});
type Order = z.infer<typeof Order>;

function price(order: Order): number {
  const base = order.quantity * 4.5;
  return order.express ? base + 10 : base;
}

const app = new Hono<Env>();

app.get('/hello/:name', (c) => c.text(`${c.env.GREETING}, ${c.req.param('name')}!`));

app.post('/orders', async (c) => {
  const parsed = Order.safeParse(await c.req.json());
  if (!parsed.success) return c.json({ errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 400);
  console.log('order for', parsed.data.item);
  return c.json({ ...parsed.data, total: price(parsed.data) }, 201);
});

app.get('/fail', () => {
  throw new Error('this line is shown in the stack, in handler.ts');
});

// Let errors reach the host as HANDLER_ERROR with their stack, instead of hono's plain 500.
app.onError((error) => {
  throw error;
});

export default app;
