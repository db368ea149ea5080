/**
 * The runtime's API as the rest of nano sees it: what an executor does, what
 * a call returns, what it reports. The implementation is executor.ts.
 */
import type { Abi, FunctionArtifact, Limits, MemoryInfo, Route, Signature } from '../build/manifest.js';
import type { RawArg } from './args.js';
import type { FunctionStats } from './stats.js';

export interface ExecutorOptions {
  /** Worker threads running invocations; one warm spare is kept beside them. Default: os.availableParallelism(). */
  poolSize?: number;
  /** Calls that may wait for a free worker before further calls get Overloaded. Default 1024. */
  queueLimit?: number;
  /** Most bytes a WAGI function may write to stdout (headers and body). Default 8 MiB plus 64 KiB for headers. */
  maxResponseBytes?: number;
  /**
   * How long an instrumented `args` call may run on the main thread before it is
   * stopped and run again on a worker (inline-runner.ts). 0 runs every call on a worker. Default 1 ms.
   */
  inlineBudgetMs?: number;
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
  /** Calls started on the main thread (inline-runner.ts), and those of them run again on a worker (over the budget). */
  mainThread: { attempts: number; rerun: number };
  /** Active workers running a call now (the others of `workers.active` are idle). */
  busy: number;
  /** Calls waiting for a worker: in the job ring, or for a payload buffer. */
  queued: number;
  /** Workers started to replace one that timed out or crashed (`spawned` less the first pool and its spare). */
  restarts: number;
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
  /**
   * `invoke` for the HTTP hot path: the result itself when the call ran to its
   * end synchronously on the main thread, else a promise; a refusal or failure
   * is thrown (synchronously) or rejected (asynchronously) as a NanoError.
   */
  call(name: string, args?: readonly RawArg[]): InvokeResult | Promise<InvokeResult>;
  /** Runs one invocation of a `wagi` function; rejects with a NanoError as `invoke` does. */
  invokeWagi(name: string, request: WagiRequest): Promise<WagiResult>;
  stats(name: string): FunctionStats;
  /** Calls of the function admitted and not finished, over all its versions (what `concurrency` limits); 0 if unknown. */
  inFlight(name: string): number;
  health(): RuntimeHealth;
  /** Rejects pending calls and ends every worker thread and timer. */
  close(): Promise<void>;
}
