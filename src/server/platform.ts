/**
 * The platform behind `nano server`: the registry (what is deployed, durably),
 * the executor (what runs) and the route table, kept in step.
 *
 * Every change follows one order: check everything first (the server never
 * trusts a client's build: each artifact is re-hashed and re-checked exactly
 * as the builder checks it), work the change out on a copy of the state,
 * compile the modules it switches to, make it durable in the registry, and
 * only then switch the executor and the routes — all functions of a
 * revision in the same tick. A refusal at any step, the runtime's included,
 * comes before the registry write and leaves the registry exactly as it was.
 *
 * The switch is not made here: the registry hands every revision it moves to,
 * this platform's commits included, to one path (revision-applier.ts), and a
 * commit resolves only once its revision is applied. A change is decided
 * inside the commit's closure, on the draft, because a shared registry may run
 * it again on a newer state.
 *
 * A registry can still hold a version this runtime refuses (written by an
 * older nano, edited by hand, damaged on disk). Such a function is
 * *unavailable*: the server starts and serves everything else, and the
 * function answers 503 FunctionUnavailable with the reason until a deploy or
 * a rollback replaces it.
 */
import { randomUUID } from 'node:crypto';
import { NanoError, functionNotFound } from '../errors.js';
import { pendingNotFound, type FunctionRecord, type RegistryState, type RegistryStore } from '../registry/index.js';
import { emptyStats, type DeployItem, type Executor } from '../runtime/index.js';
import type {
  Committed,
  DeployCommitted,
  DeployPlan,
  DeployRequest,
  FunctionSummary,
  Removed,
  RollbackDone,
  UnavailableFunction,
  VersionList,
} from './control-api.js';
import { InvocationLog } from './invocation-log.js';
import { DEFAULT_CONVERGE_TIMEOUT_MS } from './limits.js';
import { applyDeploy, assertRoutesUnique, currentVersion, findCurrent } from './apply-deploy.js';
import { itemOf, prepareRequest, prepareStored } from './prepare-module.js';
import { RevisionApplier } from './revision-applier.js';
import type { RouteTable } from './route-table.js';

/** Pending deployments are forgotten after this long without a commit. */
const PENDING_TTL_MS = 15 * 60_000;

/**
 * A version's env as the control plane shows it: the names, never the values (they are often secrets
 * substituted from the deployer's environment; the function itself still gets them).
 */
function redactedEnv(env: Record<string, string> | undefined): { env?: Record<string, string> } {
  return env === undefined ? {} : { env: Object.fromEntries(Object.keys(env).map((key) => [key, REDACTED])) };
}

/** What an env value reads as outside the function. */
export const REDACTED = '***';

function noSuchFunction(name: string): NanoError {
  return functionNotFound(name, { hint: '`nano info` lists them' });
}

export interface PlatformOptions {
  registry: RegistryStore;
  executor: Executor;
  routes: RouteTable;
  /** Base URL printed for functions (the server's own address). */
  publicUrl: () => string;
  /** This node's name among the nodes sharing the registry (`x-nano-node`). */
  nodeId: string;
  onLoadError?: (name: string, error: unknown) => void;
  /** How long a change waits for the other nodes to apply it before it answers (default 2000 ms). */
  convergeTimeoutMs?: number;
}

