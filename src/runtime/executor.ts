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
import type { Abi, FunctionArtifact, Limits, MemoryInfo, Route, Signature } from '../build/manifest.js';
import { coerceArgs, renderResults, type RawArg } from './args.js';
import { Dispatcher, type JobOutcome, type JobRequest } from './dispatcher.js';
import { FunctionTable, type FunctionEntry, type FunctionVersion } from './function-table.js';
import { encodeRequest, RESPONSE_OVERHEAD, type WagiResponse } from './payload.js';
import { describeAllowedImports } from '../build/platform-abi.js';
import { unsupportedImports } from './platform-imports.js';
import { MAX_VALUES } from './protocol.js';
import { NanoError } from '../errors.js';
import { OverloadedError, concurrencyLimit, deployRefused, functionNotFound, functionTimeout, functionTrapped } from './runtime-errors.js';
import type { FunctionStats } from './stats.js';

export interface ExecutorOptions {
  /** Worker threads running invocations; one warm spare is kept beside them. Default: os.availableParallelism(). */
  poolSize?: number;
  /** Calls that may wait for a free worker before further calls get Overloaded. Default 1024. */
  queueLimit?: number;
  /** Most bytes a WAGI function may write to stdout (headers and body). Default 8 MiB plus 64 KiB for headers. */
  maxResponseBytes?: number;
}

/** A WAGI call: what the module sees (the HTTP layer builds the CGI environment). */
export interface WagiRequest {
  /** argv: the script path, then the query arguments. */
  args: string[];
  /** The CGI variables of this request (the function's `env:` is added by the worker, CGI wins on a clash). */
  env: Record<string, string>;
  body: Uint8Array;
}

export interface WagiResult {
  /** Everything the module wrote to stdout: a CGI response, parsed by the HTTP layer. */
  stdout: Uint8Array;
  exitCode: number;
  /** stderr lines. */
  logs: string[];
  durationMs: number;
  coldStart: boolean;
  version: number;
}

export interface InvokeResult {
  /** The rendered result: `42`, `9000000000000000000`, `0.5`; '' for a void entry. */
  value: string;
  /** How long the instance ran (instantiation included, queueing excluded). */
  durationMs: number;
  /** The module had to be compiled or handed to the workers for this call. */
  coldStart: boolean;
  version: number;
  /** Lines the function logged with platform.log (empty if it does not import it). */
  logs: string[];
}

export interface FunctionInfo {
  name: string;
  version: number;
  abi: Abi;
  entry: string;
  sha256: string;
  signature: Signature;
  limits: Limits;
  memory: MemoryInfo | null;
  routes: Route[];
}

export interface RuntimeHealth {
  workers: { active: number; spare: number; stopping: number };
  /** Worker threads started so far; grows by one per replaced (timed-out or crashed) worker. */
  spawned: number;
  /** Calls admitted and not finished (running, queued or loading their module). */
  outstanding: number;
  functions: number;
}

export interface DeployItem {
  fn: FunctionArtifact;
  bytes: Uint8Array;
  version: number;
}

/** Compiled functions waiting to be switched in (see `Executor.compile`). */
export interface CompiledSwitch {
  /** Installs them all (and removes `remove`) in one synchronous step. */
  install(options?: { remove?: readonly string[] }): void;
  /** Gives them up: nothing was installed. */
  discard(): void;
}

export interface Executor {
  /** Installs (or atomically replaces) a function; resolves once its module is compiled. */
  deploy(fn: FunctionArtifact, bytes: Uint8Array, version: number): Promise<void>;
  /**
   * Installs several functions (and removes others) as one switch: every module
   * is compiled first, then all are installed in the same synchronous step.
   */
  deployMany(items: readonly DeployItem[], options?: { remove?: readonly string[] }): Promise<void>;
  /**
   * The first half of `deployMany`: compiles and checks every module, installs
   * nothing. The platform makes its registry change between the two halves, so
   * that whatever the runtime refuses is refused before anything is written.
   */
  compile(items: readonly DeployItem[]): Promise<CompiledSwitch>;
  /** Uninstalls a function; calls in flight finish. False if it was not installed. */
  remove(name: string): boolean;
  has(name: string): boolean;
  info(name: string): FunctionInfo | undefined;
  list(): FunctionInfo[];
  /** Runs one invocation; rejects with a NanoError (see runtime-errors.ts). */
  invoke(name: string, args?: readonly RawArg[]): Promise<InvokeResult>;
  /** Runs one invocation of a `wagi` function; rejects with a NanoError as `invoke` does. */
  invokeWagi(name: string, request: WagiRequest): Promise<WagiResult>;
  stats(name: string): FunctionStats;
  health(): RuntimeHealth;
  /** Rejects pending calls and ends every worker thread and timer. */
  close(): Promise<void>;
}

