import YAML from 'yaml';

export async function run() {
  const doc = YAML.parse('name: demo\nlist:\n  - 1\n  - two\nnested:\n  on: true\n  when: 2024-01-02\nanchor: &a {x: 1}\nref: *a\n');
  return { doc, text: YAML.stringify({ a: [1, { b: 'multi\nline' }], c: null }) };
}
