/**
 * Who may use the console of a `nano server` that has a token: a login form trades the token for a
 * random session id in a cookie (`HttpOnly`: no script reads it; `SameSite=Strict`: no other site sends
 * it; `Path=/_nano`: no function's route sees it). The token itself never leaves the login request — not
 * in the URL, not in the page. Sessions live in memory with an expiry: a restart logs everyone out.
 * An API client may send `Authorization: Bearer <token>` instead. Every POST also needs the
 * `x-nano-console` header, which a cross-site form cannot send (a second defence beside SameSite).
 * Without a token (`nano dev`, a loopback-only `nano server`) nobody logs in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { NanoError } from '../../errors.js';
import { presentedToken, tokenMatches } from '../../server/auth.js';
import { tokenFingerprint, type ControlActionObserver } from '../../server/control-action.js';
import { readJsonOrForm } from './request-body.js';

export const SESSION_COOKIE = 'nano_console';
/** The header every state-changing request carries: a cross-site form or image cannot set it. */
export const CSRF_HEADER = 'x-nano-console';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** At most this many live sessions: each login past it ends the oldest (memory stays bounded). */
const MAX_SESSIONS = 1000;

export interface ConsoleAuthOptions {
  /** The server's token; undefined: no login. */
  token: string | undefined;
  onControlAction?: ControlActionObserver;
  now?: () => number;
}

/** A session id is kept by its hash: a map lookup then reveals nothing about a real id through timing. */
const keyOf = (id: string) => createHash('sha256').update(id).digest('base64url');

function unauthorized(): NanoError {
  return new NanoError('Unauthorized', 'log in to the console first', {
    hint: 'POST the token to /_nano/login (the console page does), or send `Authorization: Bearer <token>`',
  });
}

export class ConsoleAuth {
  /** Session key → when it expires (epoch ms). A Map keeps insertion order: the first entry is the oldest. */
  private readonly sessions = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: ConsoleAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  get required(): boolean {
    return this.options.token !== undefined;
  }

  /**
   * Who acts through the console, for the log: the fingerprint of the server's token, the only one that
   * opens a session or the API (undefined when none is needed).
   */
  get actor(): string | undefined {
    return this.options.token === undefined ? undefined : tokenFingerprint(this.options.token);
  }

  /** Whether the request may read the console's API (a live session, the bearer token, or no token needed). */
  allows(c: Context): boolean {
    const token = this.options.token;
    if (token === undefined) return true;
    const presented = presentedToken(c);
    if (presented !== undefined) return tokenMatches(presented, token);
    const id = getCookie(c, SESSION_COOKIE);
    if (id === undefined) return false;
    const key = keyOf(id);
    const expires = this.sessions.get(key);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.sessions.delete(key);
      return false;
    }
    return true;
  }

  /** The guard of /_nano/api/*: a session (or the token), and on POST the CSRF header. */
  guard(): MiddlewareHandler {
    return async (c, next) => {
      if (c.req.method === 'POST') assertCsrfHeader(c);
      if (!this.allows(c)) throw unauthorized();
      await next();
    };
  }

  private open(): string {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    for (const [key, expires] of this.sessions) if (expires <= now) this.sessions.delete(key);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(keyOf(id), now + SESSION_TTL_MS);
    return id;
  }

  /** GET /_nano/session (whether to show the login form), POST /_nano/login and /_nano/logout. */
  addRoutes(app: Hono): void {
    // Outside the API's guard, and 200 either way: the page asks before it shows anything, without a 401 to log.
    app.get('/_nano/session', (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json({ loginRequired: this.required, authenticated: this.allows(c) });
    });

    app.post('/_nano/login', async (c) => {
      assertCsrfHeader(c);
      const token = this.options.token;
      if (token === undefined) return c.json({ ok: true, loginRequired: false });
      const body = await readJsonOrForm(c.req.raw);
      const presented = typeof body.token === 'string' ? body.token : '';
      const started = performance.now();
      const ok = presented !== '' && tokenMatches(presented, token);
      // Who, only for a login that worked: a wrong token is a typo of the real one or another secret.
      this.report({ ok, by: ok ? tokenFingerprint(presented) : undefined, durationMs: performance.now() - started });
      if (!ok) {
        throw new NanoError('Unauthorized', presented === '' ? 'enter the server token' : 'wrong token', {
          hint: 'the token `nano server` was started with (--token or NANO_TOKEN)',
        });
      }
      setCookie(c, SESSION_COOKIE, this.open(), {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/_nano',
        maxAge: SESSION_TTL_MS / 1000,
        secure: isHttps(c),
      });
      return c.json({ ok: true, loginRequired: true });
    });

    app.post('/_nano/logout', (c) => {
      assertCsrfHeader(c);
      const id = getCookie(c, SESSION_COOKIE);
      if (id !== undefined) this.sessions.delete(keyOf(id));
      deleteCookie(c, SESSION_COOKIE, { path: '/_nano', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
      return c.json({ ok: true });
    });
  }

  private report(login: { ok: boolean; by: string | undefined; durationMs: number }): void {
    try {
      this.options.onControlAction?.({
        action: 'login',
        target: 'console',
        result: login.ok ? 'ok' : 'refused',
        ...(login.ok ? {} : { code: 'Unauthorized' }),
        ...(login.by === undefined ? {} : { by: login.by }),
        durationMs: login.durationMs,
      });
    } catch {
      // An observer's failure must not change the answer.
    }
  }
}

function assertCsrfHeader(c: Context): void {
  if (c.req.header(CSRF_HEADER) === undefined) {
    throw new NanoError('RequestInvalid', `a console request that changes something needs the ${CSRF_HEADER} header`, {
      value: `${c.req.method} ${c.req.path}`,
      hint: `send \`${CSRF_HEADER}: 1\` (the console page does); it keeps other sites from posting here`,
    });
  }
}

/** Behind a TLS-terminating proxy the cookie is marked Secure too, so that it never travels in clear. */
function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}
