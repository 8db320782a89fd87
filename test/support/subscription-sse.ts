// Subscriptions over Server-Sent Events with plain `fetch`: POST with `accept: text/event-stream`,
// the body read as it streams and cut into `event:` / `data:` frames (comments are keep-alives),
// each `next` recorded, `complete` ending the stream. Cancelling aborts the request.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type FormattedExecutionResult, print } from 'graphql';
import { createSubscriptionRecorder, type SubscriptionRecorder } from './subscription-recorder.ts';

/** One SSE frame: its event name (`message` when absent) and its data lines joined. */
export interface SseFrame {
  event: string;
  data: string;
}

/** Splits complete frames off `buffer`; returns them and what is left (an unfinished frame). */
export function parseSseFrames(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  const normalized = buffer.replace(/\r\n/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    let hasField = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      hasField = true;
      if (name === 'event') event = value;
      else if (name === 'data') data.push(value);
    }
    if (hasField) frames.push({ event, data: data.join('\n') });
  }
  return { frames, rest };
}

export interface SseSubscription<TData> extends SubscriptionRecorder<TData> {
  /** The response's HTTP status and content type, once headers arrived. */
  readonly response: Promise<{ status: number; contentType: string | null }>;
}

/** Starts a subscription over SSE and records it. */
export function subscribeSse<TData, TVariables>(
  graphqlUrl: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): SseSubscription<TData> {
  const { recorder, sink } = createSubscriptionRecorder<TData>();
  const controller = new AbortController();
  sink.onCancel(() => controller.abort());
  let resolveResponse: (value: { status: number; contentType: string | null }) => void = () => {};
  const response = new Promise<{ status: number; contentType: string | null }>((resolve) => {
    resolveResponse = resolve;
  });

  void (async () => {
    try {
      const answer = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query: print(document), variables }),
        signal: controller.signal,
      });
      resolveResponse({ status: answer.status, contentType: answer.headers.get('content-type') });
      if (answer.body === null) throw new Error(`expected an event stream, but got no body`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of answer.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        const { frames, rest } = parseSseFrames(buffer);
        buffer = rest;
        for (const frame of frames) {
          if (frame.event === 'next') {
            sink.push(JSON.parse(frame.data) as FormattedExecutionResult<TData>);
          } else if (frame.event === 'complete') {
            sink.complete();
            controller.abort();
            return;
          }
        }
      }
      sink.fail(new Error('expected a complete event, but the stream ended without one'));
    } catch (error) {
      if (!controller.signal.aborted) sink.fail(error);
    }
  })();

  return {
    get results() {
      return recorder.results;
    },
    get outcome() {
      return recorder.outcome;
    },
    next: recorder.next,
    waitFor: recorder.waitFor,
    ended: recorder.ended,
    cancel: recorder.cancel,
    response,
  };
}
