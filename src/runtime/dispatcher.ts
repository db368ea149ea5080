/**
 * Moves invocations through the shared slots: writes a job, publishes it on the
 * ring, collects outcomes when a worker says some are ready, and runs the
 * watchdog that stops overrunning invocations. Outcomes are plain values, never
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
import { readResponse, type WagiResponse } from './payload.js';
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
  SLOT_REVOKED,
  SLOT_TIMED_OUT,
  TIME_END,
  TIME_START,
  clockMs,
  createSharedViews,
  headerIndex,
  timeIndex,
  valueByteOffset,
  valueIndex,
  type LoadMessage,
  type SharedViews,
} from './protocol.js';
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

/**
 * How often the watchdog looks at running invocations while any are pending.
 * An overrun is caught within this plus event-loop lag: well inside the 50 ms
 * the contract allows, at 100 cheap wake-ups a second only while busy.
 */
const WATCHDOG_MS = 10;
/**
 * A guarded call is interrupted by its worker right at its timeout; the
 * watchdog steps in (terminating the worker) only if that has not happened
 * this long after it, still inside the contract's 50 ms.
 */
const GUARD_GRACE_MS = 20;

interface PayloadBuffer {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  /** Most bytes the current job wrote or read: a buffer whose pages a large body touched is not kept idle. */
  used: number;
}

/** Payload buffers are allocated in steps of this (most WAGI calls fit the first one). */
const PAYLOAD_STEP = 64 * 1024;
/**
 * Payload buffers alive at once, per worker; payload jobs beyond them wait on
 * the main thread. Each in-flight job needs one, and a refill takes a round
 * trip through the main thread: 8 measured 1.3x the echo throughput of 2.
 */
const PAYLOADS_PER_WORKER = 8;
/**
 * A buffer whose job moved more than this is let go when the job ends (unless
 * another job waits for it): idle buffers then hold little physical memory,
 * whatever their (virtual, never-touched) size.
 */
