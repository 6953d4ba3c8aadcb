import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import relativeTime from 'dayjs/plugin/relativeTime.js';

dayjs.extend(utc);
dayjs.extend(relativeTime);

export async function run() {
  const d = dayjs.utc('2024-02-28T10:30:00Z');
  return {
    plus: d.add(1, 'day').format('YYYY-MM-DD HH:mm'),
    leap: d.add(2, 'day').format('ddd D MMM'),
    diff: dayjs.utc('2025-01-01').diff(d, 'day'),
    from: d.from(dayjs.utc('2024-05-01')),
    startOfWeek: d.startOf('week').toISOString(),
  };
}
