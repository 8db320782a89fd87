// Splits pql/text into tokens with their offsets. It knows spelling only (words, strings,
// numbers, operators); which word is a keyword and what may follow what is the parser's job.

import { expectedError } from './errors.ts';

export type TokenKind = 'word' | 'quotedWord' | 'string' | 'number' | 'symbol' | 'end';

export interface Token {
  kind: TokenKind;
  /** The word, the unescaped string, the number's source text, or the symbol itself. */
  text: string;
  /** 0-based offset of the token's first character. */
  position: number;
}

const SYMBOLS = ['!=', '<=', '>=', '(', ')', '[', ']', ',', '.', '=', '<', '>', '!'] as const;

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || isDigit(code);
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** Describes a token for messages: `end of input`, `")"`, `string "US"`, `number 5`. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of input';
    case 'string':
      return `string ${JSON.stringify(token.text)}`;
    case 'number':
      return `number ${token.text}`;
    case 'quotedWord':
      return `\`${token.text}\``;
    default:
      return JSON.stringify(token.text);
  }
}

function readString(source: string, start: number): { text: string; end: number } {
  let text = '';
  let index = start + 1;
  let runStart = index;
  while (index < source.length) {
    const char = source[index];
    if (char === '"') return { text: text + source.slice(runStart, index), end: index + 1 };
    if (char !== '\\') {
      index++;
      continue;
    }
    text += source.slice(runStart, index);
    const escapeChar = source[index + 1];
    if (escapeChar === 'u') {
      const hex = source.slice(index + 2, index + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw expectedError('four hex digits after \\u', { position: index }, JSON.stringify(hex));
      }
      text += String.fromCharCode(Number.parseInt(hex, 16));
      index += 6;
    } else if (escapeChar !== undefined && ESCAPES[escapeChar] !== undefined) {
      text += ESCAPES[escapeChar];
      index += 2;
    } else {
      const got = escapeChar === undefined ? 'end of input' : JSON.stringify(`\\${escapeChar}`);
      throw expectedError('an escape such as \\" or \\\\', { position: index }, got);
    }
    runStart = index;
  }
  throw expectedError('a closing "', { position: source.length }, 'end of input');
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function readNumber(source: string, start: number): number {
  NUMBER.lastIndex = start;
  // The caller only calls this at a digit, or a minus before a digit, so there is a match.
  return NUMBER.exec(source) ? NUMBER.lastIndex : start + 1;
}

function readQuotedWord(source: string, start: number): { text: string; end: number } {
  const close = source.indexOf('`', start + 1);
  if (close === -1) throw expectedError('a closing `', { position: source.length }, 'end of input');
  if (close === start + 1) throw expectedError('a field name', { position: start }, 'empty ``');
  return { text: source.slice(start + 1, close), end: close + 1 };
}

/** Tokenizes the whole expression; the last token is always `end`. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const code = source.charCodeAt(index);
    if (isSpace(code)) {
      index++;
      continue;
    }
    const position = index;
    if (code === 34) {
      const { text, end } = readString(source, index);
      tokens.push({ kind: 'string', text, position });
      index = end;
    } else if (code === 96) {
      const { text, end } = readQuotedWord(source, index);
      tokens.push({ kind: 'quotedWord', text, position });
      index = end;
    } else if (isDigit(code) || (code === 45 && isDigit(source.charCodeAt(index + 1)))) {
      index = readNumber(source, index);
      tokens.push({ kind: 'number', text: source.slice(position, index), position });
    } else if (isWordStart(code)) {
      while (index < source.length && isWordPart(source.charCodeAt(index))) index++;
      tokens.push({ kind: 'word', text: source.slice(position, index), position });
    } else {
      const symbol = SYMBOLS.find((candidate) => source.startsWith(candidate, index));
      if (symbol === undefined) {
        const char = String.fromCodePoint(source.codePointAt(index) ?? code);
        throw expectedError('a field, literal or operator', { position }, JSON.stringify(char));
      }
      tokens.push({ kind: 'symbol', text: symbol, position });
      index += symbol.length;
    }
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return tokens;
}
