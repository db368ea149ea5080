/**
 * The platform behind `nano server`: the registry (what is deployed, durably),
 * the executor (what runs) and the route table, kept in step.
 *
 * Every change follows one order: check everything first (the server never
 * trusts a client's build: each artifact is re-hashed and re-checked exactly
 * as the builder checks it), compile the new modules, make the change durable
 * in the registry, and only then switch the executor and the routes — all
 * functions of a deployment in the same tick. A refusal at any step leaves the
 * registry exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { checkModule, type FunctionArtifact, type ModuleInfo } from '../build/index.js';
import { NanoError } from '../errors.js';
import { nextVersion, type FunctionRecord, type Registry, type RegistryState, type VersionRecord } from '../registry/index.js';
import type { Executor } from '../runtime/index.js';
import type {
  DeployCommitted,
  DeployFunction,
  DeployPlan,
  DeployRequest,
  FunctionChange,
  FunctionSummary,
  RollbackDone,
  VersionList,
} from './control-api.js';
import { InvocationLog } from './invocation-log.js';
import type { RouteTable } from './route-table.js';
import { overlappingMethods } from '../config/index.js';

/** Pending deployments are forgotten after this long without a commit. */
const PENDING_TTL_MS = 15 * 60_000;

interface Pending {
  request: DeployRequest;
  createdAt: number;
}

interface Prepared {
  record: Omit<VersionRecord, 'version' | 'createdAt' | 'deployment'>;
  checked: ModuleInfo;
}

function sameVersion(a: Omit<VersionRecord, 'version' | 'createdAt' | 'deployment'>, b: VersionRecord): boolean {
  const pick = (v: typeof a) =>
    JSON.stringify([v.sha256, v.entry, v.limits, v.routes, v.description ?? null, v.abi ?? 'args', Object.entries(v.env ?? {}).sort()]);
  return pick(a) === pick(b);
}

function currentVersion(fn: FunctionRecord): VersionRecord {
  const found = fn.versions.find((v) => v.version === fn.current);
  if (!found) throw new Error(`registry inconsistency: ${fn.name} has no version ${fn.current}`);
  return found;
}

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

  /** Loads every function's current version from the registry into the executor. */
  async loadAll(): Promise<void> {
    const items = [];
    for (const fn of this.registry.functions()) {
      try {
        items.push(await this.prepareStored(fn.name, currentVersion(fn)));
      } catch (error) {
        // A damaged artifact must not keep the rest of the platform from starting.
        this.options.onLoadError?.(fn.name, error);
      }
    }
    await this.options.executor.deployMany(items);
    this.refreshRoutes();
  }

  private async prepareStored(name: string, version: VersionRecord) {
    const bytes = await this.registry.artifacts.get(version.sha256);
    const checked = checkOrThrow(name, bytes, version);
    return { fn: toArtifact(name, version, checked), bytes: checked.bytes, version: version.version };
  }

  private refreshRoutes(): void {
    this.options.routes.replace(this.registry.functions().map((fn) => ({ name: fn.name, routes: currentVersion(fn).routes })));
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

    // 2. Work out the changes on a copy of the state and make them durable.
    const now = new Date().toISOString();
    const changes = await this.registry.commit((draft) => this.applyDeploy(draft, id, request, prepared, now));
    this.pending.delete(id);

    // 3. Switch the executor and the routes, every function at once.
    const switched = [];
    for (const change of changes) {
      if (change.change === 'created' || change.change === 'updated') {
        const { checked } = prepared.get(change.name)!;
        const version = this.registry.get(change.name)!.versions.find((v) => v.version === change.version)!;
        switched.push({ fn: toArtifact(change.name, version, checked), bytes: checked.bytes, version: version.version });
      }
    }
    await this.options.executor.deployMany(switched, { remove: changes.filter((c) => c.change === 'removed').map((c) => c.name) });
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

  private applyDeploy(
    draft: RegistryState,
    id: string,
    request: DeployRequest,
    prepared: Map<string, Prepared>,
    now: string,
  ): { name: string; version: number | null; change: FunctionChange }[] {
    const changes: { name: string; version: number | null; change: FunctionChange }[] = [];
    for (const fn of request.functions) {
      const item = prepared.get(fn.name)!;
      const existing = Object.hasOwn(draft.functions, fn.name) ? draft.functions[fn.name] : undefined;
      if (existing && existing.service !== request.service) {
        throw new NanoError('DeployConflict', `function "${fn.name}" belongs to service "${existing.service}", not "${request.service}"`, {
          value: fn.name,
          hint: 'function names are global on a platform: rename it, or remove it from the other service first',
        });
      }
      // One platform serves one stage of a function: a name is global, so --stage prod must not
      // quietly take over the dev deployment's functions.
      if (existing && existing.stage !== request.stage) {
        throw new NanoError('DeployConflict', `function "${fn.name}" is deployed for stage "${existing.stage}", not "${request.stage}"`, {
          value: fn.name,
          hint: 'deploy each stage to its own platform (provider.url: ${env:NANO_URL}), or remove the other stage first',
        });
      }
      if (existing && sameVersion(item.record, currentVersion(existing))) {
        changes.push({ name: fn.name, version: existing.current, change: 'unchanged' });
        continue;
      }
      // Never a number this name had before, even if it was removed since (v4 removed → v5).
      const version = nextVersion(draft, fn.name);
      const record: VersionRecord = { ...item.record, version, createdAt: now, deployment: id };
      if (existing) {
        existing.versions.push(record);
        existing.current = version;
        existing.updatedAt = now;
      } else {
        draft.functions[fn.name] = {
          name: fn.name,
          service: request.service,
          stage: request.stage,
          current: version,
          updatedAt: now,
          versions: [record],
        };
      }
      changes.push({ name: fn.name, version, change: existing ? 'updated' : 'created' });
    }
    if (request.prune) {
      const kept = new Set(request.functions.map((fn) => fn.name));
      for (const fn of Object.values(draft.functions)) {
        if (fn.service === request.service && fn.stage === request.stage && !kept.has(fn.name)) {
          delete draft.functions[fn.name];
          changes.push({ name: fn.name, version: null, change: 'removed' });
        }
      }
    }
    assertRoutesUnique(draft);
    draft.deployments.push({ id, at: now, service: request.service, changes });
    return changes;
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
      stats: this.options.executor.stats(fn.name),
    };
  }

  list(): FunctionSummary[] {
    return this.registry
      .functions()
      .filter((fn) => this.options.executor.has(fn.name))
      .map((fn) => this.summary(fn.name));
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
    await this.registry.commit((draft) => {
      const record = draft.functions[name];
      if (!record) throw new NanoError('FunctionNotFound', `no function named "${name}"`, { value: name });
      record.current = version.version;
      record.updatedAt = new Date().toISOString();
      assertRoutesUnique(draft);
    });
    await this.options.executor.deployMany([prepared]);
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
    this.refreshRoutes();
    this.logs.forget(name);
  }
}

function assertRoutesUnique(state: RegistryState): void {
  const owners = new Map<string, string>();
  for (const fn of Object.values(state.functions)) {
    for (const route of currentVersion(fn).routes) {
      const methods = overlappingMethods(route.method);
      for (const method of methods) {
        const owner = owners.get(`${method} ${route.path}`);
        if (owner && owner !== fn.name) {
          throw new NanoError('DeployConflict', `route ${route.method} ${route.path} of "${fn.name}" is already served by "${owner}"`, {
            value: route.path,
          });
        }
      }
      owners.set(`${route.method} ${route.path}`, fn.name);
    }
  }
}
