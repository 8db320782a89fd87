// The job board page (GET /board): static files a frontend team can copy, read from the package
// root's src/server/board/static (so the built server in dist/ serves the same files).
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BOARD_PATH = '/board';

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  [BOARD_PATH]: { file: 'index.html', type: 'text/html; charset=utf-8' },
  [`${BOARD_PATH}/`]: { file: 'index.html', type: 'text/html; charset=utf-8' },
  [`${BOARD_PATH}/board.js`]: { file: 'board.js', type: 'text/javascript; charset=utf-8' },
  [`${BOARD_PATH}/graphql-ws-lite.js`]: {
    file: 'graphql-ws-lite.js',
    type: 'text/javascript; charset=utf-8',
  },
};

/** The package root: the nearest folder above this module holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('expected a package.json above the board module');
    dir = parent;
  }
  return dir;
}

const STATIC_DIR = join(packageRoot(), 'src', 'server', 'board', 'static');

/** Whether `path` is one of the board's files. */
export function isBoardPath(path: string | undefined): boolean {
  return path !== undefined && path in FILES;
}

/** Sends one of the board's files (read on each request: they are a few KiB). */
export function answerBoard(path: string, response: ServerResponse): void {
  const entry = FILES[path];
  if (entry === undefined) {
    response.writeHead(404).end();
    return;
  }
  const body = readFileSync(join(STATIC_DIR, entry.file));
  response.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  response.end(body);
}