const MAX_IDLE_PAYLOAD_USE = 1024 * 1024;

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
  /** Revoked slots per terminating worker, freed when its thread has ended. */
  private readonly quarantine = new Map<number, number[]>();
  private readonly decoder = new TextDecoder();
  /** The payload buffer each slot holds while its job is queued, running or quarantined. */
  private readonly slotPayloads: (PayloadBuffer | undefined)[];
  private readonly idlePayloads: PayloadBuffer[] = [];
  /** Slots of payload jobs waiting for a buffer, oldest first. */
  private readonly payloadWaiting: number[] = [];
  private payloadCount = 0;
  private readonly maxPayloads: number;
  private nextPayloadId = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private readonly wake = (): void => {
    this.wakeScheduled = false;
    wakeWorkers(this.views);
  };
  private closed = false;

  constructor(options: DispatcherOptions) {
    this.views = createSharedViews({ slotCount: options.slotCount });
    this.jobs = new Array<Job | undefined>(options.slotCount).fill(undefined);
    this.slotPayloads = new Array<PayloadBuffer | undefined>(options.slotCount).fill(undefined);
    this.maxPayloads = Math.max(2, options.poolSize * PAYLOADS_PER_WORKER);
    for (let slot = options.slotCount - 1; slot >= 0; slot--) this.free.push(slot);
    this.pool = new WorkerPool({
      size: options.poolSize,
      views: this.views,
      onResults: () => this.collect(),
      onExit: (workerId) => this.workerExited(workerId),
    });
  }

  get poolSize(): number {
    return this.pool.size;
  }

  /** Why nothing can run (workers keep failing to boot), if so. */
  get failure(): Error | undefined {
    return this.pool.failure;
  }

  health(): PoolHealth {
    return this.pool.health();
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
      if (request.payload !== undefined && !this.attachPayload(slot, request.payload, request.payloadRoom ?? 0)) {
        this.payloadWaiting.push(slot);
        return;
      }
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
    this.watchdog ??= setInterval(() => this.tick(), WATCHDOG_MS);
  }

  /**
   * Gives the slot a payload buffer big enough for the request and the
   * response, with the request in it; false when every buffer is in use.
   * Buffers are bounded (MAX_PAYLOAD_BUFFERS): a worker runs one job at a
   * time, so a few per worker keep them busy, and each is sized for the
   * largest response (8 MiB by default; pages never written are never committed).
   */
  private attachPayload(slot: number, bytes: Uint8Array, room: number): boolean {
    const need = Math.max(bytes.length, room, 16);
    const idle = this.idlePayloads;
    let best = -1;
    for (let i = 0; i < idle.length; i++) {
      const size = idle[i]!.buffer.byteLength;
      if (size >= need && (best < 0 || size < idle[best]!.buffer.byteLength)) best = i;
    }
    let payload: PayloadBuffer;
    if (best >= 0) {
      payload = idle.splice(best, 1)[0]!;
    } else {
      if (this.payloadCount >= this.maxPayloads) {
        // All in use: wait. All idle but too small: let the smallest go for one that fits.
        if (idle.length === 0) return false;
        this.dropPayload(idle.shift()!);
      }
      payload = { id: this.nextPayloadId++, buffer: new SharedArrayBuffer(Math.ceil(need / PAYLOAD_STEP) * PAYLOAD_STEP), used: 0 };
      this.payloadCount++;
      // Every worker learns the buffer before the job is queued (the claiming one drains its port if the signal raced).
      this.pool.sharePayload({ type: 'payload', id: payload.id, buffer: payload.buffer });
    }
    const view = new Uint8Array(payload.buffer);
    view.set(bytes);
    payload.used = bytes.length;
    // No stale response from the buffer's last job may pass for this one's (payload.ts, RESPONSE_MAGIC).
    if (bytes.length < 4) view.fill(0, 0, 4);
    this.slotPayloads[slot] = payload;
    this.views.header[headerIndex(slot, HDR_PAYLOAD)] = payload.id + 1;
    return true;
  }

  private dropPayload(payload: PayloadBuffer): void {
    this.payloadCount--;
    this.pool.dropPayload(payload.id);
  }

  private releasePayload(slot: number): void {
    const payload = this.slotPayloads[slot];
    if (payload === undefined) return;
    this.slotPayloads[slot] = undefined;
    this.views.header[headerIndex(slot, HDR_PAYLOAD)] = 0;
    if (payload.used > MAX_IDLE_PAYLOAD_USE && this.payloadWaiting.length === 0) this.dropPayload(payload);
    else this.idlePayloads.push(payload);
    // Hand it (or its room) to the next waiting job.
    while (this.payloadWaiting.length > 0) {
      const next = this.payloadWaiting[0]!;
      const job = this.jobs[next];
      if (job === undefined) {
        this.payloadWaiting.shift();
        continue;
      }
      if (!this.attachPayload(next, job.request.payload ?? new Uint8Array(0), job.request.payloadRoom ?? 0)) break;
      this.payloadWaiting.shift();
      this.publish(next);
    }
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
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const slot of this.pending.splice(0)) this.take(slot)?.settle({ kind: 'closed' });
    for (const slot of this.payloadWaiting.splice(0)) this.take(slot)?.settle({ kind: 'closed' });
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
    const payload = this.slotPayloads[slot];
    const response = payload === undefined ? undefined : readResponse(payload.buffer);
    if (payload !== undefined && response !== undefined) payload.used = Math.max(payload.used, response.output.length);
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
    this.releasePayload(slot);
    Atomics.store(this.views.header, headerIndex(slot, HDR_STATE), SLOT_FREE);
    this.free.push(slot);
  }

  private forget(slot: number): void {
    const at = this.pending.indexOf(slot);
    if (at < 0) return;
    this.pending[at] = this.pending[this.pending.length - 1] as number;
    this.pending.pop();
  }

  private tick(): void {
    // A worker terminated between flagging results and posting its message
    // would leave the flag set forever; collecting here makes that harmless.
    this.collect();
    if (this.pending.length === 0) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
      return;
    }
    const now = clockMs();
    const { header, times } = this.views;
    for (const { id, slot } of this.pool.running()) {
      if (slot < 0) continue;
      const job = this.jobs[slot];
      if (job === undefined) continue;
      const elapsed = now - (times[timeIndex(slot, TIME_START)] as number);
      // The header, not the request: guardQueued may have guarded the job after submission.
      const guarded = Atomics.load(header, headerIndex(slot, HDR_GUARD_MS)) > 0;
      if (elapsed < job.request.timeoutMs + (guarded ? GUARD_GRACE_MS : 0)) continue;
      const running = RUNNING_BASE + id;
      // Lost only if the invocation finished just now: then its result stands.
      if (Atomics.compareExchange(header, headerIndex(slot, HDR_STATE), running, SLOT_REVOKED) !== running) continue;
      this.forget(slot);
      this.take(slot);
      const held = this.quarantine.get(id);
      if (held === undefined) this.quarantine.set(id, [slot]);
      else held.push(slot);
      this.pool.retire(id);
      job.settle({ kind: 'timeout', durationMs: elapsed });
    }
  }

  /**
   * A worker's thread ended. Its revoked slots are safe to reuse now. A job it
   * had claimed but not finished (it took one in the instant before a
   * termination, or it crashed) goes back on the ring once; invocations are
   * fresh instances, so running one again is safe.
   */
  private workerExited(workerId: number): void {
    if (this.closed) return;
    for (const slot of this.quarantine.get(workerId) ?? []) this.release(slot);
    this.quarantine.delete(workerId);
    const running = RUNNING_BASE + workerId;
    const { header } = this.views;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const slot = this.pending[i] as number;
      if (Atomics.load(header, headerIndex(slot, HDR_STATE)) !== running) continue;
      const job = this.jobs[slot];
      // A payload job is not re-run: its buffer may already hold part of a response instead of the request.
      if (job !== undefined && !job.requeued && this.slotPayloads[slot] === undefined) {
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
    for (const slot of [...this.pending.splice(0), ...this.payloadWaiting.splice(0)]) {
      this.take(slot)?.settle({ kind: 'unavailable', message: failure.message });
      this.release(slot);
    }
  }
}
