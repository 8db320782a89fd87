// SegmentJobConnection: the paged, filtered, sorted list of jobs (segmentJobs). Cursors are
// stable over the upstream's own paging (its next hrefs): see "Paging" in docs/limits.md.
import type { SegmentJobModel } from '../domain/index.ts';
import type { JobListPage } from '../services/segment-job-service.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { reportItemErrors } from './item-errors.ts';
import {
  decodeJobCursor,
  isSameList,
  type JobListIdentity,
  jobCursorEncoder,
} from './job-cursor.ts';
import { PageInfo, type PageInfoModel } from './page-info.ts';
import { Segment } from './segment.ts';
import { SegmentJob, SegmentJobStatus } from './segment-job.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const SORT_FIELDS = {
  CREATION_TIME: 'creationTime',
  UPDATE_TIME: 'updateTime',
  STATUS: 'status',
} as const;

export const SegmentJobSortField = builder.enumType('SegmentJobSortField', {
  description: 'What to sort jobs by.',
  values: {
    CREATION_TIME: { value: 'creationTime', description: 'When the job was created.' },
    UPDATE_TIME: { value: 'updateTime', description: 'When the job last changed.' },
    STATUS: { value: 'status', description: 'The job status, by name.' },
  } as const,
});

export const SortDirection = builder.enumType('SortDirection', {
  description: 'Sort order.',
  values: {
    ASC: { value: 'asc', description: 'Smallest, oldest or first in the alphabet first.' },
    DESC: { value: 'desc', description: 'Largest, newest or last in the alphabet first.' },
  } as const,
});

export const SegmentJobSort = builder.inputType('SegmentJobSort', {
  description: 'How to order jobs.',
  fields: (t) => ({
    field: t.field({ type: SegmentJobSortField, required: true, description: 'What to sort by.' }),
    direction: t.field({ type: SortDirection, required: true, description: 'Which way.' }),
  }),
});

interface EdgeModel {
  cursor: string;
  node: SegmentJobModel;
}

interface ConnectionModel {
  edges: EdgeModel[];
  pageInfo: PageInfoModel;
  totalCount: number;
  unreadable: JobListPage['unreadable'];
}

export const SegmentJobEdge = builder.objectRef<EdgeModel>('SegmentJobEdge').implement({
  description: 'One job in a page, with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description:
        'Opaque; pass as after to start the next page right after this job (stable when jobs are created or deleted in between).',
    }),
    node: t.expose('node', { type: SegmentJob, description: 'The job.' }),
  }),
});

export const SegmentJobConnection = builder
  .objectRef<ConnectionModel>('SegmentJobConnection')
  .implement({
    description: 'A page of jobs.',
    fields: (t) => ({
      edges: t.field({
        type: [SegmentJobEdge],
        description:
          'The jobs of this page, in order. A job the upstream sent unreadable is left out (see unreadableCount), with an UPSTREAM_UNAVAILABLE error at this path.',
        resolve: (connection, _args, context, info) => {
          reportItemErrors(context, info, connection.unreadable);
          return connection.edges;
        },
      }),
      unreadableCount: t.int({
        description:
          'Jobs of this page the upstream sent in a shape the gateway cannot read (no id, an unknown status): left out of edges, each reported as an error with extensions.upstreamIndex. 0 normally.',
        resolve: (connection) => connection.unreadable.length,
      }),
      pageInfo: t.expose('pageInfo', {
        type: PageInfo,
        description: 'Where this page sits in the list.',
      }),
      totalCount: t.exposeInt('totalCount', {
        description: 'Jobs that match the filters, across all pages.',
      }),
    }),
  });

/** Turns one page into a connection whose cursors hold each job's place in `list`. */
export function toConnection(
  page: JobListPage,
  list: JobListIdentity,
  hasPreviousPage: boolean,
): ConnectionModel {
  const encode = jobCursorEncoder(list);
  const edges = page.jobs.map((node, index) => {
    const position = page.positions[index];
    if (position === undefined) throw new Error('expected a position for every job of the page');
    return { cursor: encode(position), node };
  });
  return {
    edges,
    totalCount: page.totalCount,
    unreadable: page.unreadable,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: page.end === undefined ? null : encode(page.end),
    },
  };
}

export function pageSizeOf(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`first: expected 1 to ${MAX_PAGE_SIZE}, but got ${size}`);
  }
  return size;
}

