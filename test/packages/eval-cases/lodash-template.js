import { template } from 'lodash-es';

export async function run() {
  const render = template('Hi <%- data.name %>! <% data.items.forEach(function (i) { %>[<%= i %>]<% }); %>', { variable: 'data' });
  return render({ name: '<Ada>', items: ['x', 'y'] });
}
