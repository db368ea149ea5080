/**
 * `node --import ./record-imports.mjs ...` appends the URL of every file the process
 * imports to the file named by NANO_TEST_IMPORT_LOG, one a line (lazy-imports.test.ts).
 * Module hooks run on a thread of their own: this file registers itself as the hooks
 * from the main thread, and is loaded again there to record.
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';
import { isMainThread } from 'node:worker_threads';

let log;

export function initialize(file) {
  log = file;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.startsWith('file:')) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}

if (isMainThread) register(import.meta.url, { data: process.env.NANO_TEST_IMPORT_LOG });
