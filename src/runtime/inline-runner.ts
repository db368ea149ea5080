/**
 * Calls run on the main thread. Handing a call to a worker costs ~3 µs of
 * futex wake-up and completion on the main thread alone, more than a small
 * function's whole run; an instrumented module can instead run right here,
 * synchronously, because its fuel checks (fuel.ts) stop it at a deadline: the
 * budget (DEFAULT_INLINE_BUDGET_MS, `--inline-budget`), or its own timeout
 * when that is shorter. A call stopped at the budget left nothing behind (its
 * instance is reset, its log lines dropped) and is run again from the start on
 * a worker, where its full timeout applies; its function then stays on the
 * workers for INLINE_HOLD_MS, so a function that always runs long costs the
 * event loop one budget per hold period.
 *
 * Only WebAssembly traps are answered from here. Anything else a call throws
 * (a stack overflow: the main thread's stack is smaller than a worker's; the
 * engine out of memory) is re-run on a worker, whose answer is authoritative.
 */
import { ArgsInstances } from './args-instances.js';
import type { CleanInstances } from './clean-instances.js';
import { thrownText } from './runtime-errors.js';
import { runWagi, wagiInstances } from './wasi-host.js';
import { Deadline, isFuelStop } from './fuel.js';
import { LogLines, type WagiResponse } from './payload.js';
import type { LoadMessage } from './protocol.js';

export { DEFAULT_INLINE_BUDGET_MS } from './inline-budget.js';
/** After a call overran the budget, its function's calls go to the workers for this long. */
export const INLINE_HOLD_MS = 60_000;

export type InlineOutcome<T> =
  | { kind: 'ok'; result: T; durationMs: number; logs: string[] }
  | { kind: 'trap'; message: string; durationMs: number; logs: string[] }
  /** Its own timeout (shorter than the budget) ran out. */
  | { kind: 'timeout'; durationMs: number; logs: string[] }
  /** Not answered here: run it on a worker. */
  | { kind: 'elsewhere' };

type InlineTarget = (
  { abi: 'args'; instances: ArgsInstances; logs: boolean } | { abi: 'wagi'; instances: CleanInstances; entry: string; env: string[] }
) & {
  /** Date.now() until which calls go to the workers (the function overran the budget lately). */
  workersUntil: number;
};

export class InlineRunner {
  private readonly deadline = new Deadline();
  private readonly targets = new Map<number, InlineTarget>();
  /** Calls started here, those re-run on a worker included. */
  private attempts = 0;
  private rerun = 0;

  /** `budgetMs` 0 turns main-thread execution off. */
  constructor(readonly budgetMs: number) {}

  /** Takes a module the function table hands to the workers: instrumented modules can run here too. */
  load(message: LoadMessage): void {
    const { plan } = message;
    if (this.budgetMs <= 0 || plan === undefined) return;
    if (message.abi === 'wagi') {
      const env = Object.entries(message.env ?? {}).map(([key, value]) => `${key}=${value}`);
      const instances = wagiInstances(message.module, plan, this.deadline.fuel);
      this.targets.set(message.id, { abi: 'wagi', instances, entry: message.entry, env, workersUntil: 0 });
      return;
    }
    const logs = message.logs === true;
    const instances = new ArgsInstances(
      { module: message.module, entry: message.entry, memory: message.memory, logs, plan },
      this.deadline.fuel,
    );
    this.targets.set(message.id, { abi: 'args', instances, logs, workersUntil: 0 });
  }

  drop(id: number): void {
    this.targets.delete(id);
  }

  /**
   * True when a call of the module may run here now: not held on the workers, and recycled — a module that
   * needs a new instance per call would have it made here, unmetered (a large memory allocated and filled).
   */
  accepts(moduleId: number): boolean {
    const target = this.targets.get(moduleId);
    if (target === undefined || !target.instances.recycles()) return false;
    return target.workersUntil === 0 || target.workersUntil <= Date.now();
  }

  counts(): { attempts: number; rerun: number } {
    return { attempts: this.attempts, rerun: this.rerun };
  }

  runArgs(moduleId: number, args: (number | bigint)[], timeoutMs: number): InlineOutcome<unknown> {
    const target = this.targets.get(moduleId);
    if (target?.abi !== 'args') return ELSEWHERE;
    const logs = target.logs ? new LogLines() : undefined;
    return this.attempt(target, timeoutMs, logs, () => target.instances.call(args, logs));
  }

  /** A WAGI call: `args` and `env` as the CGI request gives them (the function's own env goes first). */
  runWagi(
    moduleId: number,
    args: string[],
    env: string[],
    body: Uint8Array,
    maxOutput: number,
    timeoutMs: number,
  ): InlineOutcome<WagiResponse> {
    const target = this.targets.get(moduleId);
    if (target?.abi !== 'wagi') return ELSEWHERE;
    const logs = new LogLines();
    const meta = { args, env: [...target.env, ...env], maxOutput };
    return this.attempt(target, timeoutMs, logs, () => runWagi(target.instances, target.entry, meta, body, logs));
  }

  private attempt<T>(target: InlineTarget, timeoutMs: number, logs: LogLines | undefined, call: () => T): InlineOutcome<T> {
    const ownTimeout = timeoutMs <= this.budgetMs;
    this.attempts++;
    const started = performance.now();
    this.deadline.start(started, ownTimeout ? timeoutMs : this.budgetMs);
    try {
      const result = call();
      return { kind: 'ok', result, durationMs: performance.now() - started, logs: logs?.done() ?? [] };
    } catch (error) {
      const durationMs = performance.now() - started;
      if (error instanceof WebAssembly.RuntimeError) {
        return { kind: 'trap', message: thrownText(error), durationMs, logs: logs?.done() ?? [] };
      }
      if (isFuelStop(error) && ownTimeout) return { kind: 'timeout', durationMs, logs: logs?.done() ?? [] };
      target.workersUntil = Date.now() + INLINE_HOLD_MS;
      this.rerun++;
      return ELSEWHERE;
    } finally {
      this.deadline.clear();
    }
  }
}

const ELSEWHERE = { kind: 'elsewhere' } as const;
