// Who is asking: passthrough tenants from headers and connectionParams, service mode behind
// gateway keys, tenant keys, and that only the four credential values ever reach the upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/index.ts';
import { createTenantResolver, TenantAuthError } from '../../src/tenants/index.ts';
import { createUpstreamClient } from '../../src/upstream/index.ts';
import { type FakeUpstream, sampleJob, startFakeUpstream } from '../support/fake-upstream.ts';

const passthrough = createTenantResolver({ mode: 'passthrough' });

const headers = {
  authorization: 'Bearer token-one',
  'x-api-key': 'client-a',
  'x-gw-ims-org-id': 'ORG1@AdobeOrg',
  'x-sandbox-name': 'prod',
};

function authErrorOf(run: () => unknown): TenantAuthError {
  try {
    run();
  } catch (error) {
    if (error instanceof TenantAuthError) return error;
    throw error;
  }
  throw new Error('expected a TenantAuthError, but the call succeeded');
}

describe('passthrough', () => {
  it('builds a tenant from HTTP headers', async () => {
    const tenant = passthrough.fromHeaders(new Headers(headers));
    expect(tenant).toMatchObject({
      orgId: 'ORG1@AdobeOrg',
      sandboxName: 'prod',
      apiKey: 'client-a',
      mode: 'passthrough',
      canRenew: false,
    });
    expect(await tenant.authorization()).toBe('Bearer token-one');
    expect(tenant.key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('builds the same tenant from connectionParams at top level or nested in headers', () => {
    const fromHttp = passthrough.fromHeaders(headers);
    expect(passthrough.fromConnectionParams(headers).key).toBe(fromHttp.key);
    expect(passthrough.fromConnectionParams({ headers }).key).toBe(fromHttp.key);
    expect(
      passthrough.fromConnectionParams({ Authorization: headers.authorization, headers }).key,
    ).toBe(fromHttp.key);
  });

  it('throws TenantAuthError with code UNAUTHENTICATED naming the header, without the token', () => {
    const error = authErrorOf(() =>
      passthrough.fromHeaders({
        ...headers,
        authorization: 'Token token-one',
        'x-sandbox-name': 'Prod',
      }),
    );
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain('authorization: expected "Bearer <access token>"');
    expect(error.message).toContain('x-sandbox-name: expected a lower-case sandbox name');
    expect(error.message).not.toContain('token-one');
    expect(error.problems).toHaveLength(2);
  });

  it('throws for an empty connection_init payload', () => {
    expect(authErrorOf(() => passthrough.fromConnectionParams(undefined)).problems).toHaveLength(4);
  });

  it('gives the same key to the same credentials, and distinct keys otherwise', () => {
    const key = (overrides: Partial<typeof headers>) =>
      passthrough.fromHeaders({ ...headers, ...overrides }).key;
    const base = key({});
    expect(key({})).toBe(base);
    const variants = [
      key({ authorization: 'Bearer token-two' }),
      key({ 'x-api-key': 'client-b' }),
      key({ 'x-gw-ims-org-id': 'ORG2@AdobeOrg' }),
      key({ 'x-sandbox-name': 'dev' }),
    ];
    expect(new Set([base, ...variants]).size).toBe(5);
  });

  it('never puts the token into the key', () => {
    const tenant = passthrough.fromHeaders(headers);
    expect(tenant.key).not.toContain('token-one');
  });
});

describe('service mode', () => {
  const credential = {
    kind: 'static' as const,
    accessToken: 'service-token',
    apiKey: 'service-client',
    orgId: 'SVC@AdobeOrg',
    sandboxName: 'prod',
  };
  const auth = (gatewayApiKeys: string[]): GatewayConfig['auth'] => ({
    mode: 'service',
    credential,
    gatewayApiKeys,
  });

  it('admits a caller with a known x-gateway-key, from headers or connectionParams', async () => {
    const resolver = createTenantResolver(auth(['key-1', 'key-2']));
    const tenant = resolver.fromHeaders({ 'X-Gateway-Key': 'key-2' });
    expect(tenant).toMatchObject({
      mode: 'service',
      orgId: 'SVC@AdobeOrg',
      apiKey: 'service-client',
    });
    expect(await tenant.authorization()).toBe('Bearer service-token');
    expect(resolver.fromConnectionParams({ 'x-gateway-key': 'key-1' })).toBe(tenant);
    expect(resolver.fromConnectionParams({ headers: { 'x-gateway-key': 'key-1' } })).toBe(tenant);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing key', {}, 'x-gateway-key: missing'],
    [
      'an unknown key',
      { 'x-gateway-key': 'key-3' },
      'x-gateway-key: expected a key issued for this gateway, but got an unknown key',
    ],
    ['a prefix of a known key', { 'x-gateway-key': 'key-' }, 'unknown key'],
    ['passthrough headers instead of a key', headers, 'x-gateway-key: missing'],
  ])('refuses %s', (_name, sent, problem) => {
    const resolver = createTenantResolver(auth(['key-1', 'key-2']));
    const error = authErrorOf(() => resolver.fromHeaders(sent));
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain('key-1');
  });

  it('needs no key when none is configured', () => {
    const resolver = createTenantResolver(auth([]));
    expect(resolver.fromHeaders({}).mode).toBe('service');
  });

  it('shares one tenant object across all requests', () => {
    const resolver = createTenantResolver(auth([]));
    expect(resolver.fromHeaders({})).toBe(resolver.fromConnectionParams({}));
  });

  it('has a key distinct from a passthrough caller with the same org and sandbox', () => {
    const resolver = createTenantResolver(auth([]));
    const service = resolver.fromHeaders({});
    const caller = passthrough.fromHeaders({
      authorization: 'Bearer service-token',
      'x-api-key': 'service-client',
      'x-gw-ims-org-id': 'SVC@AdobeOrg',
      'x-sandbox-name': 'prod',
    });
    expect(service.key).not.toBe(caller.key);
  });
});

describe('nothing but the four credential values reaches the upstream', () => {
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await startFakeUpstream(() => ({
      body: sampleJob({ id: 'job-1' }, { orgId: 'ORG1@AdobeOrg', sandboxName: 'prod' }),
    }));
  });

  afterAll(async () => {
    await fake.close();
  });

  it('drops cookies, forwarding headers and anything else the client sent', async () => {
    const tenant = passthrough.fromHeaders({
      ...headers,
      cookie: 'session=abc',
      'x-forwarded-for': '10.0.0.1',
      'x-gateway-key': 'k',
      'x-request-id': 'client-chosen',
      'x-custom': 'y',
      host: 'evil.example',
    });
    const client = createUpstreamClient({ baseUrl: fake.baseUrl });
    try {
      await client.getJob(tenant, 'job-1');
    } finally {
      await client.close();
    }
    const sent = fake.requests[0]?.headers ?? {};
    expect(Object.keys(sent).sort()).toEqual(
      [
        'accept',
        'authorization',
        'connection',
        'host',
        'user-agent',
        'x-api-key',
        'x-gw-ims-org-id',
        'x-request-id',
        'x-sandbox-name',
      ].sort(),
    );
    expect(sent.host).not.toBe('evil.example');
    expect(sent['x-request-id']).not.toBe('client-chosen');
  });
});
