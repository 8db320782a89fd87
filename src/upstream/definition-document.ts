// The one reader of upstream segment definition documents and of the definitions list envelope
// (`segments`, `page`, `link`): checks each field the gateway keeps, reads null as absent, drops
// unknown fields. Only `id` is required; it never echoes an upstream value. Pure: no I/O.

import type { SandboxModel, SegmentExpressionModel } from '../domain/index.ts';
import type { EvaluationInfoModel, SegmentDefinitionModel } from '../domain/segment-definition.ts';
import { describeKind, isRecord, type Parsed } from './job-document.ts';

type Fields = Record<string, unknown>;

class DefinitionProblem extends Error {
  constructor(readonly at: string) {
    super(at);
  }
}

function isAbsent(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new DefinitionProblem(`${path}: expected ${expected}, but got ${describeKind(value)}`);
}

function text(fields: Fields, key: string, path: string): string | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'string') fail(join(path, key), 'a string', value);
  return value;
}

// Documented as int64; some services send it as a numeric string.
function time(fields: Fields, key: string, path: string): number | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return Number(value);
  return fail(join(path, key), 'a number', value);
}

function object(fields: Fields, key: string, path: string): Fields | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (!isRecord(value)) fail(join(path, key), 'an object', value);
  return value;
}

// The OpenAPI example writes booleans as strings in places; accept both spellings.
function flag(fields: Fields, key: string, path: string): boolean | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return fail(join(path, key), 'a boolean', value);
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined) {
  if (value !== undefined) target[key] = value;
}

function readDefinition(value: unknown, at: string): SegmentDefinitionModel {
  if (!isRecord(value)) return fail(at || 'body', 'a segment definition (an object)', value);
  const id = value.id;
  if (typeof id !== 'string' || id === '') fail(join(at, 'id'), 'a non-empty string', id);
  const definition: SegmentDefinitionModel = { id };
  assign(definition, 'imsOrgId', text(value, 'imsOrgId', at));
  const sandbox = object(value, 'sandbox', at);
  if (sandbox !== undefined) {
    const path = join(at, 'sandbox');
    const model: SandboxModel = {};
    assign(model, 'sandboxId', text(sandbox, 'sandboxId', path));
    assign(model, 'sandboxName', text(sandbox, 'sandboxName', path));
    assign(model, 'type', text(sandbox, 'type', path));
    assign(model, 'default', flag(sandbox, 'default', path));
    definition.sandbox = model;
  }
  assign(definition, 'name', text(value, 'name', at));
  assign(definition, 'description', text(value, 'description', at));
  const expression = object(value, 'expression', at);
  if (expression !== undefined) {
    const path = join(at, 'expression');
    const model: SegmentExpressionModel = {};
    assign(model, 'type', text(expression, 'type', path));
    assign(model, 'format', text(expression, 'format', path));
    assign(model, 'value', text(expression, 'value', path));
    definition.expression = model;
  }
  assign(definition, 'mergePolicyId', text(value, 'mergePolicyId', at));
  const schema = object(value, 'schema', at);
  if (schema !== undefined)
    assign(definition, 'schemaName', text(schema, 'name', join(at, 'schema')));
  const evaluation = object(value, 'evaluationInfo', at);
  if (evaluation !== undefined) {
    const path = join(at, 'evaluationInfo');
    const model: EvaluationInfoModel = {};
    for (const mode of ['batch', 'continuous', 'synchronous'] as const) {
      const part = object(evaluation, mode, path);
      if (part !== undefined) assign(model, mode, flag(part, 'enabled', join(path, mode)));
    }
    definition.evaluationInfo = model;
  }
  assign(definition, 'creationTime', time(value, 'creationTime', at));
  assign(definition, 'updateTime', time(value, 'updateTime', at));
  return definition;
}

function parsing<T>(read: () => T): Parsed<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (!(error instanceof DefinitionProblem)) throw error;
    return { ok: false, problem: error.message };
  }
}

/** Reads one definition document; `at` prefixes the problem's path (e.g. `segments[2]`). */
export function parseDefinitionDocument(value: unknown, at = ''): Parsed<SegmentDefinitionModel> {
  return parsing(() => readDefinition(value, at));
}

/** A page of `GET /segment/definitions`, before its definitions are checked against the tenant. */
export interface ParsedDefinitionList {
  totalCount: number;
  definitions: SegmentDefinitionModel[];
  /** `link.next` (a string, or `{href}` as the jobs list writes it); undefined on the last page. */
  nextHref: string | undefined;
}

/**
 * Parses the definitions list envelope (`segments`, `page.totalCount`, `link.next`) and every
 * definition in it. Unlike a job list, one unreadable definition fails the page: a list of
 * definitions is what a frontend offers to run, and a silent gap there would mislead.
 */
export function parseDefinitionList(value: unknown): Parsed<ParsedDefinitionList> {
  return parsing(() => {
    if (!isRecord(value)) return fail('body', 'a definition list ({segments, page, link})', value);
    const segments = value.segments;
    if (!Array.isArray(segments)) return fail('segments', 'an array', segments);
    const page = object(value, 'page', '');
    const totalCount = page === undefined ? undefined : time(page, 'totalCount', 'page');
    const definitions = segments.map((entry, index) => readDefinition(entry, `segments[${index}]`));
    const link = object(value, 'link', '');
    let nextHref: string | undefined;
    const next = link?.next;
    if (typeof next === 'string') nextHref = next;
    else if (isRecord(next)) nextHref = text(next, 'href', 'link.next');
    else if (!isAbsent(next)) fail('link.next', 'a string or {href}', next);
    return {
      totalCount: totalCount ?? definitions.length,
      definitions,
      nextHref: nextHref === '' ? undefined : nextHref,
    };
  });
}
