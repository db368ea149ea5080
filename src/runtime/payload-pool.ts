/**
 * Hands out the payload buffers (payload.ts) that carry WAGI requests and
 * responses and log lines beside a slot's numbers: reuses idle ones, shares
 * new ones with every worker, bounds how many exist, and keeps payload jobs
 * waiting (oldest first) while every buffer is in use. The dispatcher decides
 * when a slot gets or gives back its buffer; this file only keeps the books.
 */
import { readResponse, type WagiResponse } from './payload.js';
import { HDR_PAYLOAD, headerIndex } from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

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

export interface PayloadPoolOptions {
  slotCount: number;
  poolSize: number;
  /** The slots' header words: a slot's HDR_PAYLOAD names its buffer to the worker. */
  header: Int32Array;
  /** Shares new buffers with the workers and tells them when one is let go. */
  workers: Pick<WorkerPool, 'sharePayload' | 'dropPayload'>;
  /** What the job in a waiting slot needs, or undefined once it has left. */
  request: (slot: number) => { payload?: Uint8Array; payloadRoom?: number } | undefined;
  /** Queues a waiting job that just got its buffer. */
  publish: (slot: number) => void;
}

export class PayloadPool {
  private readonly options: PayloadPoolOptions;
  /** The payload buffer each slot holds while its job is queued, running or quarantined. */
  private readonly slotPayloads: (PayloadBuffer | undefined)[];
  private readonly idle: PayloadBuffer[] = [];
  /** Slots of payload jobs waiting for a buffer, oldest first. */
  private readonly waiting: number[] = [];
  private count = 0;
  private readonly max: number;
  private nextId = 0;

  constructor(options: PayloadPoolOptions) {
    this.options = options;
    this.slotPayloads = new Array<PayloadBuffer | undefined>(options.slotCount).fill(undefined);
    this.max = Math.max(2, options.poolSize * PAYLOADS_PER_WORKER);
  }

  /**
   * Gives the slot a buffer with the request in it (true: queue the job now),
   * or puts the slot in line for one (false: release() publishes it later).
   */
  acquire(slot: number, bytes: Uint8Array, room: number): boolean {
    if (this.attach(slot, bytes, room)) return true;
    this.waiting.push(slot);
    return false;
  }

  /** Whether the slot holds a buffer. */
  holds(slot: number): boolean {
    return this.slotPayloads[slot] !== undefined;
  }

  /** The response the worker wrote into the slot's buffer, if any, noting how many bytes it used. */
  response(slot: number): WagiResponse | undefined {
    const payload = this.slotPayloads[slot];
    const response = payload === undefined ? undefined : readResponse(payload.buffer);
    if (payload !== undefined && response !== undefined) payload.used = Math.max(payload.used, response.output.length);
    return response;
  }

  /** Jobs waiting for a buffer. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Takes every waiting slot out of line, oldest first. */
  drainWaiting(): number[] {
    return this.waiting.splice(0);
  }

  /** Takes the slot's buffer back (its job has ended) and hands it, or its room, to the jobs waiting. */
  release(slot: number): void {
    const payload = this.slotPayloads[slot];
    if (payload === undefined) return;
    this.slotPayloads[slot] = undefined;
    this.options.header[headerIndex(slot, HDR_PAYLOAD)] = 0;
    if (payload.used > MAX_IDLE_PAYLOAD_USE && this.waiting.length === 0) this.drop(payload);
    else this.idle.push(payload);
    // Hand it (or its room) to the next waiting job.
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      const request = this.options.request(next);
      if (request === undefined) {
        this.waiting.shift();
        continue;
      }
      if (!this.attach(next, request.payload ?? new Uint8Array(0), request.payloadRoom ?? 0)) break;
      this.waiting.shift();
      this.options.publish(next);
    }
  }

  /**
   * Gives the slot a payload buffer big enough for the request and the
   * response, with the request in it; false when every buffer is in use.
   * Buffers are bounded (PAYLOADS_PER_WORKER): a worker runs one job at a
   * time, so a few per worker keep them busy, and each is sized for the
   * largest response (8 MiB by default; pages never written are never committed).
   */
  private attach(slot: number, bytes: Uint8Array, room: number): boolean {
    const need = Math.max(bytes.length, room, 16);
    const idle = this.idle;
    let best = -1;
    for (let i = 0; i < idle.length; i++) {
      const size = idle[i]!.buffer.byteLength;
      if (size >= need && (best < 0 || size < idle[best]!.buffer.byteLength)) best = i;
    }
    let payload: PayloadBuffer;
    if (best >= 0) {
      payload = idle.splice(best, 1)[0]!;
    } else {
      if (this.count >= this.max) {
        // All in use: wait. All idle but too small: let the smallest go for one that fits.
        if (idle.length === 0) return false;
        this.drop(idle.shift()!);
      }
      payload = { id: this.nextId++, buffer: new SharedArrayBuffer(Math.ceil(need / PAYLOAD_STEP) * PAYLOAD_STEP), used: 0 };
      this.count++;
      // Every worker learns the buffer before the job is queued (the claiming one drains its port if the signal raced).
      this.options.workers.sharePayload({ type: 'payload', id: payload.id, buffer: payload.buffer });
    }
    const view = new Uint8Array(payload.buffer);
    view.set(bytes);
    payload.used = bytes.length;
    // No stale response from the buffer's last job may pass for this one's (payload.ts, RESPONSE_MAGIC).
    if (bytes.length < 4) view.fill(0, 0, 4);
    this.slotPayloads[slot] = payload;
    this.options.header[headerIndex(slot, HDR_PAYLOAD)] = payload.id + 1;
    return true;
  }

  private drop(payload: PayloadBuffer): void {
    this.count--;
    this.options.workers.dropPayload(payload.id);
  }
}
