// Why a process could not start, said in one plain sentence that names the variable to change: a
// port already taken or not allowed, an address not on this machine, an upstream that does not
// answer. It knows the variables' names; it reads nothing and decides nothing.

/** The variables that place one listener. */
export interface ListenerVariables {
  port: 'PORT' | 'EMULATOR_PORT';
  host: 'HOST' | 'EMULATOR_HOST';
}

export const GATEWAY_LISTENER: ListenerVariables = { port: 'PORT', host: 'HOST' };
export const EMULATOR_LISTENER: ListenerVariables = {
  port: 'EMULATOR_PORT',
  host: 'EMULATOR_HOST',
};

/** The `code` of `error` or of an error in its `cause` chain (a worker's failure wraps it). */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 5; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

/**
 * The sentence for a failure to listen on `host:port`, or undefined when `error` is not one of
 * the failures an operator fixes by changing a variable.
 */
export function listenProblem(
  error: unknown,
  variables: ListenerVariables,
  port: number,
  host: string,
): string | undefined {
  switch (systemCode(error)) {
    case 'EADDRINUSE':
      return `Port ${port} is already in use: set ${variables.port} to a free port.`;
    case 'EACCES':
      return `Port ${port} needs privileges this process does not have: set ${variables.port} to a port above 1023.`;
    case 'EADDRNOTAVAIL':
      return `Address ${host} is not an address of this machine: set ${variables.host} to one of its addresses (e.g. 127.0.0.1).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host ${host} does not resolve: set ${variables.host} to an address of this machine (e.g. 127.0.0.1).`;
    default:
      return undefined;
  }
}

/** The sentence for an upstream that gave no HTTP answer at all when the gateway started. */
export function unreachableUpstreamProblem(url: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  // The socket error's code says it best (ECONNREFUSED, ENOTFOUND…); else the whole message.
  const reason = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(message)?.[1] ?? message;
  const said = reason === '' ? '' : ` (${reason.replace(/[.\s]+$/, '')})`;
  return `The upstream at ${url} does not answer${said}: check UPSTREAM_URL.`;
}
