/**
 * Puts a build's functions into an executor and the route table: installs new
 * and changed functions (a changed artifact or limit gets the next version),
 * removes the ones the build no longer has, then swaps the routes in one step.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildManifest, FunctionArtifact } from '../build/index.js';
import type { Executor } from '../runtime/index.js';
import type { RouteTable } from '../server/index.js';

export interface LoadedFunction {
  name: string;
  version: number;
  /** What the build changed for this function since the last load. */
  change: 'added' | 'updated' | 'unchanged';
}

/** Everything about a function that, when it changes, makes a new version. */
function fingerprint(fn: FunctionArtifact): string {
  return JSON.stringify([fn.sha256, fn.limits, fn.routes, fn.entry]);
}

export class BuildLoader {
  private readonly loaded = new Map<string, { version: number; fingerprint: string }>();

  constructor(
    private readonly executor: Executor,
    private readonly routes: RouteTable,
  ) {}

  async load(buildDir: string, manifest: BuildManifest): Promise<LoadedFunction[]> {
    const results: LoadedFunction[] = [];
    for (const fn of manifest.functions) {
      const previous = this.loaded.get(fn.name);
      const print = fingerprint(fn);
      if (previous?.fingerprint === print && this.executor.has(fn.name)) {
        results.push({ name: fn.name, version: previous.version, change: 'unchanged' });
        continue;
      }
      const version = (previous?.version ?? 0) + 1;
      const bytes = new Uint8Array(await readFile(join(buildDir, fn.artifact)));
      await this.executor.deploy(fn, bytes, version);
      this.loaded.set(fn.name, { version, fingerprint: print });
      results.push({ name: fn.name, version, change: previous ? 'updated' : 'added' });
    }
    const kept = new Set(manifest.functions.map((fn) => fn.name));
    for (const name of [...this.loaded.keys()]) {
      if (kept.has(name)) continue;
      this.executor.remove(name);
      this.loaded.delete(name);
    }
    this.routes.replace(manifest.functions);
    return results;
  }
}
