// Where the package's own files are (client/generated, src/server/board/static), found from the
// running module whatever its depth: src/ under tsx, dist/ built and bundled into a few chunks.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `moduleUrl`'s folder that holds package.json. */
export function packageRootOf(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`expected a package.json above ${moduleUrl}`);
    dir = parent;
  }
  return dir;
}

/** The package root of the running gateway. */
export const PACKAGE_ROOT = packageRootOf(import.meta.url);
