// Size limits on expressions, so a hostile or runaway definition fails with a PqlError
// instead of exhausting the stack or memory. Values only; the parsers enforce them.

/** Longest `pql/text` expression accepted, in characters. */
export const MAX_TEXT_LENGTH = 100_000;

/** Longest `pql/json` expression accepted, in characters (JSON spells the same tree longer). */
export const MAX_JSON_LENGTH = 1_000_000;

/** Deepest nesting of parentheses, `not`, function arguments or JSON nodes. */
export const MAX_DEPTH = 200;

/** Most segments in one field path (`a.b.c` has three). */
export const MAX_PATH_SEGMENTS = 32;

/**
 * Longest `like` pattern accepted, in characters. Matching is linear in the value's length, but
 * a part holding `_` costs one step per 32 pattern characters per value character, so this
 * bounds the work per value character.
 */
export const MAX_LIKE_PATTERN_LENGTH = 1_000;

/**
 * Longest `matches` pattern accepted, in characters, like `like`'s limit. The pattern also
 * compiles to at most {@link MAX_REGEX_PROGRAM_SIZE} NFA steps.
 */
export const MAX_MATCHES_PATTERN_LENGTH = 1_000;

/**
 * Most NFA instructions of a compiled `matches` pattern (counted repetition is expanded): each
 * value character costs at most twice this in work units.
 */
export const MAX_REGEX_PROGRAM_SIZE = 1_000;
