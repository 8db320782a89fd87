import { describe, expect, it } from 'vitest';
import { routeTemplate } from './route-template.ts';

describe('routeTemplate', () => {
  it.each([
    ['/segment/jobs', '/segment/jobs'],
    ['/segment/jobs/bulk-get', '/segment/jobs/bulk-get'],
    ['/segment/jobs/3f1c0c4e-9b1e-4f7a-8d2e-1a2b3c4d5e6f', '/segment/jobs/{id}'],
    ['/segment/jobs/a%2Fb', '/segment/jobs/{id}'],
    ['/segment/definitions', '/segment/definitions'],
    ['/segment/definitions/bulk-get', '/segment/definitions/bulk-get'],
    ['/segment/definitions/seg-1', '/segment/definitions/{id}'],
    ['/segment/jobs/', 'other'],
    ['/segment/jobs/a/b', 'other'],
    ['/somewhere/else', 'other'],
  ])('%s → %s', (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });
});
