// The client's own guard: ids that are not ids never become a request path or a bulk-get entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  type UpstreamClient,
  UpstreamError,
} from '../../src/upstream/index.ts';
import {
  bulkBody,
  type FakeUpstream,
  fakeTenant,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
let fake: FakeUpstream;
let client: UpstreamClient;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = createUpstreamClient({ baseUrl: fake.baseUrl, maxAttempts: 1 });
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome instanceof UpstreamError) return outcome;
  throw new Error(`expected an UpstreamError, but got ${String(outcome)}`);
}

describe.each(['.', '..', '', '\uD800', 'a\uDC00b'])('the id %j', (id) => {
  it('getJob and cancelJob refuse it with BAD_USER_INPUT and send nothing', async () => {
    fake.reset();
    for (const call of [client.getJob(tenant, id), client.cancelJob(tenant, id)]) {
      const error = await failureOf(call);
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^expected a job id.*; not sent$/);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('bulkGetJobs answers it with an error entry and asks only for the others', async () => {
    fake.reset();
    fake.respondWith(() => bulkBody({ good: sampleJob({ id: 'good' }) }));
    const result = await client.bulkGetJobs(tenant, [id, 'good']);
    expect([...result.keys()]).toEqual([id, 'good']);
    expect((result.get(id) as UpstreamError).code).toBe('BAD_USER_INPUT');
    expect(fake.requests.map((request) => request.body)).toEqual([{ ids: [{ id: 'good' }] }]);
  });
});