export class Platform {
  readonly logs: InvocationLog;
  /** Functions whose current version the runtime refused: name → why. */
  readonly unavailable = new Map<string, string>();
  private readonly applier: RevisionApplier;
  /**
   * This platform's changes run one at a time, from their checks to the
   * revision applied, so that the applier holds the modules of one commit at
   * most, and a change is checked against the state its predecessor left.
   */
  private changes: Promise<unknown> = Promise.resolve();

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.changes.then(work);
    this.changes = run.catch(() => undefined);
    return run;
  }

  constructor(private readonly options: PlatformOptions) {
    const { registry: store, executor, routes, onLoadError } = options;
    this.logs = new InvocationLog(undefined, store.invocations);
    this.applier = new RevisionApplier({ store, executor, routes, unavailable: this.unavailable, logs: this.logs, onLoadError });
    // From the start, so that no revision is missed, whether or not `loadAll` has run yet.
    store.subscribe((change) => this.applier.apply(change));
  }

  get registry(): RegistryStore {
    return this.options.registry;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** The revision the executor and the routes serve (the registry's may be one ahead while it is applied). */
  get servedRevision(): number {
    return this.applier.revision;
  }

  /**
   * How far a revision this node committed has spread. The commit is durable already: a store that
   * cannot be asked now leaves the answer without it rather than failing the change.
   */
  private async spread<T extends object>(work: Promise<{ value: T; revision: number }>): Promise<T & Committed> {
    const { value, revision } = await work;
    const convergence = await this.registry
      .converge(revision, this.options.convergeTimeoutMs ?? DEFAULT_CONVERGE_TIMEOUT_MS)
      .catch(() => undefined);
    return { ...value, revision, ...(convergence === undefined ? {} : { convergence }) };
  }

  /**
   * Loads every function's current version from the registry into the
   * executor (later revisions come through the subscription). Each function is checked
   * and compiled on its own: one the runtime refuses is marked unavailable and
   * reported, and never keeps the others from starting.
   */
  async loadAll(): Promise<void> {
    const names = this.registry.functions().map((fn) => fn.name);
    await this.applier.apply({ from: 0, to: this.registry.revision, names });
  }

  /**
   * Commits a registry change, compiling what it switches to before the write
   * (the runtime's refusals come while nothing is written yet). The compiled
   * modules wait in the applier for the revision the commit makes.
   */
  private async commitCompiled<T>(
    change: (draft: RegistryState) => T,
    itemsOf: (value: T, draft: RegistryState) => Promise<DeployItem[]>,
    consumes?: string,
  ): Promise<{ value: T; revision: number }> {
    try {
      return await this.registry.commit(change, {
        consumes,
        beforeWrite: async (value, draft) => {
          const items = await itemsOf(value, draft);
          this.applier.stage(await this.options.executor.compile(items), items);
        },
      });
    } finally {
      // Installed by its revision, or given up with the commit that failed: never installed later.
      this.applier.unstage();
    }
  }

  private urlOf(name: string): string {
    return `${this.options.publicUrl()}/exec/${name}`;
  }

  // --- deploys ---

  async plan(request: DeployRequest): Promise<DeployPlan> {
    const missing = new Set<string>();
    for (const fn of request.functions) {
      if (!(await this.registry.artifacts.has(fn.sha256))) missing.add(fn.sha256);
    }
    const id = randomUUID();
    await this.registry.pending.put(id, JSON.stringify(request), PENDING_TTL_MS);
    return { id, missing: [...missing] };
  }

  async upload(sha256: string, bytes: Uint8Array): Promise<{ created: boolean }> {
    return this.registry.artifacts.put(sha256, bytes);
  }

  commit(id: string): Promise<DeployCommitted> {
    return this.spread(this.exclusive(() => this.commitNow(id)));
  }

  private async commitNow(id: string): Promise<{ value: DeployCommitted; revision: number }> {
    const json = await this.registry.pending.get(id);
    if (json === undefined) throw pendingNotFound(id);
    const request = JSON.parse(json) as DeployRequest;

    // 1. Check every artifact as the builder would, before anything changes.
    const prepared = await prepareRequest(this.registry.artifacts, request);

    // 2. Work out the changes on a copy of the state, compile the modules they switch to, and only
    //    then make them durable, using up the pending deploy in the same step. The revision is
    //    applied (every function at once) before the commit returns.
    const now = new Date().toISOString();
    const { value: changes, revision } = await this.commitCompiled(
      (draft) => applyDeploy(draft, { id, request, records: prepared, now, unavailable: this.unavailable }),
      (changes, draft) =>
        Promise.resolve(
          changes.flatMap((change) => {
            if (change.change !== 'created' && change.change !== 'updated') return [];
            const version = draft.functions[change.name]!.versions.find((v) => v.version === change.version)!;
            return [itemOf(change.name, version, prepared.get(change.name)!)];
          }),
        ),
      id,
    );

    const functions = changes.map((change) => ({
      name: change.name,
      version: change.version ?? 0,
      change: change.change,
      url: this.urlOf(change.name),
    }));
    return { value: { id, functions }, revision };
  }

  // --- functions ---

  private mustGet(name: string): FunctionRecord {
    const fn = this.registry.get(name);
    if (!fn) throw noSuchFunction(name);
    return fn;
  }

  summary(name: string): FunctionSummary {
    const fn = this.mustGet(name);
    const current = currentVersion(fn);
    const unavailable = this.unavailable.get(fn.name);
    return {
      name: fn.name,
      service: fn.service,
      stage: fn.stage,
      version: fn.current,
      sha256: current.sha256,
      limits: current.limits,
      routes: current.routes,
      signature: current.signature,
      ...(current.description === undefined ? {} : { description: current.description }),
      ...(current.abi === undefined ? {} : { abi: current.abi }),
      updatedAt: fn.updatedAt,
      url: this.urlOf(fn.name),
      stats: this.options.executor.has(fn.name) ? this.options.executor.stats(fn.name) : emptyStats(),
      ...(unavailable === undefined ? {} : { unavailable }),
    };
  }

  /** Every function the registry holds whose current version is on record, unavailable ones marked. */
  list(): FunctionSummary[] {
    return this.registry
      .functions()
      .filter((fn) => this.options.executor.has(fn.name) || (this.unavailable.has(fn.name) && findCurrent(fn) !== undefined))
      .map((fn) => this.summary(fn.name));
  }

  /** The functions that cannot run, and why (for /healthz, `nano info` and the start-up report). */
  unavailableList(): UnavailableFunction[] {
    return [...this.unavailable].map(([name, reason]) => ({ name, reason })).sort((a, b) => a.name.localeCompare(b.name));
  }

  versions(name: string): VersionList {
    const fn = this.mustGet(name);
    return {
      name,
      current: fn.current,
      versions: [...fn.versions].reverse().map((v) => ({ ...v, ...redactedEnv(v.env), current: v.version === fn.current })),
    };
  }

  rollback(name: string, to?: number): Promise<RollbackDone> {
    return this.spread(this.exclusive(() => this.rollbackNow(name, to)));
  }

  private async rollbackNow(name: string, to?: number): Promise<{ value: RollbackDone; revision: number }> {
    // The target is chosen on the draft, not before the commit: the closure may run again on a newer state.
    const {
      value: { from, version },
      revision,
    } = await this.commitCompiled(
      (draft) => {
        const fn = Object.hasOwn(draft.functions, name) ? draft.functions[name] : undefined;
        if (!fn) throw noSuchFunction(name);
        const older = fn.versions.filter((v) => v.version < fn.current);
        const target = to ?? older[older.length - 1]?.version;
        const version = fn.versions.find((v) => v.version === target);
        if (target === undefined || !version) {
          const kept = fn.versions.map((v) => v.version).join(', ');
          throw new NanoError(
            'NotFound',
            to === undefined ? `${name} has no version before v${fn.current}` : `${name} has no version ${to}`,
            {
              value: to,
              hint: `kept versions: ${kept}`,
            },
          );
        }
        const from = fn.current;
        fn.current = version.version;
        fn.updatedAt = new Date().toISOString();
        assertRoutesUnique(draft);
        return { from, version };
      },
      async ({ version }) => [await prepareStored(this.registry.artifacts, name, version)],
    );
    return { value: { name, from, version: version.version }, revision };
  }

  remove(name: string): Promise<Removed> {
    return this.spread(
      this.exclusive(() =>
        this.registry.commit((draft): Removed => {
          if (!Object.hasOwn(draft.functions, name)) throw noSuchFunction(name);
          delete draft.functions[name];
          return { name, removed: true };
        }),
      ),
    );
  }
}
