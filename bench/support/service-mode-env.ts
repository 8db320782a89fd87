// The environment of a gateway in its own process, in service mode over an embedded service in
// another process: the demo tenant's credentials, and a gateway key the bench clients present.

/** The key bench clients send in `x-gateway-key` (HTTP) or `connectionParams` (WebSocket). */
export const BENCH_GATEWAY_KEY = 'bench-key';

/** Service mode over `upstreamBaseUrl` with the demo tenant, behind {@link BENCH_GATEWAY_KEY}. */
export function serviceModeEnv(upstreamBaseUrl: string): Record<string, string> {
  return {
    LOG_LEVEL: 'info',
    UPSTREAM_URL: upstreamBaseUrl,
    AEP_ACCESS_TOKEN: 'demo',
    AEP_API_KEY: 'demo',
    AEP_ORG_ID: 'DEMO@AdobeOrg',
    AEP_SANDBOX_NAME: 'prod',
    GATEWAY_API_KEYS: BENCH_GATEWAY_KEY,
  };
}
