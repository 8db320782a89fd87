import { describe, expect, it } from 'vitest';
import { jobIdProblem } from './job-id.ts';

describe('jobIdProblem', () => {
  it.each<[string, string, RegExp | undefined]>([
    ['a uuid', '1f5a2b3c-0000-4000-8000-000000000000', undefined],
    ['dots inside', 'a.b..c', undefined],
    ['three dots', '...', undefined],
    ['a slash (encoded later)', 'a/b', undefined],
    ['an emoji (a valid surrogate pair)', 'job-😀', undefined],
    ['non-ASCII', 'tâche', undefined],
    ['empty', '', /but got an empty string/],
    ['blank', '   ', /but got an empty string/],
    ['.', '.', /but got "\."/],
    ['..', '..', /but got "\.\."/],
    ['a lone high surrogate', '\uD800', /lone UTF-16 surrogate at index 0/],
    ['a lone low surrogate', 'a\uDC00b', /lone UTF-16 surrogate at index 1/],
    ['a high surrogate at the end', 'ab\uDBFF', /at index 2/],
    ['a reversed pair', '\uDC00\uD800', /at index 0/],
  ])('%s', (_name, id, problem) => {
    const found = jobIdProblem(id);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it('agrees with String.prototype.isWellFormed where the runtime has it', () => {
    const isWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
    if (isWellFormed === undefined) return;
    for (const id of ['ok', '\uD800', 'a\uDC00b', '😀', '\uD83D\uDE00x\uD83D']) {
      expect(jobIdProblem(id) === undefined).toBe(isWellFormed.call(id));
    }
  });
});
