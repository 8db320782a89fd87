// SegmentConnection: the paged list of segment definitions (segments), with a name filter the
// gateway applies (the upstream has none). Cursors are list cursors (list-cursor.ts), stable over
// the upstream's own paging like the jobs list's: see "Paging" in docs/limits.md.
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import type { SegmentListPage } from '../services/segment-service.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { decodeListCursor, encodeListCursor, type ListCursorKind } from './list-cursor.ts';
import { PageInfo, type PageInfoModel } from './page-info.ts';
import { Segment, type SegmentModel } from './segment.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './segment-job-connection.ts';

/** Longest name fragment accepted. */
export const MAX_NAME_FILTER_LENGTH = 256;

/** The list a segments cursor belongs to: the name filter. */
interface SegmentListIdentity {
  name?: string | undefined;
}

// `of` marks these cursors, so that a jobs cursor is refused here and one of these there.
const segmentLists: ListCursorKind<SegmentListIdentity> = {
  fields: ['of', 'name'],
  idName: 'segment id',
  write: (list) => ({ of: 'segments', name: list.name }),
  read(record) {
    if (record.of !== 'segments') {
      return { ok: false, problem: 'a cursor of another list than segments' };
    }
    const { name } = record;
    if (name !== undefined && (typeof name !== 'string' || name.length > MAX_NAME_FILTER_LENGTH)) {
      return { ok: false, problem: 'a cursor whose name filter is not a name' };
    }
    return { ok: true, list: typeof name === 'string' ? { name } : {} };
  },
  isKey: (key): key is number | null =>
    key === null || (typeof key === 'number' && Number.isFinite(key)),
};

interface SegmentEdgeModel {
  cursor: string;
  node: SegmentModel;
}

interface SegmentConnectionModel {
  edges: SegmentEdgeModel[];
  pageInfo: PageInfoModel;
  totalCount: number;
}

export const SegmentEdge = builder.objectRef<SegmentEdgeModel>('SegmentEdge').implement({
  description: 'One segment definition in a page, with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description:
        'Opaque; pass as after to start the next page right after this definition (stable when definitions are created or deleted in between).',
    }),
    node: t.field({
      type: Segment,
      description: 'The definition.',
      resolve: (edge) => edge.node,
    }),
  }),
});

export const SegmentConnection = builder
  .objectRef<SegmentConnectionModel>('SegmentConnection')
  .implement({
    description: 'A page of segment definitions.',
    fields: (t) => ({
      edges: t.field({
        type: [SegmentEdge],
        description:
          'The definitions of this page, newest first. Each counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS).',
        resolve: (connection, _args, context, info) => {
          context.resolvedItems.charge(connection.edges.length, info);
          return connection.edges;
        },
      }),
      pageInfo: t.field({
        type: PageInfo,
        description: 'Where this page sits in the list.',
        resolve: (connection) => connection.pageInfo,
      }),
      totalCount: t.exposeInt('totalCount', {
        description:
          'Definitions of the sandbox, across all pages, as the upstream counts them: before the name filter, which the upstream cannot apply.',
      }),
    }),
  });

function toSegmentConnection(
  page: SegmentListPage,
  list: SegmentListIdentity,
  hasPreviousPage: boolean,
): SegmentConnectionModel {
  const edges = page.definitions.map((definition: SegmentDefinitionModel, index) => {
    const position = page.positions[index];
    if (position === undefined) throw new Error('expected a position for every definition');
    return {
      cursor: encodeListCursor(segmentLists, list, position),
      node: { id: definition.id, definition },
    };
  });
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: page.end === undefined ? null : encodeListCursor(segmentLists, list, page.end),
    },
  };
}

builder.queryFields((t) => ({
  segments: t.field({
    type: SegmentConnection,
    description: `A page of segment definitions, newest first. \`first\` is 1..${MAX_PAGE_SIZE}. Paging is stable as for segmentJobs: a page after a cursor repeats no definition and skips none that existed, though definitions are created or deleted in between. \`name\` is applied by the gateway (the upstream API has no name filter): it reads the upstream list 100 definitions at a time, at most 4 reads a page, so a filtered page may hold fewer than \`first\` definitions, even none, while hasNextPage is true.`,
    args: {
      first: t.arg.int({
        defaultValue: DEFAULT_PAGE_SIZE,
        description: `Definitions per page, 1 to ${MAX_PAGE_SIZE}.`,
      }),
      after: t.arg.string({
        description:
          'Start after this cursor: an edge cursor or pageInfo.endCursor of a previous page of the same list (same name filter); anything else is refused with BAD_USER_INPUT.',
      }),
      name: t.arg.string({
        description: `Only definitions whose name contains this text, ignoring case (1 to ${MAX_NAME_FILTER_LENGTH} characters).`,
      }),
    },
    resolve: async (_root, args, context) => {
      const limit = args.first ?? DEFAULT_PAGE_SIZE;
      if (limit < 1 || limit > MAX_PAGE_SIZE) {
        throw badUserInput(`first: expected 1 to ${MAX_PAGE_SIZE}, but got ${limit}`);
      }
      const name = args.name ?? undefined;
      if (name !== undefined && (name.trim() === '' || name.length > MAX_NAME_FILTER_LENGTH)) {
        throw badUserInput(
          `name: expected 1 to ${MAX_NAME_FILTER_LENGTH} characters of a definition name, but got ${name.length === 0 ? 'an empty string' : `${name.length} characters`}`,
        );
      }
      const list: SegmentListIdentity = name === undefined ? {} : { name };
      let after: SegmentListPage['end'];
      if (args.after !== null && args.after !== undefined) {
        const decoded = decodeListCursor(segmentLists, args.after);
        const shown = args.after.length > 24 ? `"${args.after.slice(0, 24)}…"` : `"${args.after}"`;
        if (!decoded.ok) {
          throw badUserInput(
            `after: expected a cursor from a previous page, but got ${shown} (${decoded.problem}); pass an edge cursor or pageInfo.endCursor`,
          );
        }
        if (decoded.value.list.name !== list.name) {
          throw badUserInput(
            'after: expected a cursor from a previous page of this list (same name filter), but got one of another list',
          );
        }
        after = decoded.value.position;
      }
      const page = await context.segments.list({ limit, name, after });
      return toSegmentConnection(page, list, after !== undefined);
    },
  }),
}));
