import { parse, serialize } from 'cookie';

export async function run(request) {
  return {
    parsed: parse(request.headers.get('cookie') ?? ''),
    set: serialize('session', 'a b;c', { httpOnly: true, maxAge: 3600, path: '/', sameSite: 'lax', secure: true }),
  };
}
