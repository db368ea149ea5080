/**
 * Moves invocations through the shared slots: writes a job, publishes it on the
 * ring, collects outcomes when a worker says some are ready, and settles what
 * the watchdog (watchdog.ts) revokes or a dying worker leaves behind. Payload
 * buffers come from payload-pool.ts. Outcomes are plain values, never
 * rejections: the executor words the errors.
 *
 * Slot life: FREE → QUEUED (main) → RUNNING(worker) → DONE | FAILED (worker) →
 * FREE (main, after reading). A timed-out slot goes RUNNING → REVOKED (main)
 * and stays out of use until its worker's thread has ended, so a late write
 * from the dying thread can never land in a reused slot.
 */
import type { ValueType } from '../build/manifest.js';
import type { WasmValue } from './args.js';
import { pushJob, sleepingWorkers, wakeWorkers } from './job-ring.js';
import type { WagiResponse } from './payload.js';
import { PayloadPool } from './payload-pool.js';
import {
  CTL_RESULTS_PENDING,
  HDR_ERROR_BYTES,
  HDR_GUARD_MS,
  HDR_MODULE,
  HDR_PAYLOAD,
  HDR_STATE,
  RUNNING_BASE,
  SLOT_DONE,
  SLOT_FAILED,
  SLOT_FREE,
  SLOT_QUEUED,
  SLOT_TIMED_OUT,
  TIME_END,
  TIME_START,
  createSharedViews,
  headerIndex,
  timeIndex,
  valueByteOffset,
  valueIndex,
  type LoadMessage,
  type SharedViews,
} from './protocol.js';
import { Watchdog } from './watchdog.js';
import { WorkerPool, type PoolHealth } from './worker-pool.js';

export interface JobRequest {
  moduleId: number;
  params: readonly ValueType[];
  results: readonly ValueType[];
  args: readonly WasmValue[];
  timeoutMs: number;
  /** Have the worker enforce the timeout itself (see HDR_GUARD_MS); 0 leaves it to the watchdog alone. */
  guardMs: number;
  /**
   * Bytes for a payload buffer (payload.ts): a WAGI request, or empty for an
   * args job that only needs room for log lines. Absent: a numeric job.
   */
  payload?: Uint8Array;
  /** Bytes the response may need in the payload buffer. */
  payloadRoom?: number;
}

export type JobOutcome =
  | { kind: 'ok'; values: WasmValue[]; durationMs: number; response?: WagiResponse }
  | { kind: 'trap'; message: string; durationMs: number; response?: WagiResponse }
  | { kind: 'timeout'; durationMs: number; response?: WagiResponse }
  /** No free slot (the executor's queue bound normally prevents it). */
  | { kind: 'busy' }
  /** No worker can start. */
  | { kind: 'unavailable'; message: string }
  | { kind: 'closed' };

interface Job {
  readonly request: JobRequest;
  readonly settle: (outcome: JobOutcome) => void;
  /** Re-queued once already because its worker died under it; a second time fails it. */
  requeued: boolean;
}

export interface DispatcherOptions {
  poolSize: number;
  slotCount: number;
}

export class Dispatcher {
  private readonly views: SharedViews;
  private readonly pool: WorkerPool;
  private readonly jobs: (Job | undefined)[];
  private readonly free: number[] = [];
  /** Slots queued or running: scanned when a worker announces results. */
  private readonly pending: number[] = [];
  private readonly decoder = new TextDecoder();
  private readonly payloads: PayloadPool;
  private readonly watchdog: Watchdog;
  private wakeScheduled = false;
  private readonly wake = (): void => {
    this.wakeScheduled = false;
    wakeWorkers(this.views);
  };
  private closed = false;

