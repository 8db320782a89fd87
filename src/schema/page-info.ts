// PageInfo: Relay-style paging state of a connection.
import { builder } from './builder.ts';

export interface PageInfoModel {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const PageInfo = builder.objectRef<PageInfoModel>('PageInfo').implement({
  description:
    'Where a page sits in its list. Pass endCursor as after to get the next page: it repeats no job of earlier pages and skips none that existed when they were read, though jobs are created or deleted in between (a job whose sort key changed may be skipped or repeated).',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', {
      description:
        'True when more items may follow. A page can be short (even empty) with hasNextPage true after many jobs were created between pages: keep paging.',
    }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
      description: 'True when this page was asked for after a cursor.',
    }),
    startCursor: t.exposeString('startCursor', {
      nullable: true,
      description: 'The cursor of the first item; null on an empty page.',
    }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description:
        'Where the next page starts: the cursor of the last item, or on a short empty page the place reached; null on an empty first page.',
    }),
  }),
});
