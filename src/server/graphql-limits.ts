// The yoga plugin that bounds what one GraphQL document may ask: a token cap at parse time, the
// operation limits at validation, an execution that passed its resolved-items budget answered
// with that error alone, and, with introspection off, no schema introspection and no
// "Did you mean …?" hints that would reveal the schema anyway. It never executes anything.
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  type ParseOptions,
  parse,
  type Source,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayConfig } from '../config/index.ts';
import type { GatewayContext } from '../schema/index.ts';
import { createOperationLimitsRule } from './operation-limits.ts';

/** graphql-js aborts a parse past `maxTokens` with a syntax error of this wording. */
const TOKEN_LIMIT_MESSAGE = /Document contains more th(?:at|an) \d+ tokens/;

/** Parses with the token cap; passing it is bad input (BAD_USER_INPUT), not a syntax error. */
export function parseWithTokenLimit(
  source: string | Source,
  options: ParseOptions | undefined,
  maxTokens: number,
) {
  try {
    return parse(source, { ...options, maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError && TOKEN_LIMIT_MESSAGE.test(error.message)) {
      throw new GraphQLError(
        `Query has more than ${maxTokens} tokens; the limit is ${maxTokens}. Send a smaller document.`,
        { extensions: { code: 'BAD_USER_INPUT' } },
      );
    }
    throw error;
  }
}

/**
 * Parse with a token cap and validate with the operation limits. With `introspection` false,
 * introspection fields are refused and suggestions are left out of validation and variable
 * errors, so that guessing names does not map the schema either.
 */
export function useGraphqlLimits(limits: GatewayConfig['graphql']): Plugin {
  const limitsRule = createOperationLimitsRule(limits);
  const hideSuggestions = !limits.introspection;
  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) => parseWithTokenLimit(source, options, limits.maxTokens));
    },
    onValidate({ addValidationRule, setValidationFn, validateFn }) {
      addValidationRule(limitsRule);
      if (!hideSuggestions) return;
      addValidationRule(NoSchemaIntrospectionCustomRule);
      // Only the schema, document and rules are passed on: envelop hands the optional
      // arguments over in another order than graphql's validate declares.
      setValidationFn((schema, document, rules) =>
        validateFn(schema, document, rules, { hideSuggestions: true }),
      );
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          // Past the budget, what was resolved is partial and may be large: none of it is sent.
          const budgetError = resolvedItemsExceeded(args);
          if (budgetError !== undefined) {
            setResult({ data: null, errors: [budgetError] });
            return;
          }
          // Variable errors come from the executor, which drops `hideSuggestions` under
          // graphql 16: take the hint off the messages instead.
          if (hideSuggestions) setResult(withoutSuggestions(result));
        },
      };
    },
    onSubscribe() {
      if (!hideSuggestions) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) setResult(withoutSuggestions(result));
        },
      };
    },
  };
}

/** The budget error of an execution that passed its resolved-items budget, if it did. */
function resolvedItemsExceeded(args: {
  contextValue: unknown;
  rootValue?: unknown;
  document: DocumentNode;
  operationName?: string | null | undefined;
}): GraphQLError | undefined {
  const context = args.contextValue as Partial<GatewayContext> | undefined;
  const budget = context?.resolvedItems;
  if (budget === undefined) return undefined;
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return undefined;
  return budget.exceeded({ rootValue: args.rootValue, operation });
}

/** graphql-js appends hints as ` Did you mean "a" or "b"?`; names never hold a `?`. */
const SUGGESTION = / Did you mean [^?]*\?/g;

/** The result with every " Did you mean …?" hint taken out of its error messages. */
export function withoutSuggestions(result: ExecutionResult): ExecutionResult {
  if (result.errors === undefined) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      if (!error.message.includes(' Did you mean ')) return error;
      return new GraphQLError(error.message.replace(SUGGESTION, ''), {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: error.originalError,
        extensions: error.extensions,
      });
    }),
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
