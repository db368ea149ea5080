/**
 * One call, from admission to its outcome. Admission happens on the main
 * thread, synchronously and in O(1): unknown function → FunctionNotFound, bad
 * arguments → BadArguments, over `concurrency` → ConcurrencyLimit at once,
 * queue full → Overloaded. Then a loaded, instrumented function runs right
 * here on the main thread within its budget (inline-runner.ts); any other call
 * takes a shared slot and waits in the FIFO ring for a worker (dispatcher.ts).
 * Either way the outcome is worded here, as a result or a NanoError, and
 * counted once in the function's stats.
 */
import { coerceArgs, renderResults, type RawArg, type WasmValue } from './args.js';
import type { Dispatcher, JobOutcome, JobRequest } from './dispatcher.js';
import type { FunctionEntry, FunctionTable, FunctionVersion } from './function-table.js';
import { encodeRequest, RESPONSE_OVERHEAD, type WagiResponse } from './payload.js';
import type { InlineOutcome, InlineRunner } from './inline-runner.js';
import type { InvokeResult, WagiRequest, WagiResult } from './executor-types.js';
import { NanoError } from '../errors.js';
import { OverloadedError, concurrencyLimit, functionNotFound, functionTimeout, functionTrapped, withLogs } from './runtime-errors.js';

/** Retry-After for a full queue: invocations are short, the queue drains within seconds. */
export const RETRY_AFTER_SECONDS = 1;
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

export interface CallsOptions {
  dispatcher: Dispatcher;
  inline: InlineRunner;
  table: FunctionTable;
  /** Calls that may be admitted at once (pool size + queue limit). */
  capacity: number;
  maxResponseBytes: number;
  /** True once the executor is closing: calls are refused. */
  closing: () => boolean;
}

export class Calls {
  private readonly dispatcher: Dispatcher;
  private readonly inline: InlineRunner;
  private readonly table: FunctionTable;
  private readonly capacity: number;
  private readonly maxResponseBytes: number;
  private readonly closing: () => boolean;
  /** Calls admitted and not finished; bounded by pool size + queue limit. */
  outstanding = 0;

  constructor(options: CallsOptions) {
    this.dispatcher = options.dispatcher;
    this.inline = options.inline;
    this.table = options.table;
    this.capacity = options.capacity;
    this.maxResponseBytes = options.maxResponseBytes;
    this.closing = options.closing;
  }

