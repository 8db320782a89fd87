// Validation rules that bound what one operation may ask: depth, aliases, directives and an
// estimated cost. Each walks every operation through its fragments (a fragment counts each time
// it is spread, whatever its name), so reusing or renaming a fragment does not dodge a limit.
import {
  type ArgumentNode,
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  valueFromASTUntyped,
} from 'graphql';

export interface OperationLimits {
  /** Deepest field nesting. @default 8 */
  maxDepth: number;
  /** Aliased fields per operation; aliases of `__typename` are free. @default 15 */
  maxAliases: number;
  /** Directives per operation. @default 10 */
  maxDirectives: number;
  /** Estimated cost per operation (see {@link estimateCost}). @default 5000 */
  maxCost: number;
}

interface Tally {
  depth: number;
  /** Deepest nesting inside `__schema`/`__type`, counted from that field. */
  introspectionDepth: number;
  /** A field that repeats on its own path inside introspection (other than `ofType`). */
  introspectionCycle: string | undefined;
  aliases: number;
  directives: number;
  cost: number;
}

/** Size assumed when `first` or `ids` is a variable: validation runs before variables are known, so assume the API's largest page. */
const VARIABLE_LIST_SIZE = 100;
/** Fragment spreads deeper than this stop being followed (cycles are invalid anyway). */
const MAX_SPREAD_NESTING = 50;
/**
 * Depth allowed inside `__schema`/`__type`. Introspection only reaches the schema's own
 * description, held in memory, and GraphiQL's standard query nests `ofType` seven times (15
 * levels in all), which a depth limit meant for data would refuse. The real abuse there is a
 * path that loops (`type { fields { type { fields … } } }`): that is refused on its own.
 */
export const INTROSPECTION_MAX_DEPTH = 20;
/** The one introspection field that legitimately repeats along a path (wrapped types). */
const REPEATABLE_INTROSPECTION_FIELD = 'ofType';

/** One validation rule enforcing every limit; errors carry `extensions.code` BAD_USER_INPUT. */
export function createOperationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const tally = measureOperation(context, operation);
      for (const message of exceeded(tally, limits)) {
        context.reportError(
          new GraphQLError(message, { nodes: [operation], extensions: { code: 'BAD_USER_INPUT' } }),
        );
      }
      return false;
    },
  });
}

function exceeded(tally: Tally, limits: OperationLimits): string[] {
  const messages: string[] = [];
  if (tally.depth > limits.maxDepth) {
    messages.push(`Query depth is ${tally.depth}; the limit is ${limits.maxDepth}.`);
  }
  if (tally.introspectionDepth > INTROSPECTION_MAX_DEPTH) {
    messages.push(
      `Introspection depth is ${tally.introspectionDepth}; the limit is ${INTROSPECTION_MAX_DEPTH}.`,
    );
  }
  if (tally.introspectionCycle !== undefined) {
    messages.push(
      `Introspection repeats "${tally.introspectionCycle}" inside itself; expected each introspection field (except ofType) at most once per path.`,
    );
  }
  if (tally.aliases > limits.maxAliases) {
    messages.push(`Query uses ${tally.aliases} aliases; the limit is ${limits.maxAliases}.`);
  }
  if (tally.directives > limits.maxDirectives) {
    messages.push(
      `Query uses ${tally.directives} directives; the limit is ${limits.maxDirectives}.`,
    );
  }
  if (tally.cost > limits.maxCost) {
    messages.push(
      `Query cost is estimated at ${tally.cost}; the limit is ${limits.maxCost}. Ask for fewer items (smaller first/ids) or fewer fields.`,
    );
  }
  return messages;
}

/** Measures one operation: depth, aliases, directives and cost, following every spread. */
export function measureOperation(
  context: Pick<ValidationContext, 'getSchema' | 'getFragment'>,
  operation: OperationDefinitionNode,
): Tally {
  const schema = context.getSchema();
  const root = rootType(schema, operation.operation);
  const tally: Tally = {
    depth: 0,
    introspectionDepth: 0,
    introspectionCycle: undefined,
    aliases: 0,
    directives: operation.directives?.length ?? 0,
    cost: 0,
  };
  tally.cost = walk(
    operation.selectionSet,
    root,
    { depth: 1, spreadNesting: 0 },
    { context, tally },
  );
  return tally;
}

interface WalkState {
  context: Pick<ValidationContext, 'getSchema' | 'getFragment'>;
  tally: Tally;
}

