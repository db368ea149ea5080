/**
 * `nano invoke`'s request flags, for a function that speaks HTTP (a `wagi`
 * function): --method, --path, -H/--header (repeatable) and the body from
 * --data (text) or --data-binary (text, or @file for a file's bytes), as curl
 * spells them. Turned into one request, sent to the platform or to the
 * in-process app (`--local`) alike.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './context.js';
import { fileSystemError } from '../file-system-error.js';

export interface RequestFlags {
  method?: string;
  path?: string;
  header?: string[];
  data?: string;
  'data-binary'?: string;
}

export interface RawRequest {
  method: string;
  /** Below `/exec/<fn>`: '' or a path starting with '/', with its query string. */
  path: string;
  headers: [string, string][];
  body: Uint8Array | undefined;
}

const METHOD = /^[A-Z]{1,16}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether the flags ask for a request of their own rather than a call with arguments. */
export function wantsRawRequest(flags: RequestFlags): boolean {
  return flags.method !== undefined || flags.path !== undefined || (flags.header ?? []).length > 0 || flags['data-binary'] !== undefined;
}

export async function rawRequestOf(flags: RequestFlags, cwd: string): Promise<RawRequest> {
  if (flags.data !== undefined && flags['data-binary'] !== undefined)
    throw new UsageError('give the body either with --data or with --data-binary, not both');
  const body = await bodyOf(flags, cwd);
  const method = (flags.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
  if (!METHOD.test(method)) throw new UsageError(`--method must be an HTTP method such as GET or POST, got "${flags.method}"`);
  if ((method === 'GET' || method === 'HEAD') && body !== undefined)
    throw new UsageError(`a ${method} request has no body: use --method POST (or PUT, PATCH)`);
  const path = flags.path ?? '';
  if (path !== '' && !path.startsWith('/') && !path.startsWith('?')) {
    throw new UsageError(`--path must start with "/" or "?" (it follows /exec/<fn>), got "${path}"`);
  }
  const headers = (flags.header ?? []).map((line): [string, string] => {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!HEADER_NAME.test(name)) throw new UsageError(`-H must be "Name: value", got "${line}"`);
    return [name, line.slice(colon + 1).trim()];
  });
  return { method, path, headers, body };
}

async function bodyOf(flags: RequestFlags, cwd: string): Promise<Uint8Array | undefined> {
  const binary = flags['data-binary'];
  if (binary === undefined) return flags.data === undefined ? undefined : new TextEncoder().encode(flags.data);
  if (!binary.startsWith('@')) return new TextEncoder().encode(binary);
  const file = resolve(cwd, binary.slice(1));
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw fileSystemError(error, 'read the body from', file);
  }
}
