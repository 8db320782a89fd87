// A stand-in for Adobe IMS's client-credentials token endpoint over real HTTP on port 0: issues
// tokens, counts requests, can revoke a token or answer with scripted failures. Pair it with the
// fake upstream (`isValid`) to exercise renewal after a 401.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ScriptedResponse, waitUntil } from './fake-upstream.ts';

export interface FakeImsOptions {
  /** `expires_in` of every token, in seconds. @default 86400 */
  expiresInSeconds?: number;
  /** When set, other client ids get 401 `invalid_client`. */
  clientId?: string;
  /** When set, other secrets get 401 `invalid_client`. */
  clientSecret?: string;
  /** Delay before each token answer, to let concurrent callers pile up. @default 0 */
  delayMs?: number;
}

export interface TokenRequest {
  headers: IncomingHttpHeaders;
  /** The form-encoded body. */
  form: URLSearchParams;
}

export interface FakeIms {
  /** The token endpoint (`…/ims/token/v3`). */
  readonly url: string;
  /** Token requests received, successful or not. */
  readonly tokenRequests: number;
  readonly requests: readonly TokenRequest[];
  /** Every token issued, oldest first. */
  readonly issuedTokens: readonly string[];
  /** Makes `isValid` false for the token from now on. */
  revoke(token: string): void;
  /** True for an issued, unrevoked token; accepts `Bearer <token>` too. */
  isValid(tokenOrAuthorization: string | undefined): boolean;
  /** The next token requests get these answers, in order, instead of a token. */
  respondWith(responses: readonly ScriptedResponse[]): void;
  /** Resolves once `count` token requests arrived. */
  waitForTokenRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the fake IMS on 127.0.0.1, port 0. */
export async function startFakeIms(options: FakeImsOptions = {}): Promise<FakeIms> {
  const expiresInSeconds = options.expiresInSeconds ?? 86_400;
  const requests: TokenRequest[] = [];
  const issuedTokens: string[] = [];
  const revoked = new Set<string>();
  const scripted: ScriptedResponse[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      requests.push({ headers: req.headers, form });
      const response = scripted.shift() ?? issue(form);
      const send = () => {
        timers.delete(timer);
        if (response.destroy === true) {
          res.socket?.destroy();
          return;
        }
        if (response.hang === true || res.destroyed) return;
        const text =
          typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? {});
        res.writeHead(response.status ?? 200, {
          'content-type': 'application/json',
          ...response.headers,
        });
        res.end(text);
      };
      const timer = setTimeout(send, response.delayMs ?? options.delayMs ?? 0);
      timers.add(timer);
    });
  });

  function issue(form: URLSearchParams): ScriptedResponse {
    const isWrongClient =
      form.get('grant_type') !== 'client_credentials' ||
      (options.clientId !== undefined && form.get('client_id') !== options.clientId) ||
      (options.clientSecret !== undefined && form.get('client_secret') !== options.clientSecret);
    if (isWrongClient) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'invalid client_id or client_secret' },
      };
    }
    const token = `ims-token-${issuedTokens.length + 1}-${randomBytes(12).toString('hex')}`;
    issuedTokens.push(token);
    return {
      status: 200,
      body: { access_token: token, token_type: 'bearer', expires_in: expiresInSeconds },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/ims/token/v3`,
    get tokenRequests() {
      return requests.length;
    },
    requests,
    issuedTokens,
    revoke: (token) => {
      revoked.add(token);
    },
    isValid: (value) => {
      if (value === undefined) return false;
      const token = value.replace(/^bearer\s+/i, '');
      return issuedTokens.includes(token) && !revoked.has(token);
    },
    respondWith: (responses) => {
      scripted.push(...responses);
    },
    waitForTokenRequests: (count, timeoutMs = 5_000) =>
      waitUntil(() => requests.length >= count, timeoutMs, `${count} token requests`),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
