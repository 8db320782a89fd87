// What the gateway accepts as a job (or segment) id before it goes anywhere near a URL: not
// empty, not a dot segment, and well-formed UTF-16. Pure; says what is wrong, never throws.

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `id` cannot name a job, as "expected …, but got …" without the `at` prefix; undefined
 * when it can. `.` and `..` are refused because in a path (`/segment/jobs/..`) they mean "this"
 * and "parent", whatever encoding is applied; lone surrogates because they encode to no UTF-8.
 */
export function jobIdProblem(id: string, what = 'a job id'): string | undefined {
  if (id.trim() === '') return `expected ${what}, but got an empty string`;
  if (id === '.' || id === '..') {
    return `expected ${what}, but got "${id}", a path segment that means "this" or "parent", not an id`;
  }
  const lone = LONE_SURROGATE.exec(id);
  if (lone !== null) {
    return `expected ${what} of well-formed Unicode, but got one holding a lone UTF-16 surrogate at index ${lone.index}`;
  }
  return undefined;
}
