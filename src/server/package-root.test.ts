import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, packageRootOf } from './package-root.ts';

describe('packageRootOf', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the package whatever the depth of the module (src/server/x.ts or dist/chunk.js)', () => {
    const root = mkdtempSync(join(tmpdir(), 'package-root-'));
    made.push(root);
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'src', 'server', 'board'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    expect(packageRootOf(pathToFileURL(join(root, 'src/server/board/board.ts')).href)).toBe(root);
    expect(packageRootOf(pathToFileURL(join(root, 'dist/chunk-ABC.js')).href)).toBe(root);
  });

  it('says so when no folder above holds a package.json', () => {
    expect(() => packageRootOf('file:///no-such-folder/module.js')).toThrow(
      'expected a package.json above file:///no-such-folder/module.js',
    );
  });

  it('is this repository for the running gateway', () => {
    expect(PACKAGE_ROOT).toBe(join(import.meta.dirname, '..', '..'));
  });
});
