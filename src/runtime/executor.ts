/**
 * The nanoprocess runtime. Strategy: admission happens here, on the main
 * thread, synchronously and in O(1): unknown function → FunctionNotFound, bad
 * arguments → BadArguments, over `concurrency` → ConcurrencyLimit at once, queue
 * full → Overloaded; only then does a call take a shared slot and wait in the
 * FIFO ring for a worker (dispatcher.ts). Versions and module caching live in
 * function-table.ts, threads in worker-pool.ts; this file words outcomes as
 * results or NanoErrors and keeps the stats.
 */
import { availableParallelism } from 'node:os';
import type { FunctionArtifact } from '../build/manifest.js';
import type { RawArg } from './args.js';
import { Calls, RETRY_AFTER_SECONDS } from './calls.js';
import { Dispatcher } from './dispatcher.js';
import { FunctionTable, type FunctionVersion } from './function-table.js';
import { checkModule, type CheckedModule } from './module-checks.js';
import { DEFAULT_INLINE_BUDGET_MS, InlineRunner } from './inline-runner.js';
import type {
  CompiledSwitch,
  DeployItem,
  Executor,
  ExecutorOptions,
  FunctionInfo,
  InvokeResult,
  RuntimeHealth,
  WagiRequest,
  WagiResult,
} from './executor-types.js';
import { OverloadedError, functionNotFound } from './runtime-errors.js';
import type { FunctionStats } from './stats.js';

export type * from './executor-types.js';
export { logLinesOf } from './runtime-errors.js';

export function createExecutor(options: ExecutorOptions = {}): Executor {
  return new NanoExecutor(options);
}

const DEFAULT_QUEUE_LIMIT = 1024;
/** Slots beyond the admission bound, for revoked slots awaiting their thread's exit. */
const SLOT_RESERVE = 16;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024 + 64 * 1024;

class NanoExecutor implements Executor {
  private readonly dispatcher: Dispatcher;
  private readonly inline: InlineRunner;
  private readonly table: FunctionTable;
  private readonly calls: Calls;
  /** Latest deploy call per name: a slower, earlier one must not win the swap. */
  private readonly deploying = new Map<string, object>();
  private closing: Promise<void> | undefined;

  constructor(options: ExecutorOptions) {
    const poolSize = Math.max(1, Math.floor(options.poolSize ?? availableParallelism()));
    const queueLimit = Math.max(0, Math.floor(options.queueLimit ?? DEFAULT_QUEUE_LIMIT));
    const capacity = poolSize + queueLimit;
    const maxResponseBytes = Math.max(1024, Math.floor(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES));
    this.dispatcher = new Dispatcher({ poolSize, slotCount: capacity + poolSize + SLOT_RESERVE });
    this.inline = new InlineRunner(Math.max(0, options.inlineBudgetMs ?? DEFAULT_INLINE_BUDGET_MS));
    this.table = new FunctionTable({
      load: (message) => {
        this.dispatcher.loadModule(message);
        this.inline.load(message);
      },
      drop: (id) => {
        this.dispatcher.dropModule(id);
        this.inline.drop(id);
      },
    });
    const { dispatcher, inline, table } = this;
    this.calls = new Calls({ dispatcher, inline, table, capacity, maxResponseBytes, closing: () => this.closing !== undefined });
  }

  async deploy(fn: FunctionArtifact, bytes: Uint8Array, version: number): Promise<void> {
    await this.deployMany([{ fn, bytes, version }]);
  }

  async deployMany(items: readonly DeployItem[], options: { remove?: readonly string[] } = {}): Promise<void> {
    (await this.compile(items)).install(options);
  }

  async compile(items: readonly DeployItem[]): Promise<CompiledSwitch> {
    const tokens = items.map((item) => {
      const token = {};
      this.deploying.set(item.fn.name, token);
      return token;
    });
    // A deploy given up must not hide an earlier one of the same name that is still compiling.
    const release = () =>
      items.forEach((item, index) => {
        if (this.deploying.get(item.fn.name) === tokens[index]) this.deploying.delete(item.fn.name);
      });
    // Compile every module first; a refusal of any leaves every function as it was.
    let modules: CheckedModule[];
    try {
      modules = items.map((item) => checkModule(item.fn, item.bytes));
    } catch (error) {
      release();
      throw error;
    }
    let settled = false;
    return {
      discard: () => {
        if (!settled) release();
        settled = true;
      },
      install: (options = {}) => {
        if (settled) throw new Error('a compiled switch is installed or discarded once');
        settled = true;
        if (this.closing !== undefined) {
          release();
          throw new OverloadedError('the runtime is shutting down', RETRY_AFTER_SECONDS);
        }
        // Then switch them all in one synchronous step: no invocation sees half a deployment.
        items.forEach((item, index) => {
          const name = item.fn.name;
          // A later deploy of the same name started meanwhile: it wins, whichever compiles first.
          if (this.deploying.get(name) !== tokens[index]) return;
          this.deploying.delete(name);
          const compiled = modules[index]!;
          this.table.install(item.fn, compiled.bytes, item.version, compiled.plan);
        });
        for (const name of options.remove ?? []) this.remove(name);
      },
    };
  }

  remove(name: string): boolean {
    this.deploying.delete(name);
    return this.table.remove(name);
  }

  has(name: string): boolean {
    return this.table.get(name) !== undefined;
  }

  info(name: string): FunctionInfo | undefined {
    const entry = this.table.get(name);
    return entry === undefined ? undefined : describe(entry.current);
  }

  list(): FunctionInfo[] {
    return this.table.names().map((name) => this.info(name) as FunctionInfo);
  }

  stats(name: string): FunctionStats {
    const entry = this.table.get(name);
    if (entry === undefined) throw functionNotFound(name);
    return entry.stats.snapshot();
  }

  health(): RuntimeHealth {
    const { active, spare, stopping, spawned, busy, queued, restarts } = this.dispatcher.health();
    return {
      workers: { active, spare, stopping },
      spawned,
      outstanding: this.calls.outstanding,
      functions: this.table.names().length,
      mainThread: this.inline.counts(),
      busy,
      queued,
      restarts,
    };
  }

  inFlight(name: string): number {
    return this.table.get(name)?.outstanding ?? 0;
  }

  invoke(name: string, args: readonly RawArg[] = []): Promise<InvokeResult> {
    try {
      const result = this.calls.admit(name, args);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  call(name: string, args: readonly RawArg[] = []): InvokeResult | Promise<InvokeResult> {
    return this.calls.admit(name, args);
  }

  invokeWagi(name: string, request: WagiRequest): Promise<WagiResult> {
    try {
      return this.calls.admitWagi(name, request);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.table.clear();
      await this.dispatcher.close();
    })();
    return this.closing;
  }
}

function describe(version: FunctionVersion): FunctionInfo {
  const { artifact } = version;
  return {
    name: artifact.name,
    version: version.version,
    abi: artifact.abi ?? 'args',
    entry: artifact.entry,
    sha256: artifact.sha256,
    signature: artifact.signature,
    limits: artifact.limits,
    memory: artifact.memory,
    routes: artifact.routes,
  };
}
