import Handlebars from 'handlebars';

export async function run() {
  const render = Handlebars.compile('Hi {{name}}! {{#each items}}[{{this}}]{{/each}} {{html}}');
  return render({ name: 'Ada', items: ['x', 'y'], html: '<b>' });
}