  constructor(options: DispatcherOptions) {
    this.views = createSharedViews({ slotCount: options.slotCount });
    this.jobs = new Array<Job | undefined>(options.slotCount).fill(undefined);
    for (let slot = options.slotCount - 1; slot >= 0; slot--) this.free.push(slot);
    this.pool = new WorkerPool({
      size: options.poolSize,
      views: this.views,
      onResults: () => this.collect(),
      onExit: (workerId) => this.workerExited(workerId),
    });
    this.payloads = new PayloadPool({
      slotCount: options.slotCount,
      poolSize: options.poolSize,
      header: this.views.header,
      workers: this.pool,
      request: (slot) => this.jobs[slot]?.request,
      publish: (slot) => this.publish(slot),
    });
    this.watchdog = new Watchdog({
      views: this.views,
      workers: this.pool,
      collect: () => {
        this.collect();
        return this.pending.length;
      },
      timeoutMs: (slot) => this.jobs[slot]?.request.timeoutMs,
      revoked: (slot, durationMs) => {
        this.forget(slot);
        this.take(slot)?.settle({ kind: 'timeout', durationMs });
      },
    });
  }

  get poolSize(): number {
    return this.pool.size;
  }

  /** Why nothing can run (workers keep failing to boot), if so. */
  get failure(): Error | undefined {
    return this.pool.failure;
  }

  /** The pool's threads, and the calls waiting for one: in the ring, or for a payload buffer (read for /metrics). */
  health(): PoolHealth & { queued: number } {
    const { header } = this.views;
    let queued = this.payloads.waitingCount;
    for (const slot of this.pending) if (Atomics.load(header, headerIndex(slot, HDR_STATE)) === SLOT_QUEUED) queued++;
    return { ...this.pool.health(), queued };
  }

  loadModule(message: LoadMessage): void {
    this.pool.load(message);
  }

  dropModule(id: number): void {
    this.pool.drop(id);
  }

