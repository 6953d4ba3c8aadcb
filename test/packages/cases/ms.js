import ms from 'ms';

export async function run() {
  return [ms('2 days'), ms('1h'), ms('-3.5m'), ms(60000), ms(3 * 86400000, { long: true }), ms('nonsense')];
}
