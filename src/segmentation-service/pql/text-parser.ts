// Parses pql/text into the shared AST, naming the offset of every syntax error. It checks
// syntax and size only; whether the functions get sensible arguments is the compiler's job.

import type { CallNode, ListNode, PathNode, PqlFunctionName, PqlNode, PqlScalar } from './ast.ts';
import { expectedError, PqlError } from './errors.ts';
import { describeToken, type Token, tokenize } from './lexer.ts';
import { MAX_DEPTH, MAX_PATH_SEGMENTS, MAX_TEXT_LENGTH } from './limits.ts';

const COMPARISON_SYMBOLS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'not',
  'in',
  'notIn',
  'like',
  'true',
  'false',
  'null',
]);

/** Method names in `x.name(...)` and the function each one applies. */
const METHODS: Readonly<Record<string, PqlFunctionName>> = {
  contains: 'contains',
  startsWith: 'startsWith',
  endsWith: 'endsWith',
  doesNotStartWith: 'doesNotStartWith',
  doesNotContain: 'doesNotContain',
  equals: 'equals',
  matches: 'matches',
  like: 'like',
  exists: 'exists',
  isNotNull: 'isNotNull',
  isNull: 'isNull',
};

const METHOD_LIST =
  'contains, startsWith, endsWith, doesNotStartWith, doesNotContain, equals, matches, like, exists, isNull or isNotNull';

/**
 * Parses a `pql/text` expression.
 * Precedence, tightest first: `not` / `!`, comparisons (`= != < <= > >= in notIn like`),
 * `and`, `or`. Throws {@link PqlError} with the 0-based `position` of the offending token.
 */
