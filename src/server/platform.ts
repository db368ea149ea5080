/**
 * The platform behind `nano server`: the registry (what is deployed, durably),
 * the executor (what runs) and the route table, kept in step.
 *
 * Every change follows one order: check everything first (the server never
 * trusts a client's build: each artifact is re-hashed and re-checked exactly
 * as the builder checks it), work the change out on a copy of the state,
 * compile the modules it switches to, make it durable in the registry, and
 * only then switch the executor and the routes — all functions of a
 * deployment in the same tick. A refusal at any step, the runtime's included,
 * comes before the registry write and leaves the registry exactly as it was.
 *
 * A registry can still hold a version this runtime refuses (written by an
 * older nano, edited by hand, damaged on disk). Such a function is
 * *unavailable*: the server starts and serves everything else, and the
 * function answers 503 FunctionUnavailable with the reason until a deploy or
 * a rollback replaces it.
 */
import { randomUUID } from 'node:crypto';
import { checkModule, type FunctionArtifact, type ModuleInfo } from '../build/index.js';
import { NanoError } from '../errors.js';
import { type FunctionRecord, type Registry, type RegistryState, type VersionRecord } from '../registry/index.js';
import { emptyStats, type CompiledSwitch, type DeployItem, type Executor } from '../runtime/index.js';
import type {
  DeployCommitted,
  DeployFunction,
  DeployPlan,
  DeployRequest,
  FunctionSummary,
  RollbackDone,
  UnavailableFunction,
  VersionList,
} from './control-api.js';
import { InvocationLog } from './invocation-log.js';
import { applyDeploy, assertRoutesUnique, currentVersion, findCurrent, type NewVersion } from './apply-deploy.js';
import type { RouteTable } from './route-table.js';

/** Pending deployments are forgotten after this long without a commit. */
const PENDING_TTL_MS = 15 * 60_000;

interface Pending {
  request: DeployRequest;
  createdAt: number;
}

interface Prepared {
  record: NewVersion;
  checked: ModuleInfo;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The manifest entry the executor wants, rebuilt from a stored version. */
function toArtifact(name: string, version: VersionRecord, checked: ModuleInfo): FunctionArtifact {
  return {
    name,
    artifact: `${version.sha256}.wasm`,
    sha256: version.sha256,
    size: version.size,
    source: '',
    inputHash: version.sha256,
    entry: version.entry,
    signature: checked.signature,
    imports: checked.imports,
    memory: checked.memory,
    limits: version.limits,
    routes: version.routes,
    abi: version.abi ?? 'args',
    env: { ...version.env },
  };
}

function checkOrThrow(name: string, bytes: Uint8Array, fn: Pick<DeployFunction, 'entry' | 'limits' | 'abi'>): ModuleInfo {
  const check = checkModule(bytes, { name, entry: fn.entry, limits: fn.limits, abi: fn.abi ?? 'args' });
  if (!check.ok) {
    throw new NanoError('ModuleRefused', `function "${name}" is refused: it ${check.errors.join('; it ')}`, {
      value: name,
      hint: 'run `nano build` to see the same checks locally',
    });
  }
  return check.info;
}

export interface PlatformOptions {
  registry: Registry;
  executor: Executor;
  routes: RouteTable;
  /** Base URL printed for functions (the server's own address). */
  publicUrl: () => string;
  onLoadError?: (name: string, error: unknown) => void;
}

export class Platform {
  readonly logs = new InvocationLog();
  /** Functions whose current version the runtime refused at start: name → why. */
  readonly unavailable = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  /**
   * Changes run one at a time, from the registry commit to the executor switch
   * and route refresh, so the registry, the executor and the routes never
   * disagree, even for a moment, when deploys, rollbacks and removals race.
   */
  private changes: Promise<unknown> = Promise.resolve();

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.changes.then(work);
    this.changes = run.catch(() => undefined);
    return run;
  }

  constructor(private readonly options: PlatformOptions) {}

