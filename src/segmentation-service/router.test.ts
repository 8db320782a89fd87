import { describe, expect, it } from 'vitest';
import { createRouter, type Route } from './router.ts';

const handler = () => ({ status: 200 });
const routes: Route[] = [
  { method: 'GET', path: '/base/jobs', handler },
  { method: 'POST', path: '/base/jobs', handler },
  { method: 'POST', path: '/base/jobs/bulk-get', handler },
  { method: 'GET', path: '/base/jobs/:id', handler },
  { method: 'DELETE', path: '/base/jobs/:id', handler },
];
const router = createRouter(routes);

describe('createRouter', () => {
  it.each([
    ['GET', '/base/jobs', 'found'],
    ['GET', '/base/jobs/', 'found'],
    ['PUT', '/base/jobs', 'method-not-allowed'],
    ['GET', '/base/nope', 'not-found'],
    ['GET', '/base/jobs/1/2', 'not-found'],
  ])('%s %s is %s', (method, path, kind) => {
    expect(router.match(method, path).kind).toBe(kind);
  });

  it('prefers a literal segment over a placeholder', () => {
    const match = router.match('POST', '/base/jobs/bulk-get');
    expect(match.kind === 'found' && match.route.path).toBe('/base/jobs/bulk-get');
  });

  it('lists the allowed methods of a path on 405', () => {
    expect(router.match('PATCH', '/base/jobs/x')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'DELETE'],
    });
  });

  it('decodes placeholders and treats undecodable ones as unknown paths', () => {
    const match = router.match('GET', '/base/jobs/a%20b');
    expect(match.kind === 'found' && match.params).toEqual({ id: 'a b' });
    expect(router.match('GET', '/base/jobs/%E0%A4%A').kind).toBe('not-found');
  });
});
