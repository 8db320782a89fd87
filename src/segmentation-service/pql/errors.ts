// The one error type of the PQL engine, pointing at where in the expression the problem is.
// It carries no profile data: compile errors only ever describe the expression.

/** Where a problem sits: a character offset in `pql/text`, or a JSON path in `pql/json`. */
export interface PqlLocation {
  /** 0-based character offset in a `pql/text` expression. */
  position?: number | undefined;
  /** Path inside a `pql/json` expression, e.g. `params[1].fieldName`; `''` is the root. */
  path?: string | undefined;
}

/** A PQL expression that cannot be compiled. The message says what was expected and what arrived. */
export class PqlError extends Error {
  /** 0-based character offset in `pql/text`, when the problem has one. */
  readonly position: number | undefined;
  /** JSON path in `pql/json`, e.g. `params[1].fieldName`, when the problem has one. */
  readonly path: string | undefined;

  constructor(message: string, location: PqlLocation = {}) {
    super(message);
    this.name = 'PqlError';
    this.position = location.position;
    this.path = location.path;
  }
}

/** How a location reads inside a message: `17` for text, `params[1].fieldName` for JSON. */
export function describeLocation(location: PqlLocation): string {
  if (location.position !== undefined) return String(location.position);
  if (location.path !== undefined) return location.path === '' ? 'the root' : location.path;
  return 'the expression';
}

/** Builds the house-style error: `expected X at 17, but got Y`. */
export function expectedError(expected: string, location: PqlLocation, got: string): PqlError {
  return new PqlError(
    `expected ${expected} at ${describeLocation(location)}, but got ${got}`,
    location,
  );
}
