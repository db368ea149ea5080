/**
 * The installed functions and their compiled modules. Each deploy makes a new
 * `FunctionVersion`; swapping `entry.current` is the atomic switch: calls
 * admitted before it hold the old version and finish on it, and the old module
 * is let go once its last call ends. A version's module is compiled on the
 * main thread on its first call (the deploy only validated it: a node holds
 * 10,000 functions, most of them idle, and a compiled module costs ~16 KB of
 * native memory even for a tiny one), and handed to the
 * workers; after `cacheTtl` without calls it is dropped everywhere and the
 * next call is a cold start again. A version without a module has no timer.
 */
import type { FunctionArtifact } from '../build/manifest.js';
import type { ExecutionPlan, LoadMessage } from './protocol.js';
import { StatsRecorder } from './stats.js';

/** Where loaded modules go: the worker pool. */
export interface ModuleHost {
  load(message: LoadMessage): void;
  drop(id: number): void;
}

export interface FunctionVersion {
  readonly name: string;
  readonly version: number;
  readonly artifact: FunctionArtifact;
  readonly bytes: Uint8Array;
  /** `wagi` (CGI over WASI) or `args`. */
  readonly wagi: boolean;
  /** An args module that imports platform.log: its calls carry a payload buffer for the lines. */
  readonly logs: boolean;
  /** How it runs (instrumented, recyclable); undefined for a module the instrumentation could not handle. */
  readonly plan: ExecutionPlan | undefined;
  /** Compiled, or null once the cache lapsed (recompiled from `bytes` on the next call). */
  module: WebAssembly.Module | null;
  /** The id the workers know the module by; -1 while they do not hold it. */
  moduleId: number;
  loading: Promise<void> | null;
  /** Admitted calls not yet finished. */
  inflight: number;
  lastUsed: number;
  /** Until when (Date.now()) calls run guarded: the function timed out or ran long lately. */
  guardUntil: number;
  /** Replaced or removed: unloaded as soon as `inflight` reaches 0. */
  retired: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** A function name's state across its versions. */
export interface FunctionEntry {
  readonly name: string;
  current: FunctionVersion;
  /** Calls admitted and not finished, over all versions: what `concurrency` limits. */
  outstanding: number;
  readonly stats: StatsRecorder;
}

// setTimeout's own ceiling; a longer cacheTtl behaves as "practically forever".
const MAX_TIMER_MS = 2 ** 31 - 1;

export class FunctionTable {
  private readonly entries = new Map<string, FunctionEntry>();
  private readonly host: ModuleHost;
  private nextModuleId = 1;

  constructor(host: ModuleHost) {
    this.host = host;
  }

  get(name: string): FunctionEntry | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Makes a version of `bytes` (checked, not compiled: module-checks.ts) the current one of its function; the
   * previous one retires. The first call compiles it (a cold start), so an idle function holds its bytes and
   * records, no compiled code and no timer.
   */
  install(artifact: FunctionArtifact, bytes: Uint8Array, version: number, plan?: ExecutionPlan): void {
    const next: FunctionVersion = {
      name: artifact.name,
      version,
      artifact,
      bytes,
      wagi: artifact.abi === 'wagi',
      logs: artifact.abi !== 'wagi' && artifact.imports.some((i) => i.module === 'platform' && i.name === 'log'),
      plan,
      module: null,
      moduleId: -1,
      loading: null,
      inflight: 0,
      guardUntil: 0,
      lastUsed: Date.now(),
      retired: false,
      timer: undefined,
    };
    const entry = this.entries.get(artifact.name);
    if (entry === undefined) {
      this.entries.set(artifact.name, { name: artifact.name, current: next, outstanding: 0, stats: new StatsRecorder() });
    } else {
      const previous = entry.current;
      entry.current = next;
      this.retire(previous);
    }
  }

  remove(name: string): boolean {
    const entry = this.entries.get(name);
    if (entry === undefined) return false;
    this.entries.delete(name);
    this.retire(entry.current);
    return true;
  }

  /** True when the workers hold the version's module (a call needs no loading). */
  isWarm(version: FunctionVersion): boolean {
    return version.moduleId >= 0;
  }

  /** Compiles the module if the cache lapsed and hands it to the workers; shared by concurrent callers. */
  warm(version: FunctionVersion): Promise<void> {
    if (version.moduleId >= 0) return Promise.resolve();
    version.loading ??= this.load(version).finally(() => {
      version.loading = null;
    });
    return version.loading;
  }

  acquire(version: FunctionVersion): void {
    version.inflight++;
  }

  release(version: FunctionVersion): void {
    version.inflight--;
    if (version.inflight > 0) return;
    version.lastUsed = Date.now();
    if (version.retired) this.unload(version);
    else this.armExpiry(version);
  }

  /** Drops every module and timer (the executor is closing). */
  clear(): void {
    for (const entry of this.entries.values()) this.unload(entry.current);
    this.entries.clear();
  }

  private async load(version: FunctionVersion): Promise<void> {
    const module = version.module ?? (await WebAssembly.compile(version.bytes));
    version.module = module;
    const id = this.nextModuleId++;
    const { entry, signature, memory, abi, env } = version.artifact;
    this.host.load({
      type: 'load',
      id,
      module,
      entry,
      params: signature.params,
      results: signature.results,
      memory,
      abi: abi ?? 'args',
      env: env ?? {},
      logs: version.logs,
      plan: version.plan,
    });
    version.moduleId = id;
  }

  private retire(version: FunctionVersion): void {
    version.retired = true;
    if (version.inflight === 0) this.unload(version);
  }

  private unload(version: FunctionVersion): void {
    if (version.timer !== undefined) clearTimeout(version.timer);
    version.timer = undefined;
    if (version.moduleId >= 0) this.host.drop(version.moduleId);
    version.moduleId = -1;
    version.module = null;
  }

  /**
   * One timer per version that holds a module, re-armed lazily: calls only
   * stamp `lastUsed`, so the hot path never touches a timer.
   */
  private armExpiry(version: FunctionVersion): void {
    if (version.timer !== undefined || version.retired || version.module === null) return;
    const ttl = Math.min(version.artifact.limits.cacheTtlMs, MAX_TIMER_MS);
    const due = Math.max(0, version.lastUsed + ttl - Date.now());
    version.timer = setTimeout(() => {
      version.timer = undefined;
      // Busy or loading: the last release re-arms it.
      if (version.retired || version.inflight > 0 || version.loading !== null) return;
      if (Date.now() - version.lastUsed >= ttl) this.unload(version);
      else this.armExpiry(version);
    }, due);
    version.timer.unref();
  }
}