  get registry(): Registry {
    return this.options.registry;
  }

  /**
   * Loads every function's current version from the registry into the
   * executor. Each is checked and compiled on its own: one the runtime refuses
   * is marked unavailable and reported, and never keeps the others from starting.
   */
  async loadAll(): Promise<void> {
    const compiled: CompiledSwitch[] = [];
    for (const fn of this.registry.functions()) {
      try {
        compiled.push(await this.options.executor.compile([await this.prepareStored(fn.name, currentVersion(fn))]));
      } catch (error) {
        this.unavailable.set(fn.name, reasonOf(error));
        this.options.onLoadError?.(fn.name, error);
      }
    }
    for (const item of compiled) item.install();
    this.refreshRoutes();
  }

  private async prepareStored(name: string, version: VersionRecord): Promise<DeployItem> {
    const bytes = await this.registry.artifacts.get(version.sha256);
    const checked = checkOrThrow(name, bytes, version);
    return { fn: toArtifact(name, version, checked), bytes: checked.bytes, version: version.version };
  }

  /** Every function's routes, unavailable ones included (they answer 503 with the reason, not 404). */
  private refreshRoutes(): void {
    this.options.routes.replace(
      this.registry.functions().flatMap((fn) => {
        const current = findCurrent(fn);
        return current && Array.isArray(current.routes) ? [{ name: fn.name, routes: current.routes }] : [];
      }),
    );
  }

  /**
   * Commits a registry change, compiling what it switches to before the write:
   * the runtime's refusals come while nothing is written yet. Returns the
   * change's result and the compiled modules, ready to install.
   */
  private async commitCompiled<T>(
    change: (draft: RegistryState) => T,
    itemsOf: (result: T, draft: RegistryState) => DeployItem[],
  ): Promise<{ result: T; compiled: CompiledSwitch }> {
    let compiled: CompiledSwitch | undefined;
    try {
      const result = await this.registry.commit(change, async (result, draft) => {
        compiled = await this.options.executor.compile(itemsOf(result, draft));
      });
      return { result, compiled: compiled! };
    } catch (error) {
      compiled?.discard();
      throw error;
    }
  }

  private urlOf(name: string): string {
    return `${this.options.publicUrl()}/exec/${name}`;
  }

  // --- deploys ---

  async plan(request: DeployRequest): Promise<DeployPlan> {
    this.sweepPending();
    const missing = new Set<string>();
    for (const fn of request.functions) {
      if (!(await this.registry.artifacts.has(fn.sha256))) missing.add(fn.sha256);
    }
    const id = randomUUID();
    this.pending.set(id, { request, createdAt: Date.now() });
    return { id, missing: [...missing] };
  }

  async upload(sha256: string, bytes: Uint8Array): Promise<{ created: boolean }> {
    return this.registry.artifacts.put(sha256, bytes);
  }

  commit(id: string): Promise<DeployCommitted> {
    return this.exclusive(() => this.commitNow(id));
  }

