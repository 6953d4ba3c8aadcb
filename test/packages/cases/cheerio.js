import { load } from 'cheerio';

export async function run() {
  const $ = load('<ul id="l"><li class="a">One</li><li>Two <b>2</b></li><li class="a">Three</li></ul><p>x &amp; y</p>');
  $('li').last().after('<li>Four</li>');
  return {
    items: $('li')
      .map((_, el) => $(el).text())
      .get(),
    classed: $('li.a').length,
    text: $('p').text(),
    html: $('#l li').eq(1).html(),
  };
}
