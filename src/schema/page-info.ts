// PageInfo: Relay-style paging state of a connection.
import { builder } from './builder.ts';

export interface PageInfoModel {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const PageInfo = builder.objectRef<PageInfoModel>('PageInfo').implement({
  description: 'Where a page sits in its list. Pass endCursor as after to get the next page.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'True when more items follow.' }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
      description: 'True when items come before this page.',
    }),
    startCursor: t.exposeString('startCursor', {
      nullable: true,
      description: 'The cursor of the first item; null on an empty page.',
    }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'The cursor of the last item; null on an empty page.',
    }),
  }),
});
