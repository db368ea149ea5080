/**
 * Brings the executor and the route table to a registry revision. One path for
 * every revision this node moves to: the platform's own commits, whose modules
 * were compiled before the write and are staged here, and (with a shared
 * registry) other nodes' commits, compiled here from the store, which this node
 * trusts no more than a client.
 *
 * All functions of a revision switch in one synchronous step, so no request
 * sees half of one. A function whose current version the runtime refuses is
 * *unavailable*: it answers 503 FunctionUnavailable with the reason until a
 * later revision replaces it, and never keeps the others from switching.
 */
import type { RegistryChange, RegistryStore, VersionRecord } from '../registry/index.js';
import type { CompiledSwitch, DeployItem, Executor } from '../runtime/index.js';
import { currentVersion, findCurrent } from './apply-deploy.js';
import type { InvocationLog } from './invocation-log.js';
import { prepareStored } from './prepare-module.js';
import type { RouteTable } from './route-table.js';

export interface RevisionApplierOptions {
  store: RegistryStore;
  executor: Executor;
  routes: RouteTable;
  /** Functions that cannot run: name → why. */
  unavailable: Map<string, string>;
  logs: InvocationLog;
  onLoadError?: (name: string, error: unknown) => void;
}

interface Staged {
  compiled: CompiledSwitch;
  /** Function → the version `compiled` installs. */
  versions: ReadonlyMap<string, number>;
}

/** Functions of a revision compiled at once when they are not staged (a start, another node's commit). */
const COMPILE_CONCURRENCY = 16;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class RevisionApplier {
  private staged: Staged | undefined;
  /** Revisions are applied one at a time, in the order they come (a shared registry's may come while the first load runs). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The revision the executor and the routes serve: changed in the same synchronous step as they are. */
  revision = 0;

  constructor(private readonly options: RevisionApplierOptions) {}

  /** Keeps the modules a commit about to be written switches to (replacing those of an earlier attempt). */
  stage(compiled: CompiledSwitch, items: readonly DeployItem[]): void {
    this.unstage();
    this.staged = { compiled, versions: new Map(items.map((item) => [item.fn.name, item.version])) };
  }

  /** Gives up what is staged and was not used: its commit failed, or was applied already. */
  unstage(): void {
    this.staged?.compiled.discard();
    this.staged = undefined;
  }

  apply(change: RegistryChange): Promise<void> {
    const run = this.queue.then(() => this.applyNow(change));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(change: RegistryChange): Promise<void> {
    const { store, executor, unavailable } = this.options;
    const removed: string[] = [];
    const wanted: { name: string; version: VersionRecord }[] = [];
    const failed = new Map<string, unknown>();
    for (const name of change.names) {
      const fn = store.get(name);
      if (!fn) {
        removed.push(name);
        continue;
      }
      try {
        wanted.push({ name, version: currentVersion(fn) });
      } catch (error) {
        failed.set(name, error);
      }
    }
    const switches = this.takeStaged(wanted) ?? (await this.compileEach(wanted, failed));

    // One synchronous step: every function of the revision switches, or goes, at once.
    for (const compiled of switches) compiled.install();
    for (const name of [...removed, ...failed.keys()]) executor.remove(name);
    for (const name of [...removed, ...wanted.map((w) => w.name)]) if (!failed.has(name)) unavailable.delete(name);
    for (const [name, error] of failed) unavailable.set(name, reasonOf(error));
    this.refreshRoutes();
    this.revision = Math.max(this.revision, change.to);

    for (const name of removed) this.options.logs.forget(name);
    for (const [name, error] of failed) this.options.onLoadError?.(name, error);
  }

  /** The staged modules, if they are exactly what this revision switches to. */
  private takeStaged(wanted: readonly { name: string; version: VersionRecord }[]): CompiledSwitch[] | undefined {
    const staged = this.staged;
    const matches =
      staged !== undefined &&
      staged.versions.size === wanted.length &&
      wanted.every((w) => staged.versions.get(w.name) === w.version.version);
    if (!matches) return undefined;
    this.staged = undefined;
    return [staged.compiled];
  }

  /**
   * Compiles each function on its own: one the runtime refuses is marked, never keeps the others out.
   * A few at a time (COMPILE_CONCURRENCY): a start loads every function of the registry, 10,000 on a full
   * node, and each is a file read and an asynchronous compile that can overlap with the others'.
   */
  private async compileEach(
    wanted: readonly { name: string; version: VersionRecord }[],
    failed: Map<string, unknown>,
  ): Promise<CompiledSwitch[]> {
    const outcomes: ({ compiled: CompiledSwitch } | { error: unknown })[] = new Array(wanted.length);
    let next = 0;
    const compiler = async () => {
      while (next < wanted.length) {
        const index = next++;
        const { name, version } = wanted[index]!;
        try {
          outcomes[index] = {
            compiled: await this.options.executor.compile([await prepareStored(this.options.store.artifacts, name, version)]),
          };
        } catch (error) {
          outcomes[index] = { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(COMPILE_CONCURRENCY, wanted.length) }, compiler));
    // In the revision's order, whichever finished first: the refusals are reported in that order.
    const switches: CompiledSwitch[] = [];
    outcomes.forEach((outcome, index) => {
      if ('compiled' in outcome) switches.push(outcome.compiled);
      else failed.set(wanted[index]!.name, outcome.error);
    });
    return switches;
  }

  /** Every function's routes, unavailable ones included (they answer 503 with the reason, not 404). */
  private refreshRoutes(): void {
    this.options.routes.replace(
      this.options.store.functions().flatMap((fn) => {
        const current = findCurrent(fn);
        return current && Array.isArray(current.routes) ? [{ name: fn.name, routes: current.routes }] : [];
      }),
    );
  }
}
