import { describe, expect, it } from 'vitest';
import {
  matchesProperty,
  nextPageHref,
  parseDefinitionListQuery,
  parseJobListQuery,
  parsePropertyFilter,
} from './list-query.ts';
import { ServiceError } from './service-errors.ts';

const params = (query: string) => new URLSearchParams(query);

describe('parseJobListQuery', () => {
  it('defaults to the first 20 jobs, newest first, unfiltered', () => {
    expect(parseJobListQuery(params(''))).toEqual({
      start: 0,
      limit: 20,
      sort: { field: 'creationTime', direction: 'desc' },
      properties: [],
    });
  });

  it.each([
    ['start=40&limit=100', { start: 40, limit: 100 }],
    ['status=QUEUED', { status: 'QUEUED' }],
    ['status=succeeded', { status: 'SUCCEEDED' }],
    ['sort=updateTime:asc', { sort: { field: 'updateTime', direction: 'asc' } }],
    ['sort=status:desc', { sort: { field: 'status', direction: 'desc' } }],
    ['sort=status', { sort: { field: 'status', direction: 'asc' } }],
  ])('reads %s', (query, expected) => {
    expect(parseJobListQuery(params(query))).toMatchObject(expected);
  });

  it.each([
    ['limit=0', /"limit" to be an integer from 1 to 100, but got "0"/],
    ['limit=101', /from 1 to 100, but got "101"/],
    ['limit=abc', /but got "abc"/],
    ['start=-1', /"start" to be an integer 0 or more, but got "-1"/],
    ['start=1.5', /but got "1.5"/],
    ['start=1&start=2', /at most one "start" parameter, but got 2/],
    [
      'status=DONE',
      /one of NEW, QUEUED, PROCESSING, SUCCEEDED, FAILED, CANCELLING, CANCELLED, but got "DONE"/,
    ],
    [
      'sort=name:asc',
      /"sort" to be one of creationTime:asc\|creationTime:desc.*but got "name:asc"/,
    ],
    ['sort=creationTime:up', /but got "creationTime:up"/],
    ['property=status', /path==value or array~key==value, but got "status"/],
    ['property=a..b==1', /dotted field names, but got "a..b==1"/],
  ])('rejects %s with a 400 that says what is allowed', (query, message) => {
    const attempt = () => parseJobListQuery(params(query));
    expect(attempt).toThrow(ServiceError);
    expect(attempt).toThrow(message);
  });
});

describe('parseDefinitionListQuery', () => {
  it.each([
    ['', { start: 0, limit: 20, sort: [{ field: 'creationTime', direction: 'desc' }] }],
    ['page=2&limit=10', { start: 20, limit: 10 }],
    ['start=5&page=2', { start: 5 }],
    ['sort=name:asc', { sort: [{ field: 'name', direction: 'asc' }] }],
    [
      'sort=name:asc,internalId:desc',
      {
        sort: [
          { field: 'name', direction: 'asc' },
          { field: 'internalId', direction: 'desc' },
        ],
      },
    ],
    [
      'sort= updateTime , name:desc',
      {
        sort: [
          { field: 'updateTime', direction: 'asc' },
          { field: 'name', direction: 'desc' },
        ],
      },
    ],
  ])('reads "%s"', (query, expected) => {
    expect(parseDefinitionListQuery(params(query))).toMatchObject(expected);
  });

  it('rejects a sort field definitions do not have', () => {
    expect(() => parseDefinitionListQuery(params('sort=status:asc'))).toThrow(
      /one of name, internalId, creationTime, updateTime .* but got "status"/,
    );
  });
});

describe('property filters', () => {
  const job = {
    status: 'SUCCEEDED',
    computeJobId: 42,
    sandbox: { sandboxName: 'prod', default: true },
    segments: [
      { segmentId: 'a', segment: { expression: { format: 'pql/text' } } },
      { segmentId: 'b', segment: { expression: { format: 'pql/json' } } },
    ],
  };

  it.each([
    ['status==SUCCEEDED', true],
    ['status==FAILED', false],
    ['computeJobId==42', true],
    ['sandbox.sandboxName==prod', true],
    ['sandbox.default==true', true],
    ['segments~segmentId==b', true],
    ['segments~segmentId==c', false],
    ['segments~segment.expression.format==pql/json', true],
    ['missing.path==x', false],
    ['sandbox==prod', false],
  ])('%s matches: %s', (raw, expected) => {
    expect(matchesProperty(job, parsePropertyFilter(raw))).toBe(expected);
  });

  it('keeps everything after the first == as the value', () => {
    expect(parsePropertyFilter('schema.name==a==b')).toMatchObject({ value: 'a==b' });
  });
});

describe('nextPageHref', () => {
  it('keeps every parameter, repeats included, and moves start on', () => {
    const query = params('limit=5&start=5&property=a==1&property=b==2&status=NEW');
    expect(nextPageHref('/segment/jobs', query, 10)).toBe(
      '/segment/jobs?limit=5&property=a%3D%3D1&property=b%3D%3D2&status=NEW&start=10',
    );
  });
});
