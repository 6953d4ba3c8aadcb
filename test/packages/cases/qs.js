import qs from 'qs';

export async function run(request) {
  const parsed = qs.parse('a[b][c]=1&list[]=x&list[]=y&flag=&n=3', { allowDots: true });
  const text = qs.stringify({ filter: { name: 'ada', tags: ['x', 'y'] }, page: 2 }, { encodeValuesOnly: true });
  return { parsed, text, fromUrl: qs.parse(new URL(request.url).search, { ignoreQueryPrefix: true }) };
}
