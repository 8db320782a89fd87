// Reads `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date in any of its three
// formats, as a wait in milliseconds that is never negative, never above a cap and never above
// what a Node timer can hold. Pure: the clock comes in as a number.

/** The longest delay `setTimeout` honours; a longer one fires after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The default cap of a `Retry-After` (`UPSTREAM_RETRY_AFTER_MAX_MS`): five minutes. Longer
 * would freeze a tenant's subscriptions for as long as the upstream asks (or its clock is off);
 * after five minutes the gateway looks again, and a still-throttling upstream says so again.
 */
export const DEFAULT_RETRY_AFTER_MAX_MS = 300_000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
// Sun Nov  6 08:49:37 1994
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * `Retry-After` as milliseconds from `nowMs`, at most `maxMs` (and at most
 * {@link MAX_TIMER_DELAY_MS}); a date in the past reads as 0. Undefined when absent or not a
 * valid value (negative, fractional, signed or garbage values are ignored, as RFC 9110 allows).
 */
export function parseRetryAfterMs(
  header: string | undefined,
  nowMs: number,
  maxMs: number = DEFAULT_RETRY_AFTER_MAX_MS,
): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  const capMs = Math.max(0, Math.min(maxMs, MAX_TIMER_DELAY_MS));
  if (/^\d+$/.test(value)) {
    // Number() of a long digit string is finite or Infinity, never NaN; both cap alike.
    return Math.min(Number(value) * 1_000, capMs);
  }
  const atMs = parseHttpDate(value);
  if (atMs === undefined) return undefined;
  return Math.min(Math.max(0, atMs - nowMs), capMs);
}

/** An HTTP-date in epoch milliseconds; undefined for anything else or an impossible date. */
export function parseHttpDate(value: string): number | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match !== null) {
    const [, day, month, year, hour, minute, second] = match;
    return utc(Number(year), month, Number(day), hour, minute, second);
  }
  match = RFC_850.exec(value);
  if (match !== null) {
    const [, day, month, shortYear, hour, minute, second] = match;
    // RFC 9110: a two-digit year more than 50 years in the future means the past century.
    const twoDigits = Number(shortYear);
    const thisYear = new Date().getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + twoDigits;
    if (year > thisYear + 50) year -= 100;
    return utc(year, month, Number(day), hour, minute, second);
  }
  match = ASCTIME.exec(value);
  if (match !== null) {
    const [, month, day, hour, minute, second, year] = match;
    return utc(Number(year), month, Number(day?.trim()), hour, minute, second);
  }
  return undefined;
}

function utc(
  year: number,
  monthName: string | undefined,
  day: number,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(monthName ?? '');
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  // 60 is a leap second: allowed by the grammar, read as the next second.
  if (month < 0 || hour > 23 || minute > 59 || second > 60) return undefined;
  const atMs = Date.UTC(year, month, day, hour, minute, second);
  // Date.UTC rolls 31 Feb over into March: a date that does not round-trip does not exist.
  const check = new Date(Date.UTC(year, month, day));
  if (check.getUTCMonth() !== month || check.getUTCDate() !== day) return undefined;
  return atMs;
}