export function createExecutor(options: ExecutorOptions = {}): Executor {
  return new NanoExecutor(options);
}

const DEFAULT_QUEUE_LIMIT = 1024;
/** Retry-After for a full queue: invocations are short, the queue drains within seconds. */
const RETRY_AFTER_SECONDS = 1;
/** Slots beyond the admission bound, for revoked slots awaiting their thread's exit. */
const SLOT_RESERVE = 16;
/**
 * Guarding (protocol.ts, HDR_GUARD_MS) lets a worker interrupt a call at its
 * timeout and live on, instead of being terminated and replaced: replacements
 * boot in ~40 ms idle but in several hundred ms on a loaded 2-core machine,
 * and a function that times out over and over would keep the pool short of
 * workers. A guard costs ~0.2 ms a call (vm's watchdog starts a thread), so
 * only functions that timed out in the last GUARD_HOLD_MS get it. (Guarding
 * any call that merely ran long was tried: one descheduled 20 ms call of a
 * 5 µs function made every later call 40x slower.)
 */
const GUARD_HOLD_MS = 60_000;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024 + 64 * 1024;

class NanoExecutor implements Executor {
  private readonly dispatcher: Dispatcher;
  private readonly table: FunctionTable;
  /** Calls admitted and not finished; bounded by pool size + queue limit. */
  private outstanding = 0;
  private readonly capacity: number;
  private readonly maxResponseBytes: number;
  /** Latest deploy call per name: a slower, earlier one must not win the swap. */
  private readonly deploying = new Map<string, object>();
  private closing: Promise<void> | undefined;