  admit(name: string, args: readonly RawArg[]): InvokeResult | Promise<InvokeResult> {
    if (this.closing()) throw new OverloadedError('the runtime is shutting down', RETRY_AFTER_SECONDS);
    const entry = this.table.get(name);
    if (entry === undefined) throw functionNotFound(name);
    const version = entry.current;
    if (version.wagi) throw wagiOnly(name);
    const { signature } = version.artifact;
    const values = coerceArgs(name, signature, args);
    if (this.mayRunInline(version)) {
      const answered = this.runInline(
        entry,
        version,
        (timeoutMs) => this.inline.runArgs(version.moduleId, values, timeoutMs),
        (result, durationMs, logs): InvokeResult => ({
          value: renderResults(signature.results.length === 1 ? [result as WasmValue] : ((result ?? []) as WasmValue[]), signature.results),
          durationMs,
          coldStart: false,
          version: version.version,
          logs,
        }),
      );
      if (answered !== undefined) return answered;
    }
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

  admitWagi(name: string, wagi: WagiRequest): Promise<WagiResult> {
    if (this.closing()) throw new OverloadedError('the runtime is shutting down', RETRY_AFTER_SECONDS);
    const entry = this.table.get(name);
    if (entry === undefined) throw functionNotFound(name);
    const version = entry.current;
    if (!version.wagi)
      throw new NanoError('BadArguments', `${name} is not a wagi function`, {
        value: name,
        hint: 'call it with numbers: /exec/<name>?5,2',
      });
    const env = Object.entries(wagi.env).map(([key, value]) => `${key}=${value}`);
    if (this.mayRunInline(version)) {
      const answered = this.runInline(
        entry,
        version,
        (timeoutMs) => this.inline.runWagi(version.moduleId, wagi.args, env, wagi.body, this.maxResponseBytes, timeoutMs),
        (response, durationMs) => this.wagiResult(name, version, response, durationMs, false),
      );
      if (answered !== undefined) return Promise.resolve(answered);
    }
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
    return this.run(entry, version, request, (outcome, coldStart) =>
      this.wagiResult(name, version, outcome.response as WagiResponse | undefined, outcome.durationMs, coldStart),
    );
  }

  private wagiResult(
    name: string,
    version: FunctionVersion,
    response: WagiResponse | undefined,
    durationMs: number,
    coldStart: boolean,
  ): WagiResult {
    if (response === undefined) throw functionTrapped(name, 'it ended without a response');
    if (response.overflow) {
      throw functionTrapped(name, `its response is larger than the ${this.maxResponseBytes}-byte limit`);
    }
    return { stdout: response.output, exitCode: response.exitCode, logs: response.logs, durationMs, coldStart, version: version.version };
  }

  /** Loaded (a cold start goes to the workers, which compile and load it), not timed out lately, not held on the workers. */
  private mayRunInline(version: FunctionVersion): boolean {
    return version.moduleId >= 0 && version.guardUntil <= Date.now() && this.inline.accepts(version.moduleId);
  }

  /**
   * A call on the main thread (inline-runner.ts), admitted as any other; undefined
   * when it has to run on a worker after all (it overran the budget, say).
   */
  private runInline<R, T>(
    entry: FunctionEntry,
    version: FunctionVersion,
    attempt: (timeoutMs: number) => InlineOutcome<R>,
    done: (result: R, durationMs: number, logs: string[]) => T,
  ): T | undefined {
    const { name } = entry;
    const { limits } = version.artifact;
    refuseOverConcurrency(entry, limits.concurrency);
    this.table.acquire(version);
    let outcome: InlineOutcome<R>;
    try {
      outcome = attempt(limits.timeoutMs);
    } finally {
      this.table.release(version);
    }
    switch (outcome.kind) {
      case 'elsewhere':
        return undefined;
      case 'ok':
        entry.stats.record(outcome.durationMs, 'ok', false);
        return done(outcome.result, outcome.durationMs, outcome.logs);
      case 'trap':
        entry.stats.record(outcome.durationMs, 'error', false);
        throw withLogs(functionTrapped(name, outcome.message), outcome.logs);
      case 'timeout':
        entry.stats.record(outcome.durationMs, 'timeout', false);
        version.guardUntil = Date.now() + GUARD_HOLD_MS;
        throw withLogs(functionTimeout(name, limits.timeoutMs), outcome.logs);
    }
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
    const { limits } = version.artifact;
    refuseOverConcurrency(entry, limits.concurrency);
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
    // An instrumented module stops itself at its timeout (fuel.ts); others are guarded after a timeout only.
    request.guardMs = version.plan !== undefined || version.guardUntil > Date.now() ? guardMs(limits.timeoutMs) : 0;
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
        throw withLogs(functionTrapped(name, outcome.message), outcome.response?.logs);
      case 'timeout':
        entry.stats.record(outcome.durationMs, 'timeout', coldStart);
        throw withLogs(functionTimeout(name, version.artifact.limits.timeoutMs), outcome.response?.logs);
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

function wagiOnly(name: string): NanoError {
  return new NanoError('BadArguments', `${name} is a wagi function: it takes an HTTP request, not numbers`, { value: name });
}

/** vm's watchdog takes a positive integer of ms; the header holds an int32. */
function guardMs(timeoutMs: number): number {
  return Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(timeoutMs)));
}

/** `concurrency` counts the calls in flight on workers; a main-thread call is over before the next is admitted. */
function refuseOverConcurrency(entry: FunctionEntry, concurrency: number | null): void {
  if (concurrency !== null && entry.outstanding >= concurrency) {
    entry.stats.recordRejected();
    throw concurrencyLimit(entry.name, concurrency);
  }
}
