/**
 * What the platform offers a module: the only imports a nano function may have.
 * The builder checks against this table and the runtime provides exactly it, so
 * a module that builds is a module that links.
 */
import type { FuncType } from './wasm-reader.js';

export const PLATFORM_MODULE = 'platform';

export type PlatformImport = { kind: 'function'; type: FuncType; doc: string } | { kind: 'memory'; doc: string };

export const PLATFORM_IMPORTS: Readonly<Record<string, PlatformImport>> = {
  now: { kind: 'function', type: { params: [], results: ['f64'] }, doc: 'milliseconds since the epoch' },
  memory: { kind: 'memory', doc: 'a linear memory sized to the function\'s limit' },
};

export function describeAllowedImports(): string {
  return Object.keys(PLATFORM_IMPORTS)
    .map((name) => `${PLATFORM_MODULE}.${name}`)
    .join(', ');
}
