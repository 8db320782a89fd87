// Reads and validates the credential headers a client sends (HTTP headers or a WebSocket
// connection_init payload). Pure. Problems name the header and what is allowed; they never echo
// a value, since it may be a token.

/** The four headers of a passthrough caller, validated. */
export interface PassthroughCredentials {
  /** `Bearer <token>`, normalised to the `Bearer` spelling. */
  authorization: string;
  accessToken: string;
  apiKey: string;
  orgId: string;
  sandboxName: string;
}

/** Finds a header by lower-case name; undefined when absent. */
export type HeaderLookup = (lowerCaseName: string) => unknown;

/** Longest `authorization` value accepted (8 KiB). */
export const MAX_AUTHORIZATION_LENGTH = 8_192;
/** Longest value accepted for every other credential header. */
export const MAX_HEADER_LENGTH = 256;

export const GATEWAY_KEY_HEADER = 'x-gateway-key';

/** Headers as a Fetch `Headers`, or a Node-style record (any case, arrays for repeats). */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A lookup over HTTP headers, case-insensitive. */
export function lookupInHeaders(headers: HeaderSource): HeaderLookup {
  if (typeof headers.get === 'function') {
    const fetchHeaders = headers as { get(name: string): string | null };
    return (name) => fetchHeaders.get(name) ?? undefined;
  }
  return lookupInRecord(headers as Readonly<Record<string, unknown>>);
}

/**
 * A lookup over graphql-ws `connectionParams`: the names at top level, or inside a nested
 * `headers` object (what browser clients that mirror HTTP headers send). Top level wins.
 */
export function lookupInConnectionParams(params: unknown): HeaderLookup {
  if (!isRecord(params)) return () => undefined;
  const topLevel = lookupInRecord(params);
  const nestedHeaders = topLevel('headers');
  const nested = isRecord(nestedHeaders) ? lookupInRecord(nestedHeaders) : () => undefined;
  return (name) => topLevel(name) ?? nested(name);
}

/** Reads the four passthrough headers; `problems` lists every one that is missing or wrong. */
export function readPassthroughCredentials(
  lookup: HeaderLookup,
): { ok: true; credentials: PassthroughCredentials } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const authorization = readValue(lookup, 'authorization', problems, {
    maxLength: MAX_AUTHORIZATION_LENGTH,
    allowSpaces: true,
    expected: '"Bearer <access token>"',
  });
  const accessToken =
    authorization === undefined ? undefined : readBearerToken(authorization, problems);
  const apiKey = readValue(lookup, 'x-api-key', problems, {
    maxLength: MAX_HEADER_LENGTH,
    expected: 'the API key (client id) of your integration',
  });
  const orgId = readValue(lookup, 'x-gw-ims-org-id', problems, {
    maxLength: MAX_HEADER_LENGTH,
    expected: 'an IMS org id like 1234ABCD@AdobeOrg',
    pattern: /^[A-Za-z0-9._-]+@AdobeOrg$/,
    patternProblem:
      'expected an IMS org id like 1234ABCD@AdobeOrg (letters and digits, then @AdobeOrg)',
  });
  const sandboxName = readValue(lookup, 'x-sandbox-name', problems, {
    maxLength: MAX_HEADER_LENGTH,
    expected: 'a sandbox name like prod',
    pattern: /^[a-z0-9-]+$/,
    patternProblem: 'expected a lower-case sandbox name (a-z, 0-9 and -, e.g. prod)',
  });
  if (
    problems.length > 0 ||
    authorization === undefined ||
    accessToken === undefined ||
    apiKey === undefined ||
    orgId === undefined ||
    sandboxName === undefined
  ) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    credentials: {
      authorization: `Bearer ${accessToken}`,
      accessToken,
      apiKey,
      orgId,
      sandboxName,
    },
  };
}

/** Reads `x-gateway-key`; undefined with a problem when absent or malformed. */
export function readGatewayKey(lookup: HeaderLookup, problems: string[]): string | undefined {
  return readValue(lookup, GATEWAY_KEY_HEADER, problems, {
    maxLength: MAX_HEADER_LENGTH,
    expected: 'a gateway API key issued for this gateway',
  });
}

interface ValueRules {
  maxLength: number;
  expected: string;
  /** Spaces are allowed only inside `authorization` (between scheme and token). */
  allowSpaces?: boolean;
  pattern?: RegExp;
  patternProblem?: string;
}

function readValue(
  lookup: HeaderLookup,
  name: string,
  problems: string[],
  rules: ValueRules,
): string | undefined {
  const raw = lookup(name);
  if (raw === undefined || raw === null || raw === '') {
    problems.push(`${name}: missing, expected ${rules.expected}`);
    return undefined;
  }
  let value: unknown = raw;
  if (Array.isArray(raw)) {
    if (raw.length !== 1) {
      problems.push(`${name}: expected exactly one value, but got ${raw.length}`);
      return undefined;
    }
    value = raw[0];
  }
  if (typeof value !== 'string') {
    problems.push(`${name}: expected a string, but got ${describeType(value)}`);
    return undefined;
  }
  if (PLACEHOLDER.test(value)) {
    problems.push(`${name}: ${placeholderProblem(rules.expected)}`);
    return undefined;
  }
  const problem = characterProblem(value, rules);
  if (problem !== undefined) {
    problems.push(`${name}: ${problem}`);
    return undefined;
  }
  if (rules.pattern !== undefined && !rules.pattern.test(value)) {
    problems.push(`${name}: ${rules.patternProblem ?? `expected ${rules.expected}`}`);
    return undefined;
  }
  return value;
}

/** A template placeholder such as `<client id>` (GraphiQL's header template uses them). */
const PLACEHOLDER = /<[^<>]*>/;

function placeholderProblem(expected: string): string {
  return `expected ${expected}, but got a <placeholder> from a header template: replace it with your value`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

function characterProblem(value: string, rules: ValueRules): string | undefined {
  if (value.length > rules.maxLength) {
    return `expected at most ${rules.maxLength} characters, but got ${value.length}`;
  }
  const control = value.search(CONTROL_CHARACTER);
  if (control >= 0) {
    const which =
      value[control] === '\r' || value[control] === '\n' ? 'a line break' : 'a control character';
    return `expected printable ASCII only, but got ${which} at position ${control + 1}`;
  }
  const allowed = rules.allowSpaces === true ? /^[\x20-\x7e]+$/ : /^[\x21-\x7e]+$/;
  if (!allowed.test(value)) {
    return rules.allowSpaces === true
      ? 'expected printable ASCII only, but got other characters'
      : 'expected printable ASCII without spaces, but got other characters';
  }
  return undefined;
}

function readBearerToken(authorization: string, problems: string[]): string | undefined {
  const match = /^bearer +(\S+)$/i.exec(authorization.trim());
  if (match?.[1] === undefined) {
    problems.push(
      'authorization: expected "Bearer <access token>", but got another scheme or a malformed value',
    );
    return undefined;
  }
  return match[1];
}

function lookupInRecord(record: Readonly<Record<string, unknown>>): HeaderLookup {
  const byLowerName = new Map<string, unknown>();
  for (const [name, value] of Object.entries(record)) {
    const lower = name.toLowerCase();
    // The exact lower-case spelling wins over other spellings of the same name.
    if (!byLowerName.has(lower) || name === lower) byLowerName.set(lower, value);
  }
  return (name) => byLowerName.get(name);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}
