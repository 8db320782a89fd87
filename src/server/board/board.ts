// The job board page (GET /board): static files a frontend team can copy, read from the package
// root's src/server/board/static (so the built server in dist/ serves the same files).
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';

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

const STATIC_DIR = join(PACKAGE_ROOT, 'src', 'server', 'board', 'static');

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
