import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MAX_MS, parseRetryAfterMs } from './retry-after.ts';

const nowMs = Date.parse('2015-10-21T07:28:00Z');
const DAY_MS = 86_400_000;
const CAP = 300_000;

describe('parseRetryAfterMs (RFC 9110 §10.2.3: delta-seconds or HTTP-date), capped', () => {
  it.each<[string, string | undefined, number | undefined]>([
    ['absent', undefined, undefined],
    ['empty', '', undefined],
    ['blank', '   ', undefined],
    ['delta-seconds', '2', 2_000],
    ['delta-seconds with spaces', ' 120 ', 120_000],
    ['zero', '0', 0],
    ['leading zeros', '007', 7_000],
    ['exactly the cap', '300', CAP],
    ['just above the cap', '301', CAP],
    ['2^31 ms as seconds (overflows setTimeout)', '2147484', CAP],
    ['2,000,000 s (23 days)', '2000000', CAP],
    ['a huge number', '99999999999999999999999999', CAP],
    ['negative', '-1', undefined],
    ['negative zero', '-0', undefined],
    ['fractional', '1.5', undefined],
    ['exponent', '1e3', undefined],
    ['plus sign', '+5', undefined],
    ['hex', '0x10', undefined],
    ['garbage', 'soon', undefined],
    ['two values', '5, 6', undefined],
    ['IMF-fixdate 5 s ahead', 'Wed, 21 Oct 2015 07:28:05 GMT', 5_000],
    ['IMF-fixdate in the past', 'Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['IMF-fixdate far in the past', 'Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['IMF-fixdate 30 days ahead', 'Fri, 20 Nov 2015 07:28:00 GMT', CAP],
    ['IMF-fixdate in year 9999', 'Fri, 31 Dec 9999 23:59:59 GMT', CAP],
    ['RFC 850 date', 'Wednesday, 21-Oct-15 07:28:10 GMT', 10_000],
    ['asctime date', 'Wed Oct 21 07:28:20 2015', 20_000],
    ['asctime date, one-digit day', 'Thu Oct  1 07:28:00 2015', 0],
    ['a date without GMT', 'Wed, 21 Oct 2015 07:28:05', undefined],
    ['a date in another zone', 'Wed, 21 Oct 2015 07:28:05 +0200', undefined],
    ['ISO 8601 (not an HTTP-date)', '2015-10-21T07:28:05Z', undefined],
    ['an impossible date', 'Sat, 31 Feb 2015 07:28:05 GMT', undefined],
    ['an impossible time', 'Wed, 21 Oct 2015 25:28:05 GMT', undefined],
    ['an unknown month', 'Wed, 21 Foo 2015 07:28:05 GMT', undefined],
    ['a number-ish date', '1 GMT', undefined],
  ])('%s: %j → %j', (_name, header, expected) => {
    expect(parseRetryAfterMs(header, nowMs, CAP)).toBe(expected);
  });

  it('never returns more than the cap, nor more than a timer can hold', () => {
    const far = new Date(nowMs + 30 * DAY_MS).toUTCString();
    expect(parseRetryAfterMs(far, nowMs, CAP)).toBe(CAP);
    expect(parseRetryAfterMs('2147484', nowMs, 10 * 2 ** 31)).toBe(2 ** 31 - 1);
    expect(parseRetryAfterMs('2147484', nowMs)).toBe(DEFAULT_RETRY_AFTER_MAX_MS);
    expect(DEFAULT_RETRY_AFTER_MAX_MS).toBe(300_000);
  });

  it('clock skew: a date ahead of our clock counts from our clock, and is capped', () => {
    // The upstream's clock runs 40 days fast and it asks for one more minute.
    const skewedNow = nowMs + 40 * DAY_MS;
    const header = new Date(skewedNow + 60_000).toUTCString();
    expect(parseRetryAfterMs(header, nowMs, CAP)).toBe(CAP);
  });
});
