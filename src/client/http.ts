/**
 * One HTTP request to a nano platform, with every way it can fail turned into a
 * `NanoError` the CLI prints cleanly:
 *   - the server answered `{ error: { code, message, hint? } }` → that code and message;
 *   - 401 → `Unauthorized`, with a hint about NANO_TOKEN;
 *   - any other non-2xx or a body that is not what the contract says → `RemoteError`;
 *   - no answer at all → `ServerUnreachable` ("cannot reach ...: ECONNREFUSED").
 */
import { NanoError, type ErrorCode } from '../errors.js';

export interface HttpOptions {
  /** Base URL of the platform, without a trailing slash (`http://127.0.0.1:8000`). */
  url: string;
  /** Bearer token for `Authorization`; undefined sends none. */
  token?: string;
  /** Where the token came from, for the 401 hint. */
  tokenSource?: string;
  /** Per-request time limit in ms for requests that set none (default 60 s). */
  timeoutMs?: number;
  /** Injected in tests (`app.fetch`); the global fetch otherwise. */
  fetch?: (request: Request) => Promise<Response>;
}

export interface RequestOptions {
  /** A JSON body (sets content-type) or raw bytes. */
  json?: unknown;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** Overrides the client's time limit; 0 means none (streams, invocations). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Send the bearer token (default true). */
  auth?: boolean;
  /** Hand back a response of any status (a function's own 404 is its answer, not an error of the platform). */
  anyStatus?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Every code a server may answer with. A `Record` so that adding a code to
 * `ErrorCode` without listing it here fails to compile.
 */
const KNOWN_CODES: Record<ErrorCode, true> = {
  ConfigInvalid: true,
  ConfigNotFound: true,
  BuildFailed: true,
  ManifestInvalid: true,
  InitRefused: true,
  TemplateNotFound: true,
  FunctionNotFound: true,
  FunctionUnavailable: true,
  BadArguments: true,
  FunctionTimeout: true,
  FunctionTrapped: true,
  ConcurrencyLimit: true,
  Overloaded: true,
  PayloadTooLarge: true,
  Unauthorized: true,
  DeployConflict: true,
  RequestInvalid: true,
  RequestAborted: true,
  RequestTimeout: true,
  HeadersTooLarge: true,
  RemoteError: true,
  ServerUnreachable: true,
  NotFound: true,
  MethodNotAllowed: true,
  ListenFailed: true,
  NotReady: true,
  Starting: true,
  FileSystemError: true,
  ModuleRefused: true,
  TokenRequired: true,
  BadResponse: true,
  RegistryUnsupported: true,
  RegistryUnavailable: true,
};

const isKnownCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(KNOWN_CODES, code);

/** `http://host:port/`, `HTTP://Host:Port` → `http://host:port`; a UsageError-worthy NanoError otherwise. */
export function normalizeUrl(value: string, from: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NanoError('ConfigInvalid', `${from}: "${value}" is not a URL`, { value, hint: 'give the platform as http://host:port' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NanoError('ConfigInvalid', `${from}: "${value}" is not an http(s) URL`, {
      value,
      hint: 'give the platform as http://host:port',
    });
  }
  if (url.search || url.hash) {
    throw new NanoError('ConfigInvalid', `${from}: "${value}" may not have a query or a fragment`, { value });
  }
  return url.href.replace(/\/+$/, '');
}

/** The system's reason a connection failed: ECONNREFUSED, ENOTFOUND, ... */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const nested = cause as { code?: unknown; errors?: { code?: unknown }[]; message?: unknown };
  if (typeof nested.code === 'string') return nested.code;
  const first = nested.errors?.find((item) => typeof item.code === 'string');
  if (first) return String(first.code);
  return typeof nested.message === 'string' ? nested.message : String(cause);
}

export class HttpClient {
  readonly url: string;
  private readonly options: HttpOptions;

  constructor(options: HttpOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.options = options;
  }

  get hasToken(): boolean {
    return Boolean(this.options.token);
  }

  /** A 2xx response, or a thrown NanoError for anything else. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== false && this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body: Uint8Array | string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      body = options.body;
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s) => s !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const request = new Request(`${this.url}${path}`, { method, headers, body, signal });
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(request);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (signal?.aborted) {
        throw new NanoError('ServerUnreachable', `${this.url} did not answer ${method} ${path} within ${timeoutMs / 1000} s`, {
          value: this.url,
          hint: 'is the server overloaded, or is the URL pointing at something that is not nano?',
          cause: error,
        });
      }
      throw new NanoError('ServerUnreachable', `cannot reach ${this.url}: ${networkReason(error)} — is \`nano server\` running?`, {
        value: this.url,
        hint: 'start it with `nano server`, or point at another one with --url or provider.url in nano.yml',
        cause: error,
      });
    }
    if (response.ok || options.anyStatus) return response;
    throw await this.errorOf(response, method, path);
  }

  /** A 2xx JSON body. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new NanoError('RemoteError', `${method} ${path} answered ${response.status} with a body that is not JSON: ${excerpt(text)}`, {
        value: text,
        hint: `is ${this.url} a nano server?`,
      });
    }
  }

  /** The NanoError a failed response stands for. */
  async errorOf(response: Response, method: string, path: string): Promise<NanoError> {
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown; hint?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message : undefined;
    const serverHint = typeof error?.hint === 'string' ? error.hint : undefined;
    const value = { status: response.status, code: error?.code };

    if (response.status === 401) {
      const hint = this.hasToken
        ? `the server refused the token from ${this.options.tokenSource ?? 'NANO_TOKEN'}: set it to the token \`nano server\` was started with`
        : 'set NANO_TOKEN to the token `nano server` was started with (--token or its NANO_TOKEN)';
      return new NanoError('Unauthorized', message ?? `${this.url} refused ${method} ${path}: 401 Unauthorized`, { value, hint });
    }
    if (message !== undefined && isKnownCode(error?.code)) {
      return new NanoError(error.code, message, { value, hint: serverHint });
    }
    if (message !== undefined) {
      // A code this client does not know (a newer server, or `Internal`): keep the server's words.
      return new NanoError('RemoteError', `${message} (${String(error?.code)}, ${response.status})`, { value, hint: serverHint });
    }
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    return new NanoError('RemoteError', `${method} ${path} answered ${status}${text.trim() ? `: ${excerpt(text)}` : ''}`, {
      value,
      hint: `is ${this.url} a nano server?`,
    });
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