/** The position `after` stands for in `list`; BAD_USER_INPUT for anything else. */
export function positionAfter(after: string | null | undefined, list: JobListIdentity) {
  if (after === null || after === undefined) return undefined;
  const decoded = decodeJobCursor(after);
  const shown = after.length > 24 ? `"${after.slice(0, 24)}…"` : `"${after}"`;
  if (!decoded.ok) {
    throw badUserInput(
      `after: expected a cursor from a previous page, but got ${shown} (${decoded.problem}); pass an edge cursor or pageInfo.endCursor`,
    );
  }
  if (!isSameList(decoded.value.list, list)) {
    throw badUserInput(
      `after: expected a cursor from a previous page of this list (same status, segmentId and sort), but got one of another list`,
    );
  }
  return decoded.value.position;
}

builder.queryFields((t) => ({
  segmentJobs: t.field({
    type: SegmentJobConnection,
    description: `A page of jobs, newest first unless sorted otherwise. \`first\` is 1..${MAX_PAGE_SIZE}. Paging is stable: a page after a cursor repeats no job an earlier page returned and skips none that existed when that page was read, though jobs are created or deleted in between; a job whose sort key changed between pages (e.g. its status, when sorting by STATUS) may be skipped or repeated. A page may hold fewer than \`first\` jobs while hasNextPage is true when many jobs were created between pages. totalCount is the upstream's.`,
    args: {
      first: t.arg.int({
        defaultValue: DEFAULT_PAGE_SIZE,
        description: `Jobs per page, 1 to ${MAX_PAGE_SIZE}.`,
      }),
      after: t.arg.string({
        description:
          'Start after this cursor: an edge cursor or pageInfo.endCursor of a previous page of the same list (same status, segmentId and sort); anything else is refused with BAD_USER_INPUT.',
      }),
      status: t.arg({ type: SegmentJobStatus, description: 'Only jobs in this status.' }),
      segmentId: t.arg.id({ description: 'Only jobs that evaluate this segment definition.' }),
      sort: t.arg({
        type: SegmentJobSort,
        description: 'Order of the jobs. Default: CREATION_TIME DESC.',
      }),
    },
    resolve: async (_root, args, context) => {
      const limit = pageSizeOf(args.first);
      if (args.segmentId !== null && args.segmentId !== undefined && args.segmentId.trim() === '') {
        throw badUserInput('segmentId: expected a non-empty segment definition id, but got ""');
      }
      const list: JobListIdentity = {
        status: args.status ?? undefined,
        segmentId: args.segmentId ?? undefined,
        sort: args.sort ?? { field: SORT_FIELDS.CREATION_TIME, direction: 'desc' },
      };
      const after = positionAfter(args.after, list);
      const page = await context.jobs.list({ limit, ...list, after });
      return toConnection(page, list, after !== undefined);
    },
  }),
}));

builder.objectField(Segment, 'jobs', (t) =>
  t.field({
    type: SegmentJobConnection,
    nullable: true,
    description: `The jobs that named this definition, newest first (the upstream's \`segments~segmentId==<id>\` filter): the same list as segmentJobs(segmentId:), with the same cursors. Jobs that evaluated every definition (\`*\`) are not among them. Null for a segment without an id. Each job counts toward the operation’s resolved-items limit.`,
    args: {
      first: t.arg.int({
        defaultValue: DEFAULT_PAGE_SIZE,
        description: `Jobs per page, 1 to ${MAX_PAGE_SIZE}.`,
      }),
      after: t.arg.string({
        description: 'Start after this cursor of a previous page of the same list.',
      }),
      status: t.arg({ type: SegmentJobStatus, description: 'Only jobs in this status.' }),
    },
    resolve: async (segment, args, context, info) => {
      if (segment.id === undefined) return null;
      const limit = pageSizeOf(args.first);
      const list: JobListIdentity = {
        status: args.status ?? undefined,
        segmentId: segment.id,
        sort: { field: SORT_FIELDS.CREATION_TIME, direction: 'desc' },
      };
      const after = positionAfter(args.after, list);
      const page = await context.jobs.list({ limit, ...list, after });
      context.resolvedItems.charge(page.jobs.length, info);
      return toConnection(page, list, after !== undefined);
    },
  }),
);
