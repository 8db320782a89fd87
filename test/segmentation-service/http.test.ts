import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  createClient,
  createDefinition,
  errorMessage,
  type RunningService,
  type ServiceErrorView,
  simpleProfile,
  startService,
  TENANT_A,
} from './helpers.ts';

describe('HTTP behaviour of the embedded service', () => {
  let running: RunningService;
  let client: Client;

  beforeAll(async () => {
    running = await startService({ maxProfilesBodyBytes: 4_096 });
    client = createClient(running.baseUrl, TENANT_A);
  });
  afterAll(() => running.dispose());

  async function stillAnswers(): Promise<void> {
    const response = await client.get('/segment/jobs');
    expect(response.status).toBe(200);
  }

  it.each([
    ['no Authorization', { authorization: undefined }, 401, '401013', 'Oauth token is not valid'],
    [
      'a non-bearer Authorization',
      { authorization: 'Basic eDp5' },
      401,
      '401013',
      'Oauth token is not valid',
    ],
    ['no x-api-key', { 'x-api-key': undefined }, 403, '403000', 'Api Key is required'],
    [
      'no x-gw-ims-org-id',
      { 'x-gw-ims-org-id': undefined },
      400,
      '400003',
      'Missing required header: x-gw-ims-org-id',
    ],
    [
      'no x-sandbox-name',
      { 'x-sandbox-name': undefined },
      400,
      '400003',
      'Missing required header: x-sandbox-name',
    ],
  ])('answers %s with %i and the API gateway body', async (_, headers, status, code, message) => {
    for (const path of ['/segment/jobs', '/segment/definitions', running.profilesUrl]) {
      const response = await client.get(path, { headers });
      expect(response.status).toBe(status);
      expect(response.body).toEqual({ error_code: code, message });
    }
    await stillAnswers();
  });

  it('answers malformed JSON with 400 saying it does not parse', async () => {
    const response = await client.request('POST', '/segment/jobs', undefined, {
      rawBody: '[{"segmentId": "a",}]',
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 400, title: 'Bad request' });
    expect(errorMessage(response.body)).toMatch(/^expected a JSON body, but it does not parse: /);
    await stillAnswers();
  });

  it('answers an empty body with 400', async () => {
    const response = await client.request('POST', '/segment/definitions', undefined, {
      rawBody: '',
    });
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toBe('expected a JSON body, but the body is empty');
  });

  it('answers unknown routes with 404 and a wrong method with 405 and Allow', async () => {
    const unknown = await client.get('/segment/nothing');
    expect(unknown.status).toBe(404);
    expect(errorMessage(unknown.body)).toContain('GET /data/core/ups/segment/nothing');
    const wrong = await client.request('PUT', '/segment/jobs/some-id', {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, DELETE');
    expect((wrong.body as ServiceErrorView).errors['405']?.[0]?.code).toBe('UPAPI-1405-405');
    await stillAnswers();
  });

  it('echoes x-request-id, or makes one, on every response and in error bodies', async () => {
    const echoed = await client.get('/segment/jobs/unknown', {
      headers: { 'x-request-id': 'trace-me-42' },
    });
    expect(echoed.headers.get('x-request-id')).toBe('trace-me-42');
    expect((echoed.body as ServiceErrorView).requestId).toBe('trace-me-42');
    const made = await client.get('/segment/jobs');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const gateway = await client.get('/segment/jobs', { headers: { authorization: undefined } });
    expect(gateway.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a body over the limit with 413 and keeps serving', async () => {
    const profiles = Array.from({ length: 100 }, (_, index) => simpleProfile(`id-${index}`));
    const response = await client.post(running.profilesUrl, { profiles });
    expect(response.status).toBe(413);
    expect(errorMessage(response.body)).toBe(
      'expected a request body of at most 4096 bytes, but got more',
    );
    const count = await client.get<{ totalProfiles: number }>(running.profilesUrl);
    expect(count.body).toEqual({ totalProfiles: 0 });
  });

  it('answers JSON of the wrong shape with 400 naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/segment/jobs', { ids: 'x' }, /segments: .*expected array/],
      ['/segment/jobs/bulk-get', [1, 2], /ids: .*expected array|expected object/],
      ['/segment/definitions', null, /expected object/],
      [running.profilesUrl, { profiles: [{ person: {} }] }, /profiles\[0\]\.identityMap/],
      [running.profilesUrl, { profiles: [{ identityMap: {} }] }, /at least one identity/],
      [running.profilesUrl, { profiles: [], replace: 'yes' }, /replace: .*expected boolean/],
    ];
    for (const [path, body, message] of cases) {
      const response = await client.post(path, body);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(errorMessage(response.body)).toMatch(message);
    }
    await stillAnswers();
  });

  it('writes nothing when one profile of an upload is invalid', async () => {
    const response = await client.post(running.profilesUrl, {
      profiles: [simpleProfile('good'), { identityMap: { ECID: [{ id: '' }] } }],
    });
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toContain('profiles[1].identityMap.ECID[0].id');
    const count = await client.get<{ totalProfiles: number }>(running.profilesUrl);
    expect(count.body).toEqual({ totalProfiles: 0 });
  });

  it('survives hostile input and keeps its data intact', async () => {
    const definition = await createDefinition(client, 'Kept', 'a = 1');
    const hostile: [string, string, string | undefined][] = [
      [
        'POST',
        '/segment/definitions',
        '{"name":"__proto__","expression":{"format":"pql/text","value":"constructor = 1"}}',
      ],
      ['POST', '/segment/jobs', '{"__proto__":{"polluted":true}}'],
      ['GET', '/segment/jobs?property=__proto__.polluted==true', undefined],
      ['GET', `/segment/jobs/${encodeURIComponent("' OR 1=1 --")}`, undefined],
      ['POST', '/segment/jobs/bulk-get', '{"ids":[{"id":"\' OR \'1\'=\'1"}]}'],
      ['GET', '/segment/definitions?sort=name;DROP TABLE jobs', undefined],
      ['POST', '/segment/jobs', '9'.repeat(10_000)],
      ['POST', '/segment/jobs', '['.repeat(5_000)],
    ];
    for (const [method, path, rawBody] of hostile) {
      const response = await client.request(
        method,
        path,
        undefined,
        rawBody === undefined ? {} : { rawBody },
      );
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await client.get(`/segment/definitions/${definition.id}`)).body).toEqual(definition);
    await stillAnswers();
  });
});