  submit(request: JobRequest): Promise<JobOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    const slot = this.free.pop();
    if (slot === undefined) return Promise.resolve({ kind: 'busy' });
    const { header, floats, bigints } = this.views;
    header[headerIndex(slot, HDR_MODULE)] = request.moduleId;
    header[headerIndex(slot, HDR_GUARD_MS)] = request.guardMs;
    header[headerIndex(slot, HDR_PAYLOAD)] = 0;
    const { params, args } = request;
    for (let i = 0; i < params.length; i++) {
      if (params[i] === 'i64') bigints[valueIndex(slot, i)] = args[i] as bigint;
      else floats[valueIndex(slot, i)] = args[i] as number;
    }
    return new Promise<JobOutcome>((settle) => {
      this.jobs[slot] = { request, settle, requeued: false };
      // A payload job waits (FIFO, on the main thread) while every payload buffer is in use.
      if (request.payload !== undefined && !this.payloads.acquire(slot, request.payload, request.payloadRoom ?? 0)) return;
      this.publish(slot);
    });
  }

  private publish(slot: number): void {
    this.pending.push(slot);
    pushJob(this.views, slot);
    // One wake-up for every call submitted in this turn of the event loop
    // (all the requests one poll phase read), not a futex syscall per call:
    // measured over HTTP, a worker is asleep for ~9 calls in 10 otherwise.
    if (!this.wakeScheduled && sleepingWorkers(this.views) > 0) {
      this.wakeScheduled = true;
      setImmediate(this.wake);
    }
    this.watchdog.arm();
  }

  /**
   * Guards the module's calls still waiting in the ring (its timeout was just
   * hit: more of the same are likely). Calls already claimed keep running as they are.
   */
  guardQueued(moduleId: number, guardMs: number): void {
    const { header } = this.views;
    for (const slot of this.pending) {
      if (Atomics.load(header, headerIndex(slot, HDR_MODULE)) !== moduleId) continue;
      if (Atomics.load(header, headerIndex(slot, HDR_STATE)) === SLOT_QUEUED)
        Atomics.store(header, headerIndex(slot, HDR_GUARD_MS), guardMs);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchdog.stop();
    for (const slot of this.pending.splice(0)) this.take(slot)?.settle({ kind: 'closed' });
    for (const slot of this.payloads.drainWaiting()) this.take(slot)?.settle({ kind: 'closed' });
    await this.pool.close();
  }

  /** Reads every finished slot. Runs on a worker's "results ready" message. */
  private collect(): void {
    // Cleared before the scan: a slot finishing after this line sends a new message.
    Atomics.store(this.views.control, CTL_RESULTS_PENDING, 0);
    const { header } = this.views;
    const { pending } = this;
    let i = 0;
    while (i < pending.length) {
      const slot = pending[i] as number;
      const state = Atomics.load(header, headerIndex(slot, HDR_STATE));
      if (state !== SLOT_DONE && state !== SLOT_FAILED && state !== SLOT_TIMED_OUT) {
        i++;
        continue;
      }
      pending[i] = pending[pending.length - 1] as number;
      pending.pop();
      this.finish(slot, state);
    }
  }

  private finish(slot: number, state: number): void {
    const job = this.take(slot);
    if (job === undefined) return;
    const { times, floats, bigints, bytes, header } = this.views;
    const durationMs = (times[timeIndex(slot, TIME_END)] as number) - (times[timeIndex(slot, TIME_START)] as number);
    let outcome: JobOutcome;
    const response = this.payloads.response(slot);
    if (state === SLOT_TIMED_OUT) {
      outcome = { kind: 'timeout', durationMs };
    } else if (state === SLOT_DONE) {
      const { results } = job.request;
      const values = new Array<WasmValue>(results.length);
      for (let i = 0; i < results.length; i++) {
        values[i] = results[i] === 'i64' ? (bigints[valueIndex(slot, i)] as bigint) : (floats[valueIndex(slot, i)] as number);
      }
      outcome = { kind: 'ok', values, durationMs };
    } else {
      const start = valueByteOffset(slot);
      // A copy: TextDecoder does not read shared memory.
      const text = bytes.slice(start, start + (header[headerIndex(slot, HDR_ERROR_BYTES)] as number));
      outcome = { kind: 'trap', message: this.decoder.decode(text), durationMs };
    }
    if (response !== undefined) outcome.response = response;
    this.release(slot);
    job.settle(outcome);
  }

  private take(slot: number): Job | undefined {
    const job = this.jobs[slot];
    this.jobs[slot] = undefined;
    return job;
  }

  private release(slot: number): void {
    this.payloads.release(slot);
    Atomics.store(this.views.header, headerIndex(slot, HDR_STATE), SLOT_FREE);
    this.free.push(slot);
  }

  private forget(slot: number): void {
    const at = this.pending.indexOf(slot);
    if (at < 0) return;
    this.pending[at] = this.pending[this.pending.length - 1] as number;
    this.pending.pop();
  }

  /**
   * A worker's thread ended. Its revoked slots are safe to reuse now. A job it
   * had claimed but not finished (it took one in the instant before a
   * termination, or it crashed) goes back on the ring once; invocations are
   * fresh instances, so running one again is safe.
   */
  private workerExited(workerId: number): void {
    if (this.closed) return;
    for (const slot of this.watchdog.releaseQuarantine(workerId)) this.release(slot);
    const running = RUNNING_BASE + workerId;
    const { header } = this.views;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const slot = this.pending[i] as number;
      if (Atomics.load(header, headerIndex(slot, HDR_STATE)) !== running) continue;
      const job = this.jobs[slot];
      // A payload job is not re-run: its buffer may already hold part of a response instead of the request.
      if (job !== undefined && !job.requeued && !this.payloads.holds(slot)) {
        job.requeued = true;
        pushJob(this.views, slot);
        wakeWorkers(this.views);
        continue;
      }
      this.forget(slot);
      this.take(slot);
      this.release(slot);
      job?.settle({ kind: 'trap', message: 'the worker running it stopped unexpectedly', durationMs: 0 });
    }
    this.collect();
    // Workers keep dying before they boot (a missing or broken worker file):
    // nothing queued will ever run, so say so instead of waiting forever.
    const failure = this.pool.failure;
    if (failure === undefined) return;
    for (const slot of [...this.pending.splice(0), ...this.payloads.drainWaiting()]) {
      this.take(slot)?.settle({ kind: 'unavailable', message: failure.message });
      this.release(slot);
    }
  }
}
