import { z } from 'zod';

export async function run(request) {
  const User = z.object({ name: z.string().min(2), age: z.number().int().positive(), tags: z.array(z.string()).default([]) });
  const good = User.parse({ name: 'Ada', age: 36 });
  const bad = User.safeParse({ name: 'A', age: -1 });
  const body = z.object({ hello: z.string() }).parse(await request.json());
  return { good, ok: bad.success, issues: bad.error?.issues.map((i) => [i.path.join('.'), i.code]), body };
}
