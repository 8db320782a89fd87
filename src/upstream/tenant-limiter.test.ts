import { describe, expect, it } from 'vitest';
import { type Acquisition, createTenantLimiter } from './tenant-limiter.ts';

const never = new AbortController().signal;

function granted(acquisition: Acquisition): () => void {
  if (!acquisition.ok) throw new Error(`expected a slot, but got ${acquisition.reason}`);
  return acquisition.release;
}

describe('tenant limiter', () => {
  it('grants up to maxConcurrent per key at once, then queues in order', async () => {
    const limiter = createTenantLimiter({ maxConcurrent: 2, maxQueued: 5 });
    const first = granted(await limiter.acquire('a', never));
    granted(await limiter.acquire('a', never));
    const order: string[] = [];
    const inOrder = (name: string) => (acquisition: Acquisition) => {
      order.push(name);
      return acquisition;
    };
    const third = limiter.acquire('a', never).then(inOrder('third'));
    const fourth = limiter.acquire('a', never).then(inOrder('fourth'));
    expect(limiter.load('a')).toEqual({ active: 2, queued: 2 });
    // Another key is not affected.
    granted(await limiter.acquire('b', never));
    first();
    granted(await third);
    expect(order).toEqual(['third']);
    expect(limiter.load('a')).toEqual({ active: 2, queued: 1 });
    void fourth;
  });

  it('refuses at once when the queue is full, saying how loaded the key is', async () => {
    const limiter = createTenantLimiter({ maxConcurrent: 1, maxQueued: 1 });
    granted(await limiter.acquire('a', never));
    void limiter.acquire('a', never);
    expect(await limiter.acquire('a', never)).toEqual({
      ok: false,
      reason: 'queue-full',
      active: 1,
      queued: 1,
    });
  });

  it('a waiter whose signal aborts (caller gone, or deadline passed) leaves the queue', async () => {
    const limiter = createTenantLimiter({ maxConcurrent: 1, maxQueued: 1 });
    const release = granted(await limiter.acquire('a', never));
    const abort = new AbortController();
    const waiting = limiter.acquire('a', abort.signal);
    abort.abort();
    expect(await waiting).toEqual({ ok: false, reason: 'aborted' });
    expect(limiter.load('a')).toEqual({ active: 1, queued: 0 });
    expect(await limiter.acquire('a', abort.signal)).toEqual({ ok: false, reason: 'aborted' });
    release();
    expect(limiter.load('a')).toEqual({ active: 0, queued: 0 });
  });

  it('releasing twice frees one slot only', async () => {
    const limiter = createTenantLimiter({ maxConcurrent: 1, maxQueued: 0 });
    const release = granted(await limiter.acquire('a', never));
    release();
    granted(await limiter.acquire('a', never));
    release();
    expect(limiter.load('a')).toEqual({ active: 1, queued: 0 });
  });
});
