/**
 * The headers of an args function's response (`GET|POST /exec/<fn>` and its routes), the hot path's
 * largest per-response cost after the call itself.
 *
 * One builder per app, picked once for the app's mode: each returns an object literal of a fixed shape,
 * whose constant values (the content type, this node's id) V8 copies from the literal's boilerplate, so
 * a response only formats the values that change. A plain object rather than a web Headers object:
 * @hono/node-server writes it straight to the socket.
 */
import type { InvokeResult } from '../runtime/index.js';
import type { AppOptions } from './app-options.js';

/** What names the call in its response: its request id and its span (invoke.ts Attempt). */
export interface CallIds {
  requestId: string;
  traceparent: string;
}

export type ResultHeaders = (result: InvokeResult, ids: CallIds, revision: number | undefined) => Record<string, string>;

const TEXT_PLAIN = 'text/plain; charset=UTF-8';

export function resultHeaders(node: AppOptions['node']): ResultHeaders {
  if (node === undefined) {
    return (result, ids) => ({
      'content-type': TEXT_PLAIN,
      'x-nano-duration-ms': result.durationMs.toFixed(3),
      'x-nano-cold-start': result.coldStart ? '1' : '0',
      'x-nano-version': String(result.version),
      'x-nano-request-id': ids.requestId,
      traceparent: ids.traceparent,
    });
  }
  // The node's id never changes; the revision is the one the call started on (invoke.ts reads it).
  const nodeId = node.id;
  return (result, ids, revision) => ({
    'content-type': TEXT_PLAIN,
    'x-nano-duration-ms': result.durationMs.toFixed(3),
    'x-nano-cold-start': result.coldStart ? '1' : '0',
    'x-nano-version': String(result.version),
    'x-nano-request-id': ids.requestId,
    traceparent: ids.traceparent,
    'x-nano-node': nodeId,
    'x-nano-revision': String(revision),
  });
}
