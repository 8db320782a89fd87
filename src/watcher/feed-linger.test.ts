import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  advertisesFeed,
  createFeedLinger,
  isLingerOver,
  lingerEndsAt,
  startsLinger,
  wantsFeed,
} from './feed-linger.ts';

describe('whether the feed lingers after a subscriber left', () => {
  it.each([
    ['the last subscriber left, with a stream', 300_000, true, 0, false, true],
    ['lingering turned off (0)', 0, true, 0, false, false],
    ['no Redis stream: nothing to resume', 300_000, false, 0, false, false],
    ['other feed subscribers remain', 300_000, true, 1, false, false],
    ['the poller is closing (shutdown or refusal)', 300_000, true, 0, true, false],
  ])('%s', (_name, lingerMs, hasStream, feedSubscribersLeft, isClosing, expected) => {
    expect(startsLinger({ lingerMs, hasStream, feedSubscribersLeft, isClosing })).toBe(expected);
  });
});

describe('whether the feed is polled and advertised', () => {
  it.each([
    [false, false, false, false, false],
    [true, false, false, true, true],
    [false, true, false, true, true],
    [false, false, true, true, false],
    [true, true, true, true, true],
  ])(
    'local %s, lingering %s, registered by a replica %s: polled %s, advertised %s',
    (hasLocalFeed, isLingering, hasRegisteredFeed, polled, advertised) => {
      expect(wantsFeed({ hasLocalFeed, isLingering, hasRegisteredFeed })).toBe(polled);
      expect(advertisesFeed({ hasLocalFeed, isLingering })).toBe(advertised);
    },
  );
});

describe('when a linger ends', () => {
  it.each([
    [1_000, 500, 1_400, false],
    [1_000, 500, 1_500, true],
    [1_000, 500, 2_000, true],
    [1_000, 0, 1_000, true],
  ])('started at %d for %d ms: over at %d is %s', (startedAt, lingerMs, now, expected) => {
    expect(isLingerOver(lingerEndsAt(startedAt, lingerMs), now)).toBe(expected);
  });
});

describe('the linger timer', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const lingerFor = (lingerMs: number, onEnd: () => void) =>
    createFeedLinger({ lingerMs, onEnd, now: () => clock });

  const advance = (ms: number): void => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  it('ends once, after its full time', () => {
    const onEnd = vi.fn();
    const linger = lingerFor(1_000, onEnd);
    linger.start();
    advance(999);
    expect(onEnd).not.toHaveBeenCalled();
    expect(linger.remainingMs()).toBe(1);
    advance(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(linger.isActive).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restarts from the latest start', () => {
    const onEnd = vi.fn();
    const linger = lingerFor(1_000, onEnd);
    linger.start();
    advance(600);
    linger.start();
    advance(600);
    expect(onEnd).not.toHaveBeenCalled();
    advance(400);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('leaves no timer and never ends once cancelled (a subscriber came back, or shutdown)', () => {
    const onEnd = vi.fn();
    const linger = lingerFor(1_000, onEnd);
    linger.start();
    expect(vi.getTimerCount()).toBe(1);
    linger.cancel();
    expect(vi.getTimerCount()).toBe(0);
    expect(linger.isActive).toBe(false);
    expect(linger.remainingMs()).toBeUndefined();
    advance(5_000);
    expect(onEnd).not.toHaveBeenCalled();
  });

  it('waits for what is left when its timer fires early', () => {
    const onEnd = vi.fn();
    const linger = lingerFor(1_000, onEnd);
    linger.start();
    // The timer fires while the clock says 10 ms remain.
    clock += 990;
    vi.advanceTimersByTime(1_000);
    expect(onEnd).not.toHaveBeenCalled();
    expect(linger.isActive).toBe(true);
    advance(10);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });
});
