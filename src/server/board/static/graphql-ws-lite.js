// A tiny graphql-transport-ws client (the protocol graphql-ws speaks): one socket, operations
// multiplexed by id. Enough for a page that needs no build step; in an app, use graphql-ws.
// Protocol: connection_init → connection_ack, then subscribe/next/error/complete per id.

/** Opens a socket to `url`; `connectionParams` go in connection_init (credentials, if any). */
export function connect(url, connectionParams = {}) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const sinks = new Map();
  let nextId = 1;
  const send = (message) => socket.send(JSON.stringify(message));
  const ready = new Promise((resolve, reject) => {
    socket.onopen = () => send({ type: 'connection_init', payload: connectionParams });
    socket.onclose = (event) => {
      // 4403: the close reason names the credential that was missing or invalid.
      const error = new Error(`socket closed: ${event.code} ${event.reason}`);
      reject(error);
      for (const sink of sinks.values()) sink.error?.(error);
      sinks.clear();
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      const sink = sinks.get(data.id);
      if (data.type === 'connection_ack') resolve();
      else if (data.type === 'ping') send({ type: 'pong' });
      else if (data.type === 'next') sink?.next(data.payload);
      else if (data.type === 'error') {
        sinks.delete(data.id);
        sink?.error?.(data.payload);
      } else if (data.type === 'complete') {
        sinks.delete(data.id);
        sink?.complete?.();
      }
    };
  });
  ready.catch(() => {});

  /** Starts an operation (a subscription, a @live query, or a one-shot one); returns its stop. */
  function subscribe(payload, sink) {
    const id = String(nextId++);
    sinks.set(id, sink);
    ready.then(() => send({ id, type: 'subscribe', payload }), sink.error);
    return () => {
      if (sinks.delete(id) && socket.readyState === WebSocket.OPEN) send({ id, type: 'complete' });
    };
  }

  /** A query or mutation: resolves with its one result. */
  function request(payload) {
    return new Promise((resolve, reject) => {
      let result;
      subscribe(payload, {
        next: (value) => {
          result = value;
        },
        error: reject,
        complete: () => resolve(result),
      });
    });
  }

  return { subscribe, request, close: () => socket.close(1000) };
}
