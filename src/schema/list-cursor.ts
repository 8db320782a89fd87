// Opaque cursors of the gateway's paged lists (jobs, segments): the place right after one item
// (the upstream's own start of the page that held it, the page size, the item's sort key and id)
// and the list it belongs to. Pure: encodes, and decodes only what the gateway would send.
import { jobIdProblem } from '../domain/index.ts';

/** A place in a listing, right after one item: what every list cursor stands for. */
export interface ListCursorPosition {
  /** The upstream's `start` of the page that held the item; absent for the list's first page. */
  start?: string | undefined;
  /** The upstream page size of the listing, fixed by its first page. */
  limit: number;
  key: number | string | null;
  id: string;
}

/** What one kind of list adds to the position: its identity fields, written and checked. */
export interface ListCursorKind<L> {
  /** The identity fields this kind writes (beside start, limit, key and id). */
  fields: readonly string[];
  write(list: L): Record<string, string | undefined>;
  /** The list the fields name, or what is wrong with them. */
  read(
    record: Readonly<Record<string, unknown>>,
  ): { ok: true; list: L } | { ok: false; problem: string };
  /** True when `key` can be the sort key of an item of `list`. */
  isKey(key: unknown, list: L): key is number | string | null;
  /** What the item's id is called in problems: `job id`, `segment id`. */
  idName: string;
}

/** Longest cursor read at all, in characters. */
export const MAX_CURSOR_LENGTH = 4_096;
/** Longest item id a cursor may hold. */
const MAX_ID_LENGTH = 256;
const MAX_PAGE_LIMIT = 100;
/** Same as the upstream client's START_TOKEN: one opaque token, no separators. */
const START_TOKEN = /^[A-Za-z0-9._:~-]{1,64}$/;
const POSITION_FIELDS = ['start', 'limit', 'key', 'id'];

/** The cursor of a position in a list of the given kind. */
export function encodeListCursor<L>(
  kind: ListCursorKind<L>,
  list: L,
  position: ListCursorPosition,
): string {
  const identity = kind.write(list);
  const json: Record<string, unknown> = {};
  if (position.start !== undefined) json.start = position.start;
  json.limit = position.limit;
  for (const name of kind.fields) {
    const value = identity[name];
    if (value !== undefined) json[name] = value;
  }
  json.key = position.key;
  json.id = position.id;
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/**
 * Encodes the cursors of many positions in one list (a page's edges): the list's part of the
 * JSON is written once, and the page's (start, limit) once per upstream page, not once per item.
 * Each cursor is the one {@link encodeListCursor} gives, byte for byte.
 */
export function listCursorEncoder<L>(
  kind: ListCursorKind<L>,
  list: L,
): (position: ListCursorPosition) => string {
  const identity = kind.write(list);
  const identityMembers: string[] = [];
  for (const name of kind.fields) {
    const member = jsonMember(name, identity[name]);
    if (member !== undefined) identityMembers.push(member);
  }
  let headStart: string | undefined;
  let headLimit: number | undefined;
  // `{"start":…,"limit":…,<identity>`: what the cursors of one upstream page share.
  let head: string | undefined;
  return (position) => {
    const { key, id } = position;
    // Shapes the types rule out (no key, no limit) are left to JSON.stringify itself.
    if (key === undefined || typeof id !== 'string' || typeof position.limit !== 'number') {
      return encodeListCursor(kind, list, position);
    }
    if (head === undefined || position.start !== headStart || position.limit !== headLimit) {
      headStart = position.start;
      headLimit = position.limit;
      const start = jsonMember('start', position.start);
      const members = [`"limit":${JSON.stringify(position.limit)}`, ...identityMembers];
      head = `{${start === undefined ? '' : `${start},`}${members.join(',')}`;
    }
    // One template, so that the JSON is flat before it is encoded.
    const json = `${head},"key":${JSON.stringify(key)},"id":${JSON.stringify(id)}}`;
    return Buffer.from(json, 'utf8').toString('base64url');
  };
}

/** `"name":value` as JSON.stringify writes it inside an object; undefined when it leaves it out. */
function jsonMember(name: string, value: unknown): string | undefined {
  const json: string | undefined = JSON.stringify(value);
  return json === undefined ? undefined : `${JSON.stringify(name)}:${json}`;
}

/** The list and position a cursor stands for, or what is wrong with it (never echoing it whole). */
export function decodeListCursor<L>(
  kind: ListCursorKind<L>,
  cursor: string,
): { ok: true; value: { list: L; position: ListCursorPosition } } | { ok: false; problem: string } {
  const fail = (problem: string) => ({ ok: false as const, problem });
  if (cursor.length === 0) return fail('an empty string');
  if (cursor.length > MAX_CURSOR_LENGTH) return fail(`${cursor.length} characters`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return fail('text that is not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return fail('something that is not one of its cursors');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('something that is not one of its cursors');
  }
  const record = json as Record<string, unknown>;
  const known = new Set([...POSITION_FIELDS, ...kind.fields]);
  const unknown = Object.keys(record).filter((name) => !known.has(name));
  if (unknown.length > 0) return fail(`a cursor with a field it never sets (${unknown.length})`);
  const { start, limit, key, id } = record;
  if (start !== undefined && (typeof start !== 'string' || !START_TOKEN.test(start))) {
    return fail('a cursor whose start is not an upstream start token');
  }
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_PAGE_LIMIT
  ) {
    return fail(`a cursor whose page size is not 1 to ${MAX_PAGE_LIMIT}`);
  }
  const read = kind.read(record);
  if (!read.ok) return fail(read.problem);
  if (!kind.isKey(key, read.list)) return fail('a cursor whose key is not a sort key of its list');
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || jobIdProblem(id) !== undefined) {
    return fail(`a cursor whose ${kind.idName} is not a ${kind.idName}`);
  }
  return {
    ok: true,
    value: {
      list: read.list,
      position: { ...(typeof start === 'string' ? { start } : {}), limit, key, id },
    },
  };
}
