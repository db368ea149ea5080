/**
 * The rooms of src/ and which may import which (README, Architecture): `cli` → `observe` → `dev`/`server` →
 * `runtime` → `build` → `config`, beside them `registry` (the platform's store, under `server`),
 * `client` (the CLI's side of the wire, under `cli`) and `init` (scaffolding). Every room may import
 * the shared leaves (errors, file-system-error, package-root). A lower room never imports a higher
 * one, so each stage can be loaded, tested and reasoned about without what comes after it.
 *
 * Every relative import of every src/**\/*.ts file is checked — static, dynamic (`import()`), re-exports
 * and type-only ones alike (a type import is still a dependency on the room's vocabulary). The
 * specifiers come from TypeScript's own pre-processor, so comments and strings do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

const LEAVES = ['errors', 'file-system-error', 'package-root', 'types'];

/** For each room, the other rooms it may import (its own files it always may). */
const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  'file-system-error': ['errors'],
  'package-root': [],
  types: [],
  config: [...LEAVES],
  build: ['config', ...LEAVES],
  runtime: ['build', 'config', ...LEAVES],
  registry: ['build', 'config', ...LEAVES],
  server: ['runtime', 'registry', 'build', 'config', ...LEAVES],
  dev: ['server', 'runtime', 'build', 'config', ...LEAVES],
  // Observability (metrics, logs, the console) watches the platform and the dev server from outside.
  observe: ['dev', 'server', 'runtime', 'registry', 'build', 'config', ...LEAVES],
  init: [...LEAVES],
  // The client speaks the control plane's wire contract, and imports nothing else of the server (EXCEPTIONS).
  client: ['build', 'config', ...LEAVES],
  cli: ['observe', 'dev', 'server', 'runtime', 'registry', 'build', 'config', 'client', 'init', ...LEAVES],
  bin: ['cli'],
  // The package's public API re-exports the rooms; nothing imports it.
  index: ['cli', 'dev', 'server', 'runtime', 'registry', 'build', 'config', 'client', 'init', ...LEAVES],
};

/** Single files another room may import although their room is out of reach: the wire contract. */
const EXCEPTIONS: Record<string, readonly string[]> = {
  client: ['server/control-api.ts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `src/server/app.ts` → "server", `src/errors.ts` → "errors". */
function roomOf(file: string): string {
  const [first = ''] = relative(SRC, file).split('/');
  return first.replace(/\.(d\.)?ts$/, '');
}

interface Violation {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

/** Every import of `files` that goes where its room may not, as "src/x.ts imports '...' (room → room)". */
function violations(files: readonly { path: string; text: string }[]): Violation[] {
  const found: Violation[] = [];
  for (const { path, text } of files) {
    const from = roomOf(path);
    const allowed = ALLOWED[from];
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(path), specifier).replace(/\.js$/, '.ts');
      const to = relative(SRC, target).startsWith('..') ? 'outside src' : roomOf(target);
      if (to === from) continue;
      const exception = EXCEPTIONS[from]?.includes(relative(SRC, target)) ?? false;
      if (allowed === undefined || (!allowed.includes(to) && !exception)) {
        found.push({ file: relative(resolve(SRC, '..'), path), specifier, from, to });
      }
    }
  }
  return found;
}

const describeViolation = ({ file, specifier, from, to }: Violation) => `${file} imports '${specifier}' (${from} → ${to})`;

describe('layering', () => {
  it('no file of src/ imports a room above its own', () => {
    const files = sourceFiles(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    expect(files.length).toBeGreaterThan(50);
    expect(Object.keys(ALLOWED)).toEqual(expect.arrayContaining([...new Set(files.map((file) => roomOf(file.path)))]));
    expect(violations(files).map(describeViolation)).toEqual([]);
  });

  it('names the file and the import that goes the wrong way', () => {
    const files = [
      {
        path: join(SRC, 'config/resolve.ts'),
        text: "import { buildProject } from '../build/index.js';\nimport type { X } from './types.js';",
      },
      { path: join(SRC, 'runtime/executor.ts'), text: "const app = await import('../server/app.js');" },
      { path: join(SRC, 'build/manifest.ts'), text: "export { main } from '../cli/main.js';\n// import '../dev/index.js'" },
      {
        path: join(SRC, 'client/http.ts'),
        text: "import type { Platform } from '../server/platform.js';\nimport type { C } from '../server/control-api.js';",
      },
      { path: join(SRC, 'server/app.ts'), text: "import { x } from '../../test/helpers/project.js';" },
    ];
    expect(violations(files).map(describeViolation)).toEqual([
      "src/config/resolve.ts imports '../build/index.js' (config → build)",
      "src/runtime/executor.ts imports '../server/app.js' (runtime → server)",
      "src/build/manifest.ts imports '../cli/main.js' (build → cli)",
      "src/client/http.ts imports '../server/platform.js' (client → server)",
      "src/server/app.ts imports '../../test/helpers/project.js' (server → outside src)",
    ]);
  });
});
