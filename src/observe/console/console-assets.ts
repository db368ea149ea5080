/**
 * The console's page and its static files, shipped in the package (`console/` beside `dist/`, and uPlot
 * from its npm package): no CDN, so the console works offline. The files are read into a table once; a
 * request names a key of that table, never a path, so nothing outside them can be reached.
 *
 * The files' URLs carry a hash of their content (`/_nano/assets/<hash>/app.js`), so a browser may keep
 * them forever (`immutable`) and still gets new ones after an upgrade: the page, never cached, names the
 * new hash. The ES modules import each other relatively, so they stay under one hash.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import type { Hono } from 'hono';
import { NanoError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-root.js';

const CONSOLE_DIR = join(PACKAGE_ROOT, 'console');
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The uPlot files, from wherever npm installed the package (hoisted or not). */
function uplotFile(name: string): string {
  return join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist', name);
}

/** Content types by extension: the page's folder holds nothing else. */
const TYPES: Record<string, string> = { '.js': JS, '.css': CSS };

/**
 * Served name → file: every script and style sheet of console/ (read from the folder, so a new one
 * needs no entry here), and uPlot's two files.
 */
async function servedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(CONSOLE_DIR)).sort()) {
    if (TYPES[extname(name)] !== undefined) files.set(name, join(CONSOLE_DIR, name));
  }
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) files.set(name, uplotFile(name));
  return files;
}

/**
 * What the page may do: its own scripts only (no inline script, nothing from elsewhere), requests to
 * this server only, and no framing by another site. Inline styles stay allowed: uPlot sizes its
 * elements through them.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

interface Loaded {
  hash: string;
  page: string;
  /** Served name → content type and bytes; a request's name is only ever a key here. */
  files: Map<string, { type: string; bytes: Buffer }>;
}

async function load(): Promise<Loaded> {
  const files = new Map<string, { type: string; bytes: Buffer }>();
  const hash = createHash('sha256');
  for (const [name, path] of await servedFiles()) {
    const bytes = await readFile(path);
    files.set(name, { type: TYPES[extname(name)]!, bytes });
    hash.update(name).update(bytes);
  }
  const short = hash.digest('hex').slice(0, 12);
  const template = await readFile(join(CONSOLE_DIR, 'index.html'), 'utf8');
  return { hash: short, page: template.replaceAll('{{assets}}', `/_nano/assets/${short}`), files };
}

export function addConsoleAssets(app: Hono): void {
  // Read once, at the first request: a server whose console nobody opens never reads them.
  let loaded: Promise<Loaded> | undefined;
  const assets = () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));

  app.get('/_nano', (c) => c.redirect('/_nano/', 301));
  app.get('/_nano/', async (c) => {
    const { page } = await assets();
    c.header('Cache-Control', 'no-store');
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(page);
  });

  app.get('/_nano/assets/:hash/:file', async (c) => {
    const { hash, files } = await assets();
    const file = files.get(c.req.param('file'));
    if (file === undefined || c.req.param('hash') !== hash) {
      throw new NanoError('NotFound', `no console file ${c.req.path}`, {
        value: c.req.path,
        hint: 'the console may have been updated since the page was loaded: reload it',
      });
    }
    c.header('Content-Type', file.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(new Uint8Array(file.bytes));
  });
}