  private async commitNow(id: string): Promise<DeployCommitted> {
    const pending = this.pending.get(id);
    if (!pending) {
      throw new NanoError('NotFound', `no pending deployment ${id}`, {
        value: id,
        hint: 'it was committed already or expired; deploy again',
      });
    }
    const { request } = pending;

    // 1. Check every artifact as the builder would, before anything changes.
    const prepared = new Map<string, Prepared>();
    for (const fn of request.functions) {
      let bytes: Uint8Array;
      try {
        bytes = await this.registry.artifacts.get(fn.sha256);
      } catch {
        throw new NanoError('RequestInvalid', `the artifact of function "${fn.name}" (${fn.sha256}) was not uploaded`, {
          value: fn.sha256,
          hint: 'upload it with PUT /artifacts/<sha256> before committing',
        });
      }
      const checked = checkOrThrow(fn.name, bytes, fn);
      prepared.set(fn.name, {
        checked,
        record: {
          sha256: fn.sha256,
          size: bytes.length,
          entry: fn.entry,
          signature: checked.signature,
          limits: fn.limits,
          routes: fn.routes,
          ...(fn.description === undefined ? {} : { description: fn.description }),
          ...(fn.abi === 'wagi' ? { abi: fn.abi } : {}),
          ...(fn.env !== undefined && Object.keys(fn.env).length > 0 ? { env: { ...fn.env } } : {}),
        },
      });
    }

    // 2. Work out the changes on a copy of the state, compile the modules they switch to,
    //    and only then make them durable.
    const now = new Date().toISOString();
    const { result: changes, compiled } = await this.commitCompiled(
      (draft) => applyDeploy(draft, { id, request, records: prepared, now, unavailable: this.unavailable }),
      (changes, draft) =>
        changes.flatMap((change) => {
          if (change.change !== 'created' && change.change !== 'updated') return [];
          const { checked } = prepared.get(change.name)!;
          const version = draft.functions[change.name]!.versions.find((v) => v.version === change.version)!;
          return [{ fn: toArtifact(change.name, version, checked), bytes: checked.bytes, version: version.version }];
        }),
    );
    this.pending.delete(id);

    // 3. Switch the executor and the routes, every function at once.
    compiled.install({ remove: changes.filter((c) => c.change === 'removed').map((c) => c.name) });
    for (const change of changes) if (change.change !== 'unchanged') this.unavailable.delete(change.name);
    this.refreshRoutes();
    for (const change of changes) if (change.change === 'removed') this.logs.forget(change.name);

    return {
      id,
      functions: changes.map((change) => ({
        name: change.name,
        version: change.version ?? 0,
        change: change.change,
        url: this.urlOf(change.name),
      })),
    };
  }

  private sweepPending(): void {
    const cutoff = Date.now() - PENDING_TTL_MS;
    for (const [id, pending] of this.pending) if (pending.createdAt < cutoff) this.pending.delete(id);
  }

  // --- functions ---

  private mustGet(name: string): FunctionRecord {
    const fn = this.registry.get(name);
    if (!fn) throw new NanoError('FunctionNotFound', `no function named "${name}"`, { value: name, hint: '`nano info` lists them' });
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
      versions: [...fn.versions].reverse().map((v) => ({ ...v, current: v.version === fn.current })),
    };
  }

  rollback(name: string, to?: number): Promise<RollbackDone> {
    return this.exclusive(() => this.rollbackNow(name, to));
  }

  private async rollbackNow(name: string, to?: number): Promise<RollbackDone> {
    const fn = this.mustGet(name);
    const older = fn.versions.filter((v) => v.version < fn.current);
    const target = to ?? older[older.length - 1]?.version;
    const version = fn.versions.find((v) => v.version === target);
    if (target === undefined || !version) {
      const kept = fn.versions.map((v) => v.version).join(', ');
      throw new NanoError('NotFound', to === undefined ? `${name} has no version before v${fn.current}` : `${name} has no version ${to}`, {
        value: to,
        hint: `kept versions: ${kept}`,
      });
    }
    const prepared = await this.prepareStored(name, version);
    const from = fn.current;
    const { compiled } = await this.commitCompiled(
      (draft) => {
        const record = draft.functions[name];
        if (!record) throw new NanoError('FunctionNotFound', `no function named "${name}"`, { value: name });
        record.current = version.version;
        record.updatedAt = new Date().toISOString();
        assertRoutesUnique(draft);
      },
      () => [prepared],
    );
    compiled.install();
    this.unavailable.delete(name);
    this.refreshRoutes();
    return { name, from, version: version.version };
  }

  remove(name: string): Promise<void> {
    return this.exclusive(() => this.removeNow(name));
  }

  private async removeNow(name: string): Promise<void> {
    this.mustGet(name);
    await this.registry.commit((draft) => {
      delete draft.functions[name];
    });
    this.options.executor.remove(name);
    this.unavailable.delete(name);
    this.refreshRoutes();
    this.logs.forget(name);
  }
}
