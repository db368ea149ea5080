/**
 * Puts a build's functions into an executor and the route table: installs new
 * and changed functions (a changed artifact or limit gets the next version),
 * removes the ones the build no longer has, then swaps the routes in one step.
 *
 * The changed functions switch in one step (`executor.deployMany`, as a
 * platform deploy commits): calls admitted before it finish on their old
 * versions, calls after it get the new ones, none sees half a reload. If the
 * executor refuses a module, that step does nothing, and the functions are
 * then switched one by one so that the good ones still swap: a refused
 * function keeps serving its previous version, and so does every function
 * named in `keep` (its new source failed to build), with its previous routes.
 * The route table always describes what is serving.
 */
import type { BuildResult, FunctionArtifact } from '../build/index.js';
import type { DeployItem, Executor } from '../runtime/index.js';
import type { RouteTable } from '../server/index.js';

/** What made a new version of a function. */
export type ChangedPart = 'code' | 'limits' | 'routes' | 'entry' | 'abi' | 'env';

export interface LoadedFunction {
  name: string;
  /** The version serving after the load (for 'removed': the last one served); null when none serves. */
  version: number | null;
  /**
   * added / updated / unchanged: the build's artifact is serving. kept: the
   * build had none (`keep`), the previous version goes on. removed: gone from
   * the build, now answers 404. refused: the executor refused the new artifact.
   */
  change: 'added' | 'updated' | 'unchanged' | 'kept' | 'removed' | 'refused';
  /** For 'updated': what differs from the previous version (empty when it was only reinstalled). */
  changed?: ChangedPart[];
  /** For 'refused': the executor's error. */
  error?: unknown;
}

export interface LoadOptions {
  /** Functions absent from the manifest that must go on serving their current version. */
  keep?: Iterable<string>;
}

/** What the loader needs of a build: its manifest and the bytes of its artifacts. */
export type LoadableBuild = Pick<BuildResult, 'manifest' | 'artifacts'>;

export interface ServedFunction {
  version: number;
  artifact: FunctionArtifact;
}

function changedParts(previous: FunctionArtifact, next: FunctionArtifact): ChangedPart[] {
  const parts: ChangedPart[] = [];
  if (previous.sha256 !== next.sha256) parts.push('code');
  if (JSON.stringify(previous.limits) !== JSON.stringify(next.limits)) parts.push('limits');
  if (JSON.stringify(previous.routes) !== JSON.stringify(next.routes)) parts.push('routes');
  if (previous.entry !== next.entry) parts.push('entry');
  if ((previous.abi ?? 'args') !== (next.abi ?? 'args')) parts.push('abi');
  if (JSON.stringify(Object.entries(previous.env ?? {}).sort()) !== JSON.stringify(Object.entries(next.env ?? {}).sort()))
    parts.push('env');
  return parts;
}

export class BuildLoader {
  private loaded = new Map<string, ServedFunction>();

  constructor(
    private readonly executor: Executor,
    private readonly routes: RouteTable,
  ) {}

  /** The functions serving now, with their versions, in the order they were first loaded. */
  served(): ServedFunction[] {
    return [...this.loaded.values()];
  }

  version(name: string): number | null {
    return this.loaded.get(name)?.version ?? null;
  }

  async load(build: LoadableBuild, options: LoadOptions = {}): Promise<LoadedFunction[]> {
    const { manifest } = build;
    const keep = new Set(options.keep ?? []);
    const inBuild = new Set(manifest.functions.map((fn) => fn.name));
    const removed = [...this.loaded.keys()].filter((name) => !inBuild.has(name) && !keep.has(name));

    const results = new Map<string, LoadedFunction>();
    const items: DeployItem[] = [];
    for (const fn of manifest.functions) {
      const previous = this.loaded.get(fn.name);
      const changed = previous === undefined ? [] : changedParts(previous.artifact, fn);
      if (previous !== undefined && changed.length === 0 && this.executor.has(fn.name)) {
        results.set(fn.name, { name: fn.name, version: previous.version, change: 'unchanged' });
        continue;
      }
      const version = (previous?.version ?? 0) + 1;
      const bytes = build.artifacts.get(fn.name);
      if (bytes === undefined) {
        const error = new Error(`the build has no artifact for "${fn.name}"`);
        results.set(fn.name, { name: fn.name, version: previous?.version ?? null, change: 'refused', error });
        continue;
      }
      items.push({ fn, bytes, version });
      results.set(
        fn.name,
        previous === undefined ? { name: fn.name, version, change: 'added' } : { name: fn.name, version, change: 'updated', changed },
      );
    }

    try {
      await this.executor.deployMany(items, { remove: removed });
    } catch {
      // Something was refused and nothing switched: one by one, so the others still do.
      for (const item of items) {
        try {
          await this.executor.deployMany([item]);
        } catch (error) {
          const version = this.loaded.get(item.fn.name)?.version ?? null;
          results.set(item.fn.name, { name: item.fn.name, version, change: 'refused', error });
        }
      }
      for (const name of removed) this.executor.remove(name);
    }

    // Serving from now on, in the build's order: its functions, then the kept ones.
    const next = new Map<string, ServedFunction>();
    for (const fn of manifest.functions) {
      const result = results.get(fn.name);
      const previous = this.loaded.get(fn.name);
      if (result?.change === 'refused') {
        if (previous !== undefined) next.set(fn.name, previous);
      } else if (result !== undefined && result.version !== null) {
        // Unchanged ones take the manifest's copy too (the source path may have moved).
        next.set(fn.name, { version: result.version, artifact: fn });
      }
    }
    const kept: ServedFunction[] = [];
    const others: LoadedFunction[] = [];
    for (const [name, served] of this.loaded) {
      if (inBuild.has(name)) continue;
      if (keep.has(name)) {
        kept.push(served);
        others.push({ name, version: served.version, change: 'kept' });
      } else {
        others.push({ name, version: served.version, change: 'removed' });
      }
    }
    const fresh = [...next.values()];
    for (const served of kept) next.set(served.artifact.name, served);
    this.loaded = next;
    // Kept functions first, so that a route the new build gave to another function goes to that one.
    this.routes.replace([...kept, ...fresh].map((fn) => fn.artifact));
    return [...manifest.functions.map((fn) => results.get(fn.name)!), ...others];
  }
}
