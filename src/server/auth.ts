/**
 * Bearer-token guard. Both sides are hashed before a constant-time comparison,
 * so neither the content nor the length of the token leaks through timing.
 * A refusal says nothing about whether the thing asked for exists.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { NanoError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of the request's `Authorization: Bearer <token>`, if it has one. */
export function presentedToken(c: Context): string | undefined {
  // The scheme is case-insensitive (RFC 7235 §2.1).
  return /^bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

/** Throws Unauthorized unless the request carries `Authorization: Bearer <token>`. */
export function assertBearer(c: Context, token: string): void {
  const presented = presentedToken(c);
  if (presented === undefined || !tokenMatches(presented, token)) {
    throw new NanoError('Unauthorized', 'missing or wrong bearer token', {
      hint: 'send `Authorization: Bearer <token>`; the CLI reads it from NANO_TOKEN',
    });
  }
}

export function requireBearer(token: string): MiddlewareHandler {
  return async (c, next) => {
    assertBearer(c, token);
    await next();
  };
}
