// The city calendar lives in service-kit (one calendar, one default zone for every room).
export { CityCalendar, WEEKDAY_INDEX, type LocalTime } from '../service-kit/index.ts';
