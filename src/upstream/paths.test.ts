import { describe, expect, it } from 'vitest';
import { chunkIds, createJobBody, jobPath, listJobsQuery, withQuery } from './paths.ts';

describe('request targets', () => {
  it.each([
    ['abc', '/segment/jobs/abc'],
    ['a/b', '/segment/jobs/a%2Fb'],
    ['a?b#c', '/segment/jobs/a%3Fb%23c'],
    ['ü', '/segment/jobs/%C3%BC'],
  ])('jobPath(%j) = %s', (id, path) => {
    expect(jobPath(id)).toBe(path);
  });

  it('builds the list query in a stable order and leaves out what is not set', () => {
    expect(withQuery('/segment/jobs', listJobsQuery({}))).toBe('/segment/jobs');
    const query = listJobsQuery({
      start: '20',
      limit: 10,
      status: 'QUEUED',
      sort: { field: 'updateTime', direction: 'desc' },
      properties: ['a==1', 'b==2'],
    });
    expect(query.toString()).toBe(
      'start=20&limit=10&status=QUEUED&sort=updateTime%3Adesc&property=a%3D%3D1&property=b%3D%3D2',
    );
  });

  it('builds both create bodies', () => {
    expect(createJobBody({ kind: 'segments', segmentIds: ['s1', 's2'] })).toEqual([
      { segmentId: 's1' },
      { segmentId: 's2' },
    ]);
    expect(createJobBody({ kind: 'all', schemaName: 'x' })).toEqual({
      schema: { name: 'x' },
      segments: [{ segmentId: '*' }],
    });
  });

  it.each([
    [[], 2, []],
    [['a', 'b', 'a', 'c'], 2, [['a', 'b'], ['c']]],
    [['a', 'b', 'c'], 100, [['a', 'b', 'c']]],
  ])('chunkIds(%j, %i) = %j', (ids, size, chunks) => {
    expect(chunkIds(ids, size)).toEqual(chunks);
  });
});
