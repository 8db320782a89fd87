import { describe, expect, it } from 'vitest';
import { parseDefinitionDocument, parseDefinitionList } from './definition-document.ts';
import { readItemsAfter } from './job-pager.ts';

describe('definition documents', () => {
  it('reads the OpenAPI sample fields, strings for numbers and booleans included', () => {
    const parsed = parseDefinitionDocument({
      id: 'd1',
      name: 'Sample',
      schema: { name: '_xdm.context.profile' },
      expression: { type: 'PQL', format: 'pql/text', value: 'a = 1' },
      evaluationInfo: { batch: { enabled: 'true' }, continuous: { enabled: false } },
      creationTime: '1579292094000',
      updateTime: null,
      unknownField: { x: 1 },
    });
    expect(parsed).toEqual({
      ok: true,
      value: {
        id: 'd1',
        name: 'Sample',
        schemaName: '_xdm.context.profile',
        expression: { type: 'PQL', format: 'pql/text', value: 'a = 1' },
        evaluationInfo: { batch: true, continuous: false },
        creationTime: 1_579_292_094_000,
      },
    });
  });

  it.each([
    ['no id', { name: 'x' }, /id: expected a non-empty string, but got nothing/],
    ['a numeric name', { id: 'd', name: 3 }, /name: expected a string, but got a number/],
  ])('refuses %s, saying where', (_name, value, problem) => {
    const parsed = parseDefinitionDocument(value, 'segments[0]');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  it.each([
    ['a string', { next: '/segment/definitions?start=2' }],
    ['an href object', { next: { href: '/segment/definitions?start=2' } }],
  ])('reads link.next as %s', (_name, link) => {
    const parsed = parseDefinitionList({ segments: [], page: { totalCount: 5 }, link });
    expect(parsed).toMatchObject({
      ok: true,
      value: { totalCount: 5, nextHref: '/segment/definitions?start=2' },
    });
  });
});

describe('a page-local filter over the pager', () => {
  const all = Array.from({ length: 10 }, (_, index) => ({ id: `d${index}`, key: 100 - index }));
  const list = async (params: { start?: string; limit?: number }) => {
    const start = Number(params.start ?? 0);
    const limit = params.limit ?? 3;
    const next =
      start + limit < all.length ? { ...params, start: String(start + limit) } : undefined;
    return { items: all.slice(start, start + limit), next };
  };
  const reader = (accepts: (item: { id: string }) => boolean) => ({
    itemsOf: (page: Awaited<ReturnType<typeof list>>) => page.items,
    markOf: (item: { id: string; key: number }) => ({ key: item.key, id: item.id }),
    nextOf: (page: Awaited<ReturnType<typeof list>>) => page.next,
    totalCountOf: () => all.length,
    accepts,
  });

  it('moves the end past items it read but did not serve, so the next page goes on', async () => {
    // Only d9 matches. Two calls of 3 read d0..d5 and serve nothing.
    const first = await readItemsAfter(
      list,
      reader((item) => item.id === 'd9'),
      { params: { limit: 3 } },
      1,
      2,
    );
    expect(first.items).toEqual([]);
    expect(first.hasMore).toBe(true);
    expect(first.end.after?.id).toBe('d5');
    const second = await readItemsAfter(
      list,
      reader((item) => item.id === 'd9'),
      first.end,
      1,
      3,
    );
    // The re-read of d3..d5, then d6..d8 read past, then d9.
    expect(second.items.map((paged) => paged.item.id)).toEqual(['d9']);
    expect(second.hasMore).toBe(false);
  });
});
