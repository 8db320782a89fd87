// The service credential against a fake Adobe IMS: the form it posts, one token request for many
// concurrent callers, caching, renewal before expiry (injected clock), renewal after an upstream
// 401 with the call retried once, and failures that never show the client secret.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig, ServiceCredential } from '../../src/config/index.ts';
import { createTenantResolver, type TenantResolverOptions } from '../../src/tenants/index.ts';
import {
  createUpstreamClient,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../../src/upstream/index.ts';
import { type FakeIms, startFakeIms } from '../support/fake-ims.ts';
import { type FakeUpstream, sampleJob, startFakeUpstream } from '../support/fake-upstream.ts';

const CLIENT_SECRET = 'p8e-VERY-SECRET-VALUE';
let ims: FakeIms;

beforeAll(async () => {
  ims = await startFakeIms({
    expiresInSeconds: 1_000,
    clientId: 'client-1',
    clientSecret: CLIENT_SECRET,
  });
});

afterAll(async () => {
  await ims.close();
});

function credential(overrides: Partial<Extract<ServiceCredential, { kind: 'ims' }>> = {}) {
  return {
    kind: 'ims' as const,
    clientId: 'client-1',
    clientSecret: CLIENT_SECRET,
    scopes: 'openid,AdobeID,read_organizations',
    imsUrl: ims.url,
    apiKey: 'client-1',
    orgId: 'SVC@AdobeOrg',
    sandboxName: 'prod',
    ...overrides,
  };
}

function serviceTenant(
  overrides: Partial<Extract<ServiceCredential, { kind: 'ims' }>> = {},
  options: TenantResolverOptions = {},
) {
  const auth: GatewayConfig['auth'] = {
    mode: 'service',
    credential: credential(overrides),
    gatewayApiKeys: [],
  };
  return createTenantResolver(auth, options).fromHeaders({});
}

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw new Error(`expected an UpstreamError, but got ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('IMS token', () => {
  it('posts the client credentials form and returns a Bearer token', async () => {
    const before = ims.tokenRequests;
    const tenant = serviceTenant();
    expect(tenant.canRenew).toBe(true);
    const authorization = await tenant.authorization();
    expect(ims.tokenRequests).toBe(before + 1);
    const request = ims.requests.at(-1);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-1',
      client_secret: CLIENT_SECRET,
      scope: 'openid,AdobeID,read_organizations',
    });
    expect(authorization).toBe(`Bearer ${ims.issuedTokens.at(-1)}`);
  });

  it('fetches once for many concurrent callers, then serves from the cache', async () => {
    const slowIms = await startFakeIms({ delayMs: 50 });
    try {
      const tenant = serviceTenant({ imsUrl: slowIms.url });
      const all = await Promise.all(Array.from({ length: 20 }, () => tenant.authorization()));
      expect(new Set(all).size).toBe(1);
      expect(slowIms.tokenRequests).toBe(1);
      await tenant.authorization();
      expect(slowIms.tokenRequests).toBe(1);
    } finally {
      await slowIms.close();
    }
  });

  it('renews before expiry: not before 90% of the lifetime, and before it ends', async () => {
    let nowMs = 1_000_000;
    const tenant = serviceTenant({}, { now: () => nowMs });
    const before = ims.tokenRequests;
    const first = await tenant.authorization();
    nowMs += 899_000; // 89.9% of the 1000 s lifetime
    expect(await tenant.authorization()).toBe(first);
    expect(ims.tokenRequests).toBe(before + 1);
    nowMs += 1_000; // 90%: still valid for 100 s, renewed now
    const second = await tenant.authorization();
    expect(second).not.toBe(first);
    expect(ims.tokenRequests).toBe(before + 2);
  });

  it('forceRefresh asks IMS now, once for concurrent callers', async () => {
    const slowIms = await startFakeIms({ delayMs: 30 });
    try {
      const tenant = serviceTenant({ imsUrl: slowIms.url });
      const first = await tenant.authorization();
      const renewed = await Promise.all([
        tenant.authorization({ forceRefresh: true }),
        tenant.authorization({ forceRefresh: true }),
        tenant.authorization(),
      ]);
      expect(slowIms.tokenRequests).toBe(2);
      expect(renewed[0]).not.toBe(first);
      expect(renewed[1]).toBe(renewed[0]);
    } finally {
      await slowIms.close();
    }
  });

  it('keeps the current token when a renewal before expiry fails', async () => {
    let nowMs = 0;
    const warnings: string[] = [];
    const tenant = serviceTenant(
      {},
      { now: () => nowMs, logger: { warn: (_d, m) => warnings.push(m) } },
    );
    const first = await tenant.authorization();
    nowMs += 950_000;
    ims.respondWith([{ status: 503 }]);
    expect(await tenant.authorization()).toBe(first);
    expect(warnings).toHaveLength(1);
  });

  it('refused credentials → UNAUTHENTICATED, without the secret', async () => {
    const tenant = serviceTenant({ clientSecret: 'wrong-secret-xyz' });
    const error = await failureOf(tenant.authorization());
    expect(error).toBeInstanceOf(UpstreamUnauthenticatedError);
    expect(error.upstreamCode).toBe('invalid_client');
    expect(error.message).toContain('refused the service credential');
    expect(error.message).not.toContain('wrong-secret-xyz');
  });

  it.each([
    ['a 500', { status: 500 }, UpstreamUnavailableError],
    [
      'a body without a token',
      { status: 200, body: { token_type: 'bearer' } },
      UpstreamUnavailableError,
    ],
    ['garbage', { status: 200, body: 'not json' }, UpstreamUnavailableError],
    ['a dropped connection', { destroy: true }, UpstreamUnavailableError],
  ])('%s from IMS → a clear error without the secret', async (_name, response, errorClass) => {
    ims.respondWith([response]);
    const error = await failureOf(serviceTenant().authorization());
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(/IMS/);
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(CLIENT_SECRET);
  });

  it('an IMS that does not answer → a timeout error', async () => {
    ims.respondWith([{ hang: true }]);
    const error = await failureOf(serviceTenant({}, { imsTimeoutMs: 100 }).authorization());
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('a failed fetch is not cached: the next caller asks again', async () => {
    ims.respondWith([{ status: 503 }]);
    const tenant = serviceTenant();
    await failureOf(tenant.authorization());
    await expect(tenant.authorization()).resolves.toMatch(/^Bearer ims-token-/);
  });

  it('a static credential cannot renew', async () => {
    const tenant = createTenantResolver({
      mode: 'service',
      credential: {
        kind: 'static',
        accessToken: 'fixed',
        apiKey: 'k',
        orgId: 'O@AdobeOrg',
        sandboxName: 'prod',
      },
      gatewayApiKeys: [],
    }).fromHeaders({});
    expect(tenant.canRenew).toBe(false);
    expect(await tenant.authorization({ forceRefresh: true })).toBe('Bearer fixed');
  });
});

describe('renewal after an upstream 401', () => {
  let fake: FakeUpstream;

  beforeAll(async () => {
    // The upstream accepts exactly the tokens IMS issued and has not revoked.
    fake = await startFakeUpstream((request) =>
      ims.isValid(request.headers.authorization)
        ? { body: sampleJob({ id: 'job-1' }, { orgId: 'SVC@AdobeOrg', sandboxName: 'prod' }) }
        : { status: 401, body: { error_code: '401013', message: 'Oauth token is not valid' } },
    );
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await fake.close();
  });

  it('renews the revoked token once and retries the call once', async () => {
    const tenant = serviceTenant();
    const client = createUpstreamClient({ baseUrl: fake.baseUrl });
    try {
      await client.getJob(tenant, 'job-1');
      const requestsBefore = ims.tokenRequests;
      const revoked = (await tenant.authorization()).replace('Bearer ', '');
      ims.revoke(revoked);
      fake.reset();
      await expect(client.getJob(tenant, 'job-1')).resolves.toMatchObject({ id: 'job-1' });
      expect(ims.tokenRequests).toBe(requestsBefore + 1);
      expect(fake.requests.map((request) => request.headers.authorization)).toEqual([
        `Bearer ${revoked}`,
        `Bearer ${ims.issuedTokens.at(-1)}`,
      ]);
    } finally {
      await client.close();
    }
  });

  it('gives up with UNAUTHENTICATED when the fresh token is refused too', async () => {
    const tenant = serviceTenant();
    const client = createUpstreamClient({ baseUrl: fake.baseUrl });
    fake.respondWith(() => ({ status: 401, body: { error_code: '401013', message: 'no' } }));
    try {
      const requestsBefore = ims.tokenRequests;
      const error = await failureOf(client.getJob(tenant, 'job-1'));
      expect(error).toBeInstanceOf(UpstreamUnauthenticatedError);
      expect(fake.requests).toHaveLength(2);
      expect(ims.tokenRequests).toBe(requestsBefore + 2);
    } finally {
      await client.close();
    }
  });
});
