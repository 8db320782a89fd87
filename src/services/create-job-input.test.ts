import { describe, expect, it } from 'vitest';
import {
  type CreateSegmentJobInputModel,
  DEFAULT_SCHEMA_NAME,
  MAX_SEGMENT_IDS,
  toCreateJobRequest,
} from './create-job-input.ts';
import { ValidationError } from './domain-errors.ts';

const ids = (count: number) => Array.from({ length: count }, (_, index) => `segment-${index}`);

describe('toCreateJobRequest', () => {
  it.each<[string, CreateSegmentJobInputModel, unknown]>([
    ['one id', { segmentIds: ['a'] }, { kind: 'segments', segmentIds: ['a'] }],
    [
      'the most ids allowed',
      { segmentIds: ids(MAX_SEGMENT_IDS) },
      { kind: 'segments', segmentIds: ids(MAX_SEGMENT_IDS) },
    ],
    [
      'ids with allSegments false',
      { segmentIds: ['a', 'b'], allSegments: false },
      { kind: 'segments', segmentIds: ['a', 'b'] },
    ],
    ['all segments', { allSegments: true }, { kind: 'all', schemaName: DEFAULT_SCHEMA_NAME }],
    [
      'all segments with a schema',
      { allSegments: true, schemaName: '_xdm.context.experienceevent' },
      { kind: 'all', schemaName: '_xdm.context.experienceevent' },
    ],
    [
      'all segments with a null schema',
      { allSegments: true, schemaName: null, segmentIds: null },
      { kind: 'all', schemaName: DEFAULT_SCHEMA_NAME },
    ],
  ])('accepts %s', (_name, input, expected) => {
    expect(toCreateJobRequest(input)).toEqual(expected);
  });

  it.each<[string, CreateSegmentJobInputModel, string, RegExp]>([
    ['neither', {}, 'input', /exactly one of .* but got neither/],
    ['allSegments false alone', { allSegments: false }, 'input', /but got neither/],
    ['both', { segmentIds: ['a'], allSegments: true }, 'input', /but got both/],
    ['no ids', { segmentIds: [] }, 'segmentIds', /expected 1 to 1500 segment ids.*but got 0/],
    [
      'too many ids',
      { segmentIds: ids(MAX_SEGMENT_IDS + 1) },
      'segmentIds',
      /expected 1 to 1500 .* but got 1501/,
    ],
    ['an empty id', { segmentIds: ['a', ''] }, 'segmentIds', /non-empty .* segmentIds\[1\]/],
    ['a blank id', { segmentIds: ['  '] }, 'segmentIds', /non-empty .* segmentIds\[0\]/],
    [
      'a duplicate id',
      { segmentIds: ['a', 'b', 'a'] },
      'segmentIds',
      /distinct .* "a" appears more than once .*segmentIds\[2\]/,
    ],
    ['an empty schema name', { allSegments: true, schemaName: '' }, 'schemaName', /empty string/],
  ])('rejects %s with a ValidationError on the field at fault', (_name, input, field, message) => {
    let caught: unknown;
    try {
      toCreateJobRequest(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ field, code: 'BAD_USER_INPUT' });
    expect((caught as ValidationError).message).toMatch(message);
  });
});
