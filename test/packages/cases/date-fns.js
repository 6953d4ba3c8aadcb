import { addMonths, differenceInCalendarDays, formatISO, isWeekend, parseISO, eachDayOfInterval, formatDistanceStrict } from 'date-fns';

export async function run() {
  const start = parseISO('2024-01-31T00:00:00Z');
  const end = parseISO('2024-03-15T00:00:00Z');
  return {
    month: formatISO(addMonths(start, 1), { representation: 'date' }),
    days: differenceInCalendarDays(end, start),
    weekends: eachDayOfInterval({ start, end }).filter(isWeekend).length,
    distance: formatDistanceStrict(start, end),
  };
}