  constructor(options: ExecutorOptions) {
    const poolSize = Math.max(1, Math.floor(options.poolSize ?? availableParallelism()));
    const queueLimit = Math.max(0, Math.floor(options.queueLimit ?? DEFAULT_QUEUE_LIMIT));
    this.capacity = poolSize + queueLimit;
    this.maxResponseBytes = Math.max(1024, Math.floor(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES));
    this.dispatcher = new Dispatcher({ poolSize, slotCount: this.capacity + poolSize + SLOT_RESERVE });
    this.table = new FunctionTable({
      load: (message) => this.dispatcher.loadModule(message),
      drop: (id) => this.dispatcher.dropModule(id),
    });
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
    let modules: { module: WebAssembly.Module; bytes: Uint8Array }[];
    try {
      modules = await Promise.all(items.map((item) => this.compileChecked(item.fn, item.bytes)));
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
          this.table.install(item.fn, compiled.bytes, item.version, compiled.module);
        });
        for (const name of options.remove ?? []) this.remove(name);
      },
    };
  }

  private async compileChecked(fn: FunctionArtifact, bytes: Uint8Array): Promise<{ module: WebAssembly.Module; bytes: Uint8Array }> {
    const { name, signature } = fn;
    if (signature.params.length > MAX_VALUES || signature.results.length > MAX_VALUES) {
      throw deployRefused(name, `its entry has more than ${MAX_VALUES} parameters or results`);
    }
    const copy = bytes.slice();
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(copy);
    } catch (cause) {
      throw deployRefused(name, `the artifact is not valid WebAssembly (${cause instanceof Error ? cause.message : String(cause)})`);
    }
    const abi = fn.abi ?? 'args';
    const unsupported = unsupportedImports(module, abi);
    if (unsupported.length > 0) {
      throw deployRefused(name, `it imports ${unsupported.join(', ')}; allowed imports: ${describeAllowedImports(abi)}`);
    }
    if (abi === 'wagi' && !WebAssembly.Module.exports(module).some((e) => e.name === 'memory' && e.kind === 'memory')) {
      throw deployRefused(name, 'a wagi module must export its memory as "memory"');
    }
    const entry = WebAssembly.Module.exports(module).find((e) => e.name === fn.entry);
    if (entry?.kind !== 'function') throw deployRefused(name, `it exports no function "${fn.entry}"`);
    return { module, bytes: copy };
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
    const { active, spare, stopping, spawned } = this.dispatcher.health();
    return { workers: { active, spare, stopping }, spawned, outstanding: this.outstanding, functions: this.table.names().length };
  }

  invoke(name: string, args: readonly RawArg[] = []): Promise<InvokeResult> {
    try {
      return this.admit(name, args);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  invokeWagi(name: string, request: WagiRequest): Promise<WagiResult> {
    try {
      return this.admitWagi(name, request);
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

  private admit(name: string, args: readonly RawArg[]): Promise<InvokeResult> {
    if (this.closing !== undefined) throw new OverloadedError('the runtime is shutting down', RETRY_AFTER_SECONDS);
    const entry = this.table.get(name);
    if (entry === undefined) throw functionNotFound(name);
    const version = entry.current;
    if (version.wagi) throw wagiOnly(name);
    const { signature } = version.artifact;
    const values = coerceArgs(name, signature, args);
    const request: JobRequest = {
      moduleId: 0,
      params: signature.params,
      results: signature.results,
      args: values,
      timeoutMs: 0,
      guardMs: 0,
    };
    // Only a module that imports platform.log pays for a payload buffer (room for its lines).
    if (version.logs) {
      request.payload = EMPTY;
      request.payloadRoom = RESPONSE_OVERHEAD;
    }
    return this.run(entry, version, request, (outcome, coldStart) => {
      const values = outcome.kind === 'ok' ? outcome.values : [];
      return {
        value: renderResults(values, signature.results),
        durationMs: outcome.durationMs,
        coldStart,
        version: version.version,
        logs: outcome.response?.logs ?? [],
      };
    });
  }

  private admitWagi(name: string, wagi: WagiRequest): Promise<WagiResult> {
    if (this.closing !== undefined) throw new OverloadedError('the runtime is shutting down', RETRY_AFTER_SECONDS);
    const entry = this.table.get(name);
    if (entry === undefined) throw functionNotFound(name);
    const version = entry.current;
    if (!version.wagi)
      throw new NanoError('BadArguments', `${name} is not a wagi function`, {
        value: name,
        hint: 'call it with numbers: /exec/<name>?5,2',
      });
    const env = Object.entries(wagi.env).map(([key, value]) => `${key}=${value}`);
    const payload = encodeRequest({ args: wagi.args, env, maxOutput: this.maxResponseBytes }, wagi.body);
    const request: JobRequest = {
      moduleId: 0,
      params: [],
      results: [],
      args: [],
      timeoutMs: 0,
      guardMs: 0,
      payload,
      payloadRoom: this.maxResponseBytes + RESPONSE_OVERHEAD,
    };
    return this.run(entry, version, request, (outcome, coldStart) => {
      const response = outcome.response as WagiResponse | undefined;
      if (response === undefined) throw functionTrapped(name, 'it ended without a response');
      if (response.overflow) {
        throw functionTrapped(name, `its response is larger than the ${this.maxResponseBytes}-byte limit`);
      }
      return {
        stdout: response.output,
        exitCode: response.exitCode,
        logs: response.logs,
        durationMs: outcome.durationMs,
        coldStart,
        version: version.version,
      };
    });
  }

  /**
   * Admission common to both ABIs (concurrency, queue bound), then the job.
   * `done` words a successful outcome; failures throw NanoErrors that carry
   * the lines logged before them (`logs` on the error).
   */
  private run<T>(
    entry: FunctionEntry,
    version: FunctionVersion,
    request: JobRequest,
    done: (outcome: Extract<JobOutcome, { kind: 'ok' }>, coldStart: boolean) => T,
  ): Promise<T> {
    const { name } = entry;
    const { limits } = version.artifact;
    if (limits.concurrency !== null && entry.outstanding >= limits.concurrency) {
      entry.stats.recordRejected();
      throw concurrencyLimit(name, limits.concurrency);
    }
    const failure = this.dispatcher.failure;
    if (failure !== undefined) throw new OverloadedError(`no worker can start: ${failure.message}`, RETRY_AFTER_SECONDS);
    if (this.outstanding >= this.capacity) {
      entry.stats.recordRejected();
      throw new OverloadedError(`the runtime is overloaded (${this.outstanding} calls running or queued)`, RETRY_AFTER_SECONDS);
    }
    entry.outstanding++;
    this.outstanding++;
    this.table.acquire(version);
    request.moduleId = version.moduleId;
    request.timeoutMs = limits.timeoutMs;
    request.guardMs = version.guardUntil > Date.now() ? guardMs(limits.timeoutMs) : 0;
    if (this.table.isWarm(version)) {
      return this.dispatcher.submit(request).then((outcome) => done(this.settle(entry, version, outcome, false), false));
    }
    return this.table.warm(version).then(
      () => {
        request.moduleId = version.moduleId;
        return this.dispatcher.submit(request).then((outcome) => done(this.settle(entry, version, outcome, true), true));
      },
      (cause: unknown) => {
        const message = cause instanceof Error ? cause.message : String(cause);
        return done(
          this.settle(entry, version, { kind: 'trap', message: `its module could not be loaded (${message})`, durationMs: 0 }, true),
          true,
        );
      },
    );
  }

  private settle(
    entry: FunctionEntry,
    version: FunctionVersion,
    outcome: JobOutcome,
    coldStart: boolean,
  ): Extract<JobOutcome, { kind: 'ok' }> {
    entry.outstanding--;
    this.outstanding--;
    this.table.release(version);
    const { name } = entry;
    if (outcome.kind === 'timeout') {
      if (version.guardUntil <= Date.now()) this.dispatcher.guardQueued(version.moduleId, guardMs(version.artifact.limits.timeoutMs));
      version.guardUntil = Date.now() + GUARD_HOLD_MS;
    }
    switch (outcome.kind) {
      case 'ok':
        entry.stats.record(outcome.durationMs, 'ok', coldStart);
        return outcome;
      case 'trap':
        entry.stats.record(outcome.durationMs, 'error', coldStart);
        throw withLogs(functionTrapped(name, outcome.message), outcome.response);
      case 'timeout':
        entry.stats.record(outcome.durationMs, 'timeout', coldStart);
        throw withLogs(functionTimeout(name, version.artifact.limits.timeoutMs), outcome.response);
      case 'busy':
        entry.stats.recordRejected();
        throw new OverloadedError('the runtime is overloaded (no free slot)', RETRY_AFTER_SECONDS);
      case 'unavailable':
        throw new OverloadedError(`no worker can start: ${outcome.message}`, RETRY_AFTER_SECONDS);
      case 'closed':
        throw new OverloadedError('the runtime is shutting down', RETRY_AFTER_SECONDS);
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Lines a failed call logged before it failed travel on its error (`logLines(error)` reads them). */
function withLogs(error: NanoError, response: WagiResponse | undefined): NanoError {
  if (response !== undefined && response.logs.length > 0) Object.defineProperty(error, LOG_LINES, { value: response.logs });
  return error;
}

const LOG_LINES = Symbol('nano.logLines');

/** The lines a failed invocation logged before it failed, if any. */
export function logLinesOf(error: unknown): string[] {
  const lines = (error as { [LOG_LINES]?: unknown } | null)?.[LOG_LINES];
  return Array.isArray(lines) ? (lines as string[]) : [];
}

function wagiOnly(name: string): NanoError {
  return new NanoError('BadArguments', `${name} is a wagi function: it takes an HTTP request, not numbers`, { value: name });
}

/** vm's watchdog takes a positive integer of ms; the header holds an int32. */
function guardMs(timeoutMs: number): number {
  return Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(timeoutMs)));
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
