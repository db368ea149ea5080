/**
 * One invocation through a platform's data plane: `GET /exec/<fn>?a,b` with the
 * arguments exactly as typed (the seed's form, so an i64 keeps every digit), or
 * `POST /exec/<fn>` with a JSON body given as is.
 */
import type { HttpClient } from './http.js';

export interface RemoteInvocation {
  name: string;
  /** The response body: the function's result as text. */
  value: string;
  status: number;
  durationMs: number | null;
  coldStart: boolean | null;
  version: number | null;
}

export interface InvokeOptions {
  /** Positional arguments, sent as the query string. */
  args?: readonly string[];
  /** A JSON body (`[5,2]` or `{"args":[5,2]}`), sent with POST instead. */
  json?: string;
  signal?: AbortSignal;
}

const numberHeader = (response: Response, name: string): number | null => {
  const value = response.headers.get(name);
  return value === null || value === '' || !Number.isFinite(Number(value)) ? null : Number(value);
};

export async function invokeRemote(http: HttpClient, name: string, options: InvokeOptions = {}): Promise<RemoteInvocation> {
  const path = `/exec/${encodeURIComponent(name)}`;
  // Commas separate arguments; everything else of an argument is URL-encoded.
  const query = (options.args ?? []).map((arg) => encodeURIComponent(arg)).join(',');
  // An invocation lasts as long as the function's own timeout allows: the server enforces it, not us.
  const response =
    options.json === undefined
      ? await http.request('GET', query ? `${path}?${query}` : path, { timeoutMs: 0, signal: options.signal })
      : await http.request('POST', path, {
          body: options.json,
          headers: { 'content-type': 'application/json' },
          timeoutMs: 0,
          signal: options.signal,
        });
  const cold = response.headers.get('x-nano-cold-start');
  return {
    name,
    value: await response.text(),
    status: response.status,
    durationMs: numberHeader(response, 'x-nano-duration-ms'),
    coldStart: cold === null ? null : cold === '1',
    version: numberHeader(response, 'x-nano-version'),
  };
}

/** A request of the caller's own to `/exec/<fn><path>` (a `wagi` function speaks HTTP): any status is an answer. */
export async function requestRemote(
  http: HttpClient,
  name: string,
  request: { method: string; path: string; headers: [string, string][]; body: Uint8Array | undefined },
): Promise<Response> {
  return http.request(request.method, `/exec/${encodeURIComponent(name)}${request.path}`, {
    headers: Object.fromEntries(request.headers),
    ...(request.body === undefined ? {} : { body: request.body }),
    timeoutMs: 0,
    anyStatus: true,
  });
}