export function parsePqlText(source: string): PqlNode {
  if (source.length > MAX_TEXT_LENGTH) {
    throw new PqlError(
      `expected a pql/text expression of at most ${MAX_TEXT_LENGTH} characters, but got ${source.length}`,
      { position: MAX_TEXT_LENGTH },
    );
  }
  const tokens = tokenize(source);
  let index = 0;
  let depth = 0;

  // tokenize always ends with an `end` token and parsing never moves past it.
  const peek = (): Token => tokens[index] as Token;
  const next = (): Token => tokens[index++] as Token;
  const isSymbol = (text: string): boolean => peek().kind === 'symbol' && peek().text === text;
  const isKeyword = (text: string): boolean => peek().kind === 'word' && peek().text === text;

  const expectSymbol = (text: string): Token => {
    if (!isSymbol(text))
      throw expectedError(`"${text}"`, { position: peek().position }, describeToken(peek()));
    return next();
  };

  const enter = (position: number): void => {
    depth++;
    if (depth > MAX_DEPTH) {
      throw expectedError(`at most ${MAX_DEPTH} levels of nesting`, { position }, 'deeper nesting');
    }
  };

  const call = (fn: PqlFunctionName, args: PqlNode[], position: number): CallNode => ({
    kind: 'call',
    fn,
    args,
    at: { position },
  });

  const parseChain = (fn: 'and' | 'or', parseOperand: () => PqlNode): PqlNode => {
    const first = parseOperand();
    if (!isKeyword(fn)) return first;
    const position = peek().position;
    const args = [first];
    while (isKeyword(fn)) {
      next();
      args.push(parseOperand());
    }
    return call(fn, args, position);
  };

  const parseOr = (): PqlNode => parseChain('or', parseAnd);
  const parseAnd = (): PqlNode => parseChain('and', parseComparison);

  function parseComparison(): PqlNode {
    const left = parseUnary();
    const operator = peek();
    if (operator.kind === 'symbol' && COMPARISON_SYMBOLS.has(operator.text)) {
      next();
      return call(operator.text as PqlFunctionName, [left, parseUnary()], operator.position);
    }
    if (isKeyword('in') || isKeyword('notIn')) {
      next();
      return call(operator.text as 'in' | 'notIn', [left, parseList()], operator.position);
    }
    if (isKeyword('like')) {
      next();
      return call('like', [left, parseUnary()], operator.position);
    }
    return left;
  }

  function parseUnary(): PqlNode {
    if (isKeyword('not') || isSymbol('!')) {
      const operator = next();
      enter(operator.position);
      const operand = parseUnary();
      depth--;
      return call('not', [operand], operator.position);
    }
    return parsePrimary();
  }

  function parseList(): ListNode {
    const open = peek();
    if (!isSymbol('[')) {
      throw expectedError(
        'a list such as ["US", "CA"]',
        { position: open.position },
        describeToken(open),
      );
    }
    next();
    const items: PqlScalar[] = [];
    if (isSymbol(']')) {
      next();
      return { kind: 'list', items, at: { position: open.position } };
    }
    for (;;) {
      items.push(parseListItem());
      if (isSymbol(']')) break;
      expectSymbol(',');
    }
    next();
    return { kind: 'list', items, at: { position: open.position } };
  }

  function parseListItem(): PqlScalar {
    const token = next();
    if (token.kind === 'string') return token.text;
    if (token.kind === 'number') return parseNumber(token);
    if (token.kind === 'word' && (token.text === 'true' || token.text === 'false')) {
      return token.text === 'true';
    }
    throw expectedError(
      'a string, number or boolean in the list',
      { position: token.position },
      describeToken(token),
    );
  }

  function parseNumber(token: Token): number {
    const value = Number(token.text);
    if (!Number.isFinite(value)) {
      throw expectedError('a finite number', { position: token.position }, describeToken(token));
    }
    return value;
  }

  function parseArguments(): PqlNode[] {
    const open = expectSymbol('(');
    enter(open.position);
    const args: PqlNode[] = [];
    if (!isSymbol(')')) {
      for (;;) {
        args.push(parseOr());
        if (isSymbol(')')) break;
        expectSymbol(',');
      }
    }
    next();
    depth--;
    return args;
  }

  function parsePath(first: Token): PqlNode {
    const path: PathNode = {
      kind: 'path',
      segments: [first.text],
      at: { position: first.position },
    };
    while (isSymbol('.')) {
      next();
      const name = peek();
      if (name.kind !== 'word' && name.kind !== 'quotedWord') {
        throw expectedError(
          'a field or function name after "."',
          { position: name.position },
          describeToken(name),
        );
      }
      next();
      if (name.kind === 'word' && isSymbol('(')) {
        const fn = METHODS[name.text];
        if (fn === undefined) {
          throw expectedError(
            `a function (${METHOD_LIST})`,
            { position: name.position },
            JSON.stringify(name.text),
          );
        }
        return call(fn, [path, ...parseArguments()], name.position);
      }
      if (path.segments.length === MAX_PATH_SEGMENTS) {
        throw expectedError(
          `a path of at most ${MAX_PATH_SEGMENTS} fields`,
          { position: name.position },
          'a longer path',
        );
      }
      path.segments.push(name.text);
    }
    return path;
  }

  function parsePrimary(): PqlNode {
    const token = peek();
    if (isSymbol('(')) {
      next();
      enter(token.position);
      const inner = parseOr();
      expectSymbol(')');
      depth--;
      return inner;
    }
    if (isSymbol('[')) return parseList();
    if (token.kind === 'string') {
      next();
      return { kind: 'literal', value: token.text, at: { position: token.position } };
    }
    if (token.kind === 'number') {
      next();
      return { kind: 'literal', value: parseNumber(token), at: { position: token.position } };
    }
    if (isKeyword('true') || isKeyword('false')) {
      next();
      return { kind: 'literal', value: token.text === 'true', at: { position: token.position } };
    }
    if (token.kind === 'quotedWord' || (token.kind === 'word' && !KEYWORDS.has(token.text))) {
      next();
      return parsePath(token);
    }
    const hint = isKeyword('null') ? ' (test for missing values with x.isNull())' : '';
    throw expectedError(
      `a field, literal or "("${hint}`,
      { position: token.position },
      describeToken(token),
    );
  }

  const root = parseOr();
  const end = peek();
  if (end.kind !== 'end') {
    throw expectedError(
      '"and", "or" or end of input',
      { position: end.position },
      describeToken(end),
    );
  }
  return root;
}
