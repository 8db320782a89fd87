// Parses pql/json (a tree of fnApply / fieldLookup / literal / parameterReference nodes) into
// the shared AST, naming the JSON path of every problem. Argument checks are the compiler's job.

import {
  isPqlFunctionName,
  type PathNode,
  PQL_FUNCTION_NAMES,
  type PqlNode,
  type PqlScalar,
} from './ast.ts';
import { expectedError, PqlError } from './errors.ts';
import { MAX_DEPTH, MAX_JSON_LENGTH, MAX_PATH_SEGMENTS } from './limits.ts';

const LITERAL_TYPES = 'String, Integer, Double, Boolean or List';
const NODE_TYPES = 'fnApply, fieldLookup, literal or parameterReference';

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw expectedError(`a node object (${NODE_TYPES})`, { path }, describeJson(value));
  }
  return value as Record<string, unknown>;
}

function readScalar(literalType: string, value: unknown, path: string): PqlScalar {
  switch (literalType) {
    case 'String':
      if (typeof value === 'string') return value;
      break;
    case 'Integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      break;
    case 'Double':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      break;
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      break;
  }
  const expected = literalType === 'Integer' ? 'an integer' : `a ${literalType.toLowerCase()}`;
  throw expectedError(`${expected} for a ${literalType} literal`, { path }, describeJson(value));
}

/** A list item may be a bare JSON scalar or a literal node of a scalar type. */
function readListItem(item: unknown, path: string): PqlScalar {
  if (typeof item === 'string' || typeof item === 'boolean') return item;
  if (typeof item === 'number' && Number.isFinite(item)) return item;
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const node = item as Record<string, unknown>;
    if (node.nodeType === 'literal' && node.literalType !== 'List') {
      return readScalar(String(node.literalType), node.value, child(path, 'value'));
    }
  }
  throw expectedError('a string, number or boolean list item', { path }, describeJson(item));
}

function parseLiteral(node: Record<string, unknown>, path: string): PqlNode {
  const literalType = node.literalType;
  const value = node.value;
  if (literalType === 'List') {
    if (!Array.isArray(value)) {
      throw expectedError(
        'an array for a List literal',
        { path: child(path, 'value') },
        describeJson(value),
      );
    }
    const items = value.map((item, index) =>
      readListItem(item, `${child(path, 'value')}[${index}]`),
    );
    return { kind: 'list', items, at: { path } };
  }
  if (
    literalType !== 'String' &&
    literalType !== 'Integer' &&
    literalType !== 'Double' &&
    literalType !== 'Boolean'
  ) {
    throw expectedError(
      `literalType ${LITERAL_TYPES}`,
      { path: child(path, 'literalType') },
      describeJson(literalType),
    );
  }
  return {
    kind: 'literal',
    value: readScalar(literalType, value, child(path, 'value')),
    at: { path },
  };
}

function checkProfileReference(node: Record<string, unknown>, path: string): void {
  if (node.position !== 1) {
    throw expectedError(
      'position 1 (the profile)',
      { path: child(path, 'position') },
      describeJson(node.position),
    );
  }
}

/** Walks a fieldLookup chain iteratively, so a long chain cannot use up the stack. */
function parseFieldLookup(node: Record<string, unknown>, path: string): PathNode {
  const reversed: string[] = [];
  let current = node;
  let currentPath = path;
  while (current.nodeType === 'fieldLookup') {
    const fieldName = current.fieldName;
    if (typeof fieldName !== 'string' || fieldName === '') {
      throw expectedError(
        'a non-empty string fieldName',
        { path: child(currentPath, 'fieldName') },
        describeJson(fieldName),
      );
    }
    if (reversed.length === MAX_PATH_SEGMENTS) {
      throw expectedError(
        `a path of at most ${MAX_PATH_SEGMENTS} fields`,
        { path: currentPath },
        'a longer path',
      );
    }
    reversed.push(fieldName);
    currentPath = child(currentPath, 'object');
    current = asObject(current.object, currentPath);
  }
  if (current.nodeType !== 'parameterReference') {
    throw expectedError(
      'nodeType fieldLookup or parameterReference',
      { path: child(currentPath, 'nodeType') },
      describeJson(current.nodeType),
    );
  }
  checkProfileReference(current, currentPath);
  return { kind: 'path', segments: reversed.reverse(), at: { path } };
}

function parseNode(value: unknown, path: string, depth: number): PqlNode {
  if (depth > MAX_DEPTH) {
    throw expectedError(`nodes nested at most ${MAX_DEPTH} deep`, { path }, 'deeper nesting');
  }
  const node = asObject(value, path);
  const nodeType = node.nodeType;
  switch (nodeType) {
    case 'literal':
      return parseLiteral(node, path);
    case 'fieldLookup':
      return parseFieldLookup(node, path);
    case 'parameterReference':
      checkProfileReference(node, path);
      return { kind: 'path', segments: [], at: { path } };
    case 'fnApply': {
      const fnName = node.fnName;
      if (!isPqlFunctionName(fnName)) {
        throw expectedError(
          `fnName ${PQL_FUNCTION_NAMES.join(' ')}`,
          { path: child(path, 'fnName') },
          describeJson(fnName),
        );
      }
      const params = node.params;
      if (!Array.isArray(params)) {
        throw expectedError(
          'a params array',
          { path: child(path, 'params') },
          describeJson(params),
        );
      }
      const args = params.map((param, index) =>
        parseNode(param, `${child(path, 'params')}[${index}]`, depth + 1),
      );
      return { kind: 'call', fn: fnName, args, at: { path } };
    }
    default:
      throw expectedError(
        `nodeType ${NODE_TYPES}`,
        { path: child(path, 'nodeType') },
        describeJson(nodeType),
      );
  }
}

/** Parses a `pql/json` expression. Throws {@link PqlError} with the JSON `path` of the problem. */
export function parsePqlJson(source: string): PqlNode {
  if (source.length > MAX_JSON_LENGTH) {
    throw new PqlError(
      `expected a pql/json expression of at most ${MAX_JSON_LENGTH} characters, but got ${source.length}`,
      { path: '' },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(reason)?.[1];
    throw new PqlError(`expected valid JSON, but got a syntax error: ${reason}`, {
      path: '',
      position: position === undefined ? undefined : Number(position),
    });
  }
  return parseNode(document, '', 0);
}
