/**
 * The control plane of a nano platform, one typed method per route of the wire
 * contract (src/server/control-api.ts). Every method returns the parsed body or
 * throws a NanoError (see http.ts).
 */
import { NanoError } from '../errors.js';
import type {
  ArtifactStored,
  DeployCommitted,
  DeployPlan,
  DeployRequest,
  FunctionDescription,
  FunctionList,
  LogEntry,
  LogList,
  NodeList,
  Removed,
  RollbackDone,
  VersionList,
} from '../server/control-api.js';
import { HttpClient, type HttpOptions } from './http.js';
import { readSse } from './sse.js';

export interface LogQuery {
  /** Only entries newer than this many ms. */
  sinceMs?: number;
  limit?: number;
}

const fn = (name: string) => `/functions/${encodeURIComponent(name)}`;

/** A route the server does not have, as against a thing the route does not find. */
const isNoRoute = (error: unknown): error is NanoError =>
  error instanceof NanoError && (error.code === 'NotFound' || error.code === 'MethodNotAllowed');

function logQuery(query: LogQuery): string {
  const params = new URLSearchParams();
  if (query.sinceMs !== undefined) params.set('since', `${query.sinceMs}ms`);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class ControlClient {
  readonly http: HttpClient;

  constructor(options: HttpOptions) {
    this.http = new HttpClient(options);
  }

  get url(): string {
    return this.http.url;
  }

  health(): Promise<{ status: string; functions: number }> {
    return this.http.json('GET', '/healthz', { auth: false });
  }

  async planDeploy(request: DeployRequest): Promise<DeployPlan> {
    return this.control(() => this.http.json<DeployPlan>('POST', '/deployments', { json: request }));
  }

  uploadArtifact(sha256: string, bytes: Uint8Array): Promise<ArtifactStored> {
    return this.http.json('PUT', `/artifacts/${sha256}`, { body: bytes, headers: { 'content-type': 'application/wasm' } });
  }

  commitDeploy(id: string): Promise<DeployCommitted> {
    return this.http.json('POST', `/deployments/${encodeURIComponent(id)}/commit`);
  }

  listFunctions(): Promise<FunctionList> {
    return this.control(() => this.http.json<FunctionList>('GET', '/functions'));
  }

  /** The nodes sharing the platform's registry, and the revision each serves. */
  nodes(): Promise<NodeList> {
    return this.control(() => this.http.json<NodeList>('GET', '/healthz/nodes'));
  }

  describe(name: string): Promise<FunctionDescription> {
    return this.control(() => this.http.json<FunctionDescription>('GET', fn(name)), 'ask');
  }

  versions(name: string): Promise<VersionList> {
    return this.control(() => this.http.json<VersionList>('GET', `${fn(name)}/versions`), 'ask');
  }

  rollback(name: string, to?: number): Promise<RollbackDone> {
    return this.control(
      () => this.http.json<RollbackDone>('POST', `${fn(name)}/rollback`, { json: to === undefined ? {} : { to } }),
      'ask',
    );
  }

  remove(name: string): Promise<Removed> {
    return this.control(() => this.http.json<Removed>('DELETE', fn(name)), 'ask');
  }

  logs(name: string, query: LogQuery = {}): Promise<LogList> {
    return this.control(() => this.http.json<LogList>('GET', `${fn(name)}/logs${logQuery(query)}`), 'ask');
  }

  /**
   * Streams a function's log: the recent entries first, then new ones as they
   * happen, until `signal` aborts (then it returns quietly) or the server ends
   * the stream (then it throws). `onOpen` runs once the server accepted the stream.
   */
  async *tailLogs(name: string, query: LogQuery, signal: AbortSignal, onOpen?: () => void): AsyncGenerator<LogEntry> {
    let response: Response;
    try {
      response = await this.control(
        () =>
          this.http.request('GET', `${fn(name)}/logs${logQuery(query)}`, {
            headers: { accept: 'text/event-stream' },
            timeoutMs: 0,
            signal,
          }),
        'ask',
      );
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') || !response.body) {
      await response.body?.cancel();
      throw new NanoError('RemoteError', `${this.url} did not answer the log stream with text/event-stream`, {
        value: response.headers.get('content-type'),
        hint: 'is the server a `nano server` of this version?',
      });
    }
    onOpen?.();
    try {
      for await (const event of readSse(response.body)) {
        if (event.event !== 'log') continue;
        try {
          yield JSON.parse(event.data) as LogEntry;
        } catch {
          throw new NanoError('RemoteError', `the log stream sent an entry that is not JSON: ${event.data.slice(0, 200)}`);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof NanoError) throw error;
      throw new NanoError('ServerUnreachable', `the log stream from ${this.url} broke: ${String((error as Error).message)}`, {
        cause: error,
      });
    }
    if (signal.aborted) return;
    throw new NanoError('ServerUnreachable', `${this.url} closed the log stream`, {
      hint: 'did the server stop or restart? run the command again',
    });
  }

  /**
   * Every control-plane call: a route the URL does not serve (404 `NotFound`, 405 `MethodNotAllowed`)
   * means it points at something without a control plane, such as `nano dev`. A control plane answers
   * a function's routes with `NotFound` too (a rollback to a version it does not keep), so for those
   * (`ask`) the list route, which every control plane serves, settles which it is.
   */
  private async control<T>(call: () => Promise<T>, ambiguous?: 'ask'): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!isNoRoute(error)) throw error;
      if (ambiguous === 'ask') {
        const listed = await this.http.json('GET', '/functions').then(
          () => undefined,
          (probe: unknown) => probe,
        );
        if (!isNoRoute(listed)) throw error;
      }
      throw new NanoError('NotFound', `${this.url} has no control plane: ${error.message}`, {
        value: error.value,
        hint: 'point --url or provider.url at a `nano server` (`nano dev` serves only the data plane)',
      });
    }
  }
}
