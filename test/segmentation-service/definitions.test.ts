import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  createClient,
  createDefinition,
  type DefinitionView,
  errorMessage,
  type RunningService,
  startService,
  TENANT_A,
} from './helpers.ts';

interface DefinitionList {
  segments: DefinitionView[];
  page: {
    totalCount: number;
    totalPages: number;
    sortField: string;
    sort: string;
    pageSize: number;
    limit: number;
  };
  link: { next?: string };
}

const textExpression = (value: string) => ({ type: 'PQL', format: 'pql/text', value });

describe('segment definitions', () => {
  let running: RunningService;
  let client: Client;

  beforeAll(async () => {
    running = await startService();
    client = createClient(running.baseUrl, TENANT_A);
  });
  afterAll(() => running.dispose());

  it('creates a definition with the OpenAPI fields and the default merge policy', async () => {
    const response = await client.post<DefinitionView>('/segment/definitions', {
      name: 'People in the US',
      description: 'Work address in the US',
      expression: textExpression('workAddress.country = "US"'),
      schema: { name: '_xdm.context.profile' },
    });
    expect(response.status).toBe(200);
    const definition = response.body;
    expect(definition).toMatchObject({
      imsOrgId: TENANT_A.orgId,
      sandbox: { sandboxName: 'prod' },
      profileInstanceId: 'ups',
      name: 'People in the US',
      description: 'Work address in the US',
      expression: textExpression('workAddress.country = "US"'),
      schema: { name: '_xdm.context.profile' },
      evaluationInfo: {
        batch: { enabled: true },
        continuous: { enabled: false },
        synchronous: { enabled: false },
      },
      dataGovernancePolicy: { excludeOptOut: true },
    });
    expect(typeof definition.creationTime).toBe('number');
    const second = await createDefinition(client, 'Another', 'a = 1');
    expect(second.mergePolicyId).toBe(definition.mergePolicyId);
    expect((await client.get(`/segment/definitions/${definition.id}`)).body).toEqual(definition);
  });

  it('keeps payloadSchema and the other documented fields on get, list and bulk-get', async () => {
    const body = {
      name: 'With payload schema',
      description: 'documented fields',
      profileInstanceId: 'ups',
      expression: textExpression('workAddress.country = "US"'),
      evaluationInfo: {
        batch: { enabled: false },
        continuous: { enabled: true },
        synchronous: { enabled: false },
      },
      schema: { name: '_xdm.context.profile' },
      payloadSchema: 'string',
      dataGovernancePolicy: { excludeOptOut: false },
    };
    const created = await client.post<DefinitionView>('/segment/definitions', body);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject(body);
    const { id } = created.body;
    expect((await client.get(`/segment/definitions/${id}`)).body).toEqual(created.body);
    const listed = await client.get<DefinitionList>('/segment/definitions?limit=100');
    expect(listed.body.segments.find((definition) => definition.id === id)).toEqual(created.body);
    const bulk = await client.post<{ results: Record<string, unknown> }>(
      '/segment/definitions/bulk-get',
      { ids: [{ id }] },
    );
    expect(bulk.body.results[id]).toEqual(created.body);
    const patched = await client.patch<DefinitionView>(`/segment/definitions/${id}`, {
      payloadSchema: 'other',
      dataGovernancePolicy: { excludeOptOut: true },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      payloadSchema: 'other',
      description: 'documented fields',
    });
    expect(patched.body.dataGovernancePolicy).toEqual({ excludeOptOut: true });
  });

  it.each([
    ['a payloadSchema that is not a string', { payloadSchema: 5 }, /payloadSchema: /],
    [
      'a dataGovernancePolicy without a boolean',
      { dataGovernancePolicy: { excludeOptOut: 'yes' } },
      /dataGovernancePolicy\.excludeOptOut: /,
    ],
  ])('rejects %s with 400', async (_, extra, message) => {
    const response = await client.post('/segment/definitions', {
      name: 'Typed fields',
      expression: textExpression('a = 1'),
      ...extra,
    });
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(message);
  });

  it('accepts pql/json (the OpenAPI example) and type omitted', async () => {
    const value =
      '{"nodeType":"fnApply","fnName":"=","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}},{"nodeType":"fieldLookup","fieldName":"b","object":{"nodeType":"parameterReference","position":1}}]}';
    const response = await client.post<DefinitionView>('/segment/definitions', {
      name: 'JSON form',
      expression: { format: 'pql/json', value },
    });
    expect(response.status).toBe(200);
    expect(response.body.expression).toEqual({ type: 'PQL', format: 'pql/json', value });
  });

  it('rejects a PQL expression that does not compile, saying where', async () => {
    const response = await client.post('/segment/definitions', {
      name: 'Broken',
      expression: textExpression('workAddress.country = '),
    });
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(
      /^invalid PQL in expression\.value \(pql\/text\) at position 22: /,
    );
    expect(
      (await client.get<DefinitionList>('/segment/definitions?limit=100')).body.segments.map(
        (d) => d.name,
      ),
    ).not.toContain('Broken');
  });

  it('rejects a pql/json expression that does not compile, saying where', async () => {
    const response = await client.post('/segment/definitions', {
      name: 'Broken JSON',
      expression: { type: 'PQL', format: 'pql/json', value: '{"nodeType":"fnApply"}' },
    });
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(
      /^invalid PQL in expression\.value \(pql\/json\) at /,
    );
  });

  it.each([
    ['no name', { expression: textExpression('a = 1') }, /^invalid segment definition: name: /],
    ['no expression', { name: 'x' }, /expression: /],
    [
      'an ARL expression',
      { name: 'x', expression: { type: 'ARL', format: 'pql/text', value: 'a' } },
      /expression\.type: expected "PQL"/,
    ],
    [
      'an unknown format',
      { name: 'x', expression: { format: 'sql', value: 'a' } },
      /expression\.format: /,
    ],
    [
      'a number as name',
      { name: 5, expression: textExpression('a = 1') },
      /name: .*expected string/,
    ],
    [
      'a matches pattern that needs backtracking',
      { name: 'x', expression: textExpression('a.matches("(a+)\\\\1")') },
      /at position 10: expected a matches pattern with .* but got a backreference \\1/,
    ],
    [
      'an unknown merge policy',
      { name: 'x', expression: textExpression('a = 1'), mergePolicyId: 'nope' },
      /mergePolicyId to name a merge policy of this sandbox/,
    ],
  ])('rejects %s with 400', async (_, body, message) => {
    const response = await client.post('/segment/definitions', body);
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(message);
  });

  it('rejects a duplicate name with 422', async () => {
    await createDefinition(client, 'Unique name', 'a = 1');
    const response = await client.post('/segment/definitions', {
      name: 'Unique name',
      expression: textExpression('b = 2'),
    });
    expect(response.status).toBe(422);
    expect(errorMessage(response.body)).toContain('"Unique name" already exists');
  });

  it('patches name, description and expression; validates each', async () => {
    const definition = await createDefinition(client, 'To patch', 'a = 1');
    const patched = await client.patch<DefinitionView>(`/segment/definitions/${definition.id}`, {
      name: 'Patched',
      description: 'now with b',
      expression: textExpression('b = 2'),
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: definition.id,
      name: 'Patched',
      description: 'now with b',
      expression: textExpression('b = 2'),
      creationTime: definition.creationTime,
    });
    expect(patched.body.updateTime).toBeGreaterThan(definition.updateTime as number);

    const badPql = await client.patch(`/segment/definitions/${definition.id}`, {
      expression: textExpression('b = = 2'),
    });
    expect(badPql.status).toBe(400);
    expect(errorMessage(badPql.body)).toContain('at position 4');
    const taken = await client.patch(`/segment/definitions/${definition.id}`, {
      name: 'Unique name',
    });
    expect(taken.status).toBe(422);
    const empty = await client.patch(`/segment/definitions/${definition.id}`, {});
    expect(empty.status).toBe(400);
    expect(errorMessage(empty.body)).toContain('at least one of name, description, expression');
    const unknown = await client.patch('/segment/definitions/nope', { name: 'x' });
    expect(unknown.status).toBe(404);
    expect((await client.get(`/segment/definitions/${definition.id}`)).body).toEqual(patched.body);
  });

  it('deletes with 200 {status, message}, then 404', async () => {
    const definition = await createDefinition(client, 'To delete', 'a = 1');
    const response = await client.delete(`/segment/definitions/${definition.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: true,
      message: `segment definition ${definition.id} deleted`,
    });
    expect((await client.get(`/segment/definitions/${definition.id}`)).status).toBe(404);
    expect((await client.delete(`/segment/definitions/${definition.id}`)).status).toBe(404);
  });

  it('bulk-gets definitions with 207 and an error entry for unknown ids', async () => {
    const definition = await createDefinition(client, 'Bulk one', 'a = 1');
    const response = await client.post<{ results: Record<string, unknown> }>(
      '/segment/definitions/bulk-get',
      { ids: [{ id: definition.id }, { id: 'missing' }] },
    );
    expect(response.status).toBe(207);
    expect(response.body.results[definition.id]).toEqual(definition);
    expect(response.body.results.missing).toMatchObject({ id: 'missing', error: { status: 404 } });
    expect((await client.post('/segment/definitions/bulk-get', { ids: [] })).status).toBe(400);
  });
});

describe('listing segment definitions', () => {
  let running: RunningService;
  let client: Client;
  let created: DefinitionView[];

  beforeAll(async () => {
    running = await startService();
    client = createClient(running.baseUrl, TENANT_A);
    created = [];
    for (const name of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) {
      created.push(await createDefinition(client, name, 'a = 1'));
    }
  });
  afterAll(() => running.dispose());

  it('answers its own envelope, newest first, with link.next while more remain', async () => {
    const first = await client.get<DefinitionList>('/segment/definitions?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.page).toEqual({
      totalCount: 5,
      totalPages: 3,
      sortField: 'creationTime',
      sort: 'desc',
      pageSize: 2,
      limit: 2,
    });
    expect(first.body.link).toEqual({ next: '/segment/definitions?limit=2&start=2' });
    const names: string[] = [];
    let path: string | undefined = '/segment/definitions?limit=2';
    while (path !== undefined) {
      const page: { body: DefinitionList } = await client.get<DefinitionList>(path);
      names.push(...page.body.segments.map((definition) => definition.name));
      path = page.body.link.next;
    }
    const newestFirst = [...created]
      .sort(
        (a, b) =>
          (b.creationTime as number) - (a.creationTime as number) || a.id.localeCompare(b.id),
      )
      .map((definition) => definition.name);
    expect(names).toEqual(newestFirst);
  });

  it('sorts by name and pages with page=', async () => {
    const response = await client.get<DefinitionList>(
      '/segment/definitions?sort=name:asc&limit=2&page=1',
    );
    expect(response.body.segments.map((definition) => definition.name)).toEqual([
      'charlie',
      'delta',
    ]);
    expect(response.body.page).toMatchObject({ sortField: 'name', sort: 'asc' });
    const last = await client.get<DefinitionList>('/segment/definitions?sort=name:asc&start=4');
    expect(last.body.link).toEqual({});
  });

  it('sorts by several keys, as the OpenAPI example name:asc,internalId:desc', async () => {
    const byName = await client.get<DefinitionList>(
      '/segment/definitions?sort=name:asc,internalId:desc',
    );
    expect(byName.status).toBe(200);
    expect(byName.body.segments.map((definition) => definition.name)).toEqual([
      'alpha',
      'bravo',
      'charlie',
      'delta',
      'echo',
    ]);
    expect(byName.body.page).toMatchObject({ sortField: 'name', sort: 'asc' });
    // Every creationTime may tie within one millisecond: internalId (the id) decides then.
    const byTime = await client.get<DefinitionList>(
      '/segment/definitions?sort=creationTime:asc,internalId:desc',
    );
    const expected = [...created]
      .sort(
        (a, b) =>
          (a.creationTime as number) - (b.creationTime as number) || b.id.localeCompare(a.id),
      )
      .map((definition) => definition.name);
    expect(byTime.body.segments.map((definition) => definition.name)).toEqual(expected);
    expect(byTime.body.link).toEqual({});
  });

  it.each([
    [
      'an unknown field',
      'sort=name:asc,status:desc',
      /one of name, internalId, creationTime, updateTime .*but got "status"/,
    ],
    ['a field twice', 'sort=name:asc,name:desc', /"name" more than once/],
    ['a bad direction', 'sort=name:up', /"name:up"/],
    ['an empty key', 'sort=name:asc,', /""/],
  ])('refuses a sort with %s, naming what is allowed', async (_, query, message) => {
    const response = await client.get(`/segment/definitions?${query}`);
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(message);
  });

  it('rejects bad list parameters with 400', async () => {
    for (const query of ['limit=0', 'sort=status:asc', 'start=x']) {
      expect((await client.get(`/segment/definitions?${query}`)).status).toBe(400);
    }
  });
});
