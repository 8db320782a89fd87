// Errors of single items that a resolver leaves out of a list it still returns (a job of a page
// the upstream sent unreadable): recorded while resolving, appended to the operation's errors
// when execution ends. Holds no upstream body; the services wrote the messages.
import { GraphQLError, type GraphQLResolveInfo, responsePathAsArray } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** What to report about one item: a message and extensions (with `code`). */
export interface ItemProblem {
  message: string;
  extensions: Record<string, unknown>;
}

const recorded = new WeakMap<object, GraphQLError[]>();

/** Records one error per problem at the field being resolved (its path and location). */
export function reportItemErrors(
  context: object,
  info: GraphQLResolveInfo,
  problems: readonly ItemProblem[],
): void {
  if (problems.length === 0) return;
  const path = responsePathAsArray(info.path);
  const errors = recorded.get(context) ?? [];
  for (const problem of problems) {
    errors.push(
      new GraphQLError(problem.message, {
        nodes: info.fieldNodes,
        path,
        extensions: problem.extensions,
      }),
    );
  }
  recorded.set(context, errors);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Appends the recorded item errors of a query or mutation to its result's `errors`. */
export function useItemErrors<TContext extends object = object>(): Plugin<TContext> {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const context = args.contextValue;
          if (typeof context !== 'object' || context === null) return;
          const errors = recorded.get(context);
          if (errors === undefined) return;
          recorded.delete(context);
          // Refused as a whole (e.g. past the resolved-items budget): nothing partial to qualify.
          if (result.data === null || result.data === undefined) return;
          setResult({ ...result, errors: [...(result.errors ?? []), ...errors] });
        },
      };
    },
  };
}
