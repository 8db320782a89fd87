// The GraphiQL page is rendered on its first request only, never at start, and every encoding
// after it is served from the one kept (compressed) rendering.
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphiqlPage } from '../../src/server/graphiql.ts';

const HTML = `<!doctype html><title>GraphiQL</title>${'<script>/* page */</script>'.repeat(2_000)}`;

describe('GraphiQL page', () => {
  let renders = 0;
  let server: Server;
  let url = '';
  const page = createGraphiqlPage(async () => {
    renders += 1;
    return HTML;
  });

  beforeAll(async () => {
    server = createServer((request, response) => void page.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** The raw bytes (node:http, which, unlike fetch, leaves the content encoding alone). */
  function get(acceptEncoding: string | undefined, ifNoneMatch?: string) {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding;
    if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
    return new Promise<{
      status: number;
      encoding: string | undefined;
      etag: string;
      body: Buffer;
    }>((resolve, reject) => {
      httpGet(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            encoding: response.headers['content-encoding'],
            etag: String(response.headers.etag),
            body: Buffer.concat(chunks),
          }),
        );
      }).on('error', reject);
    });
  }

  it('is not rendered before its first request', () => {
    expect(renders).toBe(0);
  });

  it('is rendered once however many requests and encodings follow', async () => {
    const [brotli, gzipped, plain] = await Promise.all([get('br'), get('gzip'), get('identity')]);
    const again = await get('gzip, br');
    expect(renders).toBe(1);
    expect(brotli.encoding).toBe('br');
    expect(brotliDecompressSync(brotli.body).toString('utf8')).toBe(HTML);
    expect(gzipped.encoding).toBe('gzip');
    expect(gunzipSync(gzipped.body).toString('utf8')).toBe(HTML);
    expect(plain.encoding).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(HTML);
    expect(again.body.equals(brotli.body)).toBe(true);
    expect(new Set([brotli.etag, gzipped.etag, plain.etag]).size).toBe(1);
    const notModified = await get('br', brotli.etag);
    expect(notModified.status).toBe(304);
    expect(renders).toBe(1);
  });
});
