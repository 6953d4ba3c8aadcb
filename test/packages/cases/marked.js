import { marked } from 'marked';

export async function run() {
  return marked.parse(
    '# Title\n\nSome *emphasis* and `code`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[link](https://example.test)',
    { async: false },
  );
}