/** Where a selection set stands: its depth, fragment nesting and introspection path. */
interface Position {
  depth: number;
  spreadNesting: number;
  /** Field names from `__schema`/`__type` down to here; undefined outside introspection. */
  introspectionPath?: readonly string[] | undefined;
}

/** Returns the cost of the selection set; updates depth, alias and directive counts. */
function walk(
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
  position: Position,
  state: WalkState,
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    state.tally.directives += selection.directives?.length ?? 0;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const childPosition = enterField(name, position, state.tally);
      if (selection.alias !== undefined && name !== '__typename') state.tally.aliases++;
      const field = fieldOf(parent, name);
      const multiplier = field ? listSize(field, parent, selection.arguments ?? []) : 1;
      const childType = field ? getNamedType(field.type) : undefined;
      const childCost = selection.selectionSet
        ? walk(selection.selectionSet, childType, childPosition, state)
        : 0;
      cost += name.startsWith('__') ? 0 : 1 + multiplier * childCost;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeName = selection.typeCondition?.name.value;
      const type = typeName ? state.context.getSchema().getType(typeName) : parent;
      cost += walk(selection.selectionSet, type ?? parent, position, state);
    } else {
      const fragment: FragmentDefinitionNode | null | undefined = state.context.getFragment(
        selection.name.value,
      );
      if (!fragment || position.spreadNesting >= MAX_SPREAD_NESTING) continue;
      state.tally.directives += fragment.directives?.length ?? 0;
      const type = state.context.getSchema().getType(fragment.typeCondition.name.value);
      const inner = { ...position, spreadNesting: position.spreadNesting + 1 };
      cost += walk(fragment.selectionSet, type ?? parent, inner, state);
    }
  }
  return cost;
}

/**
 * Counts a field at `position` and returns the position of its children. Data fields count
 * toward the depth limit; fields inside `__schema`/`__type` count toward the introspection
 * depth, and one repeating on its own path is recorded.
 */
function enterField(name: string, position: Position, tally: Tally): Position {
  const path = position.introspectionPath;
  if (path === undefined && name !== '__schema' && name !== '__type') {
    tally.depth = Math.max(tally.depth, position.depth);
    return { ...position, depth: position.depth + 1 };
  }
  if (path === undefined) tally.depth = Math.max(tally.depth, position.depth);
  const here = [...(path ?? []), name];
  tally.introspectionDepth = Math.max(tally.introspectionDepth, here.length);
  if (name !== REPEATABLE_INTROSPECTION_FIELD && path?.includes(name)) {
    tally.introspectionCycle ??= name;
  }
  return { ...position, depth: position.depth + 1, introspectionPath: here };
}

function rootType(schema: GraphQLSchema, operation: string): GraphQLNamedType | undefined {
  if (operation === 'mutation') return schema.getMutationType() ?? undefined;
  if (operation === 'subscription') return schema.getSubscriptionType() ?? undefined;
  return schema.getQueryType() ?? undefined;
}

function fieldOf(
  parent: GraphQLNamedType | undefined,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (!parent || !(isObjectType(parent) || isInterfaceType(parent))) return undefined;
  return parent.getFields()[name];
}

/**
 * How many times a field's selection is paid for: for a list or a connection, its `first`/`last`/
 * `limit` argument or the length of its `ids` argument (a variable counts as the largest page), or the
 * default of a `first` or `last` argument (a segment's history). Those are the sizes a client chooses, and each item may cost
 * upstream work. A list with no size argument (a job's segments, errors or metric rows) is a
 * projection of a document already fetched, bounded by that document: it counts once. A
 * connection's `edges` were counted at the connection.
 */
function listSize(
  field: GraphQLField<unknown, unknown>,
  parent: GraphQLNamedType | undefined,
  args: readonly ArgumentNode[],
): number {
  const isList = isListType(getNullableType(field.type));
  const isConnection = getNamedType(field.type).name.endsWith('Connection');
  if (!isList && !isConnection) return 1;
  if (field.name === 'edges' && parent?.name.endsWith('Connection')) return 1;
  for (const arg of args) {
    const name = arg.name.value;
    if (name !== 'first' && name !== 'last' && name !== 'limit' && name !== 'ids') continue;
    if (arg.value.kind === Kind.VARIABLE) return VARIABLE_LIST_SIZE;
    const value = valueFromASTUntyped(arg.value);
    if (typeof value === 'number') return Math.max(1, value);
    if (Array.isArray(value)) return Math.max(1, value.length);
  }
  const declared = field.args.find((arg) => arg.name === 'first' || arg.name === 'last');
  if (declared && typeof declared.defaultValue === 'number') return declared.defaultValue;
  return 1;
}
