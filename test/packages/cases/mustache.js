import Mustache from 'mustache';

export async function run() {
  const view = { name: 'Ada', items: [{ n: 'x' }, { n: 'y' }], html: '<b>&</b>', none: false };
  return Mustache.render('Hi {{name}}! {{#items}}[{{n}}]{{/items}} {{html}} {{{html}}} {{^none}}empty{{/none}}', view);
}
