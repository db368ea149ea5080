/**
 * The contract between the executor (main thread) and its workers.
 *
 * Invocations never travel as messages: every job lives in a slot of one
 * SharedArrayBuffer per pool, and workers *pull* slot numbers from a shared
 * FIFO ring (see job-ring.ts). A postMessage per request costs a structured
 * clone plus an event-loop wake-up on both sides; here the main thread writes
 * a few numbers and wakes a sleeping worker with a futex (Atomics.notify), and
 * a worker announces finished jobs with one tiny message that is coalesced
 * until the main thread has read it. Messages are used only for rare control
 * traffic: handing a compiled WebAssembly.Module to a worker, dropping it, and
 * handing over the reusable payload buffers that carry WAGI requests and
 * responses and log lines (payload.ts).
 *
 * Both sides import this file, so it must stay free of Node-only side effects.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Abi, MemoryInfo, ValueType } from '../build/manifest.js';
import { MAX_ENTRY_VALUES } from '../build/platform-abi.js';

/** Most arguments or results one invocation can carry (each value takes 8 bytes): the ABI's bound. */
export const MAX_VALUES = MAX_ENTRY_VALUES;

// --- control words (Int32 indices at the start of the shared buffer) ---
/** Bumped by the main thread after each submission; idle workers Atomics.wait on it. */
export const CTL_WORK_SEQ = 0;
/** How many workers are (about to be) asleep on CTL_WORK_SEQ; the main thread skips notify at 0. */
export const CTL_SLEEPERS = 1;
export const CTL_RING_HEAD = 2;
export const CTL_RING_TAIL = 3;
/** 1 while a "results ready" message is on its way to the main thread (coalesces wake-ups). */
export const CTL_RESULTS_PENDING = 4;
/** Set once at close: workers leave their loop. */
export const CTL_SHUTDOWN = 5;
const CTL_WORDS = 8;

// --- per-slot header (Int32 words) ---
export const HDR_STATE = 0;
export const HDR_MODULE = 1;
/** Error text length in bytes when the state is FAILED. */
export const HDR_ERROR_BYTES = 2;
/**
 * 0, or a timeout in ms the worker enforces itself by running the call under
 * vm's watchdog: the call is interrupted and the worker lives on. Costs ~0.2 ms
 * a call (the watchdog is a thread), so only functions known to run long or to
 * time out get it; the main thread's watchdog stays the backstop.
 */
export const HDR_GUARD_MS = 3;
/**
 * 0, or 1 + the id of the payload buffer that carries this job's bytes (see
 * payload.ts): a WAGI request and its response, or the log lines of an args
 * function that imports platform.log. Numeric jobs leave it 0 and never touch one.
 */
export const HDR_PAYLOAD = 4;
export const HDR_WORDS = 5;

// --- per-slot times (Float64, ms since the epoch with sub-ms precision) ---
export const TIME_START = 0;
export const TIME_END = 1;
const TIME_WORDS = 2;

// --- slot states ---
export const SLOT_FREE = 0;
export const SLOT_QUEUED = 1;
export const SLOT_DONE = 2;
export const SLOT_FAILED = 3;
/**
 * The main thread gave up on the job (its timeout lapsed) and is terminating the
 * worker; the worker's completion CAS fails so a late result is never taken.
 */
export const SLOT_REVOKED = 4;
/** The worker's own guard interrupted the call at its timeout. */
export const SLOT_TIMED_OUT = 5;
/** RUNNING states are RUNNING_BASE + worker id, so the watchdog knows who runs what. */
export const RUNNING_BASE = 16;

// --- per-worker words (a small SharedArrayBuffer of its own) ---
/** 0 while the worker is the pool's warm spare, 1 once it pulls jobs. */
export const OWN_ACTIVE = 0;
/** Bumped by the main thread after posting a control message; the worker drains its port when it changes. */
export const OWN_CONTROL_SEQ = 1;
/** The slot the worker is running, -1 when none. */
export const OWN_CURRENT_SLOT = 2;
export const OWN_WORDS = 4;

/** Typed views over the pool's shared buffer. Both sides build the same views from the same numbers. */
export interface SharedViews {
  readonly buffer: SharedArrayBuffer;
  readonly slotCount: number;
  readonly ringMask: number;
  readonly control: Int32Array;
  readonly ring: Int32Array;
  readonly header: Int32Array;
  readonly times: Float64Array;
  /** i32, f32 and f64 values (every one of them is exact in a double). */
  readonly floats: Float64Array;
  /** i64 values, over the same bytes as `floats`. */
  readonly bigints: BigInt64Array;
  /** Error text, over the same bytes as `floats`. */
  readonly bytes: Uint8Array;
}

export interface SharedLayout {
  slotCount: number;
}

function ringCapacity(slotCount: number): number {
  let capacity = 1;
  while (capacity < slotCount * 2) capacity *= 2;
  return capacity;
}

export function createSharedViews(layout: SharedLayout, existing?: SharedArrayBuffer): SharedViews {
  const { slotCount } = layout;
  const capacity = ringCapacity(slotCount);
  // Regions in byte order; every region starts 8-byte aligned for the Float64/BigInt64 views.
  const controlBytes = CTL_WORDS * 4;
  const ringBytes = align8(capacity * 4);
  const headerBytes = align8(slotCount * HDR_WORDS * 4);
  const timeBytes = slotCount * TIME_WORDS * 8;
  const valueBytes = slotCount * MAX_VALUES * 8;
  const total = controlBytes + ringBytes + headerBytes + timeBytes + valueBytes;
  const buffer = existing ?? new SharedArrayBuffer(total);
  let offset = 0;
  const control = new Int32Array(buffer, offset, CTL_WORDS);
  offset += controlBytes;
  const ring = new Int32Array(buffer, offset, capacity);
  offset += ringBytes;
  const header = new Int32Array(buffer, offset, slotCount * HDR_WORDS);
  offset += headerBytes;
  const times = new Float64Array(buffer, offset, slotCount * TIME_WORDS);
  offset += timeBytes;
  const floats = new Float64Array(buffer, offset, slotCount * MAX_VALUES);
  const bigints = new BigInt64Array(buffer, offset, slotCount * MAX_VALUES);
  const bytes = new Uint8Array(buffer, offset, valueBytes);
  return { buffer, slotCount, ringMask: capacity - 1, control, ring, header, times, floats, bigints, bytes };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

export const headerIndex = (slot: number, word: number): number => slot * HDR_WORDS + word;
export const timeIndex = (slot: number, word: number): number => slot * TIME_WORDS + word;
export const valueIndex = (slot: number, i: number): number => slot * MAX_VALUES + i;
export const valueByteOffset = (slot: number): number => slot * MAX_VALUES * 8;
export const ERROR_TEXT_MAX_BYTES = MAX_VALUES * 8;

/**
 * Wall clock with sub-millisecond precision that agrees across threads closely
 * enough for a watchdog (each thread has its own timeOrigin).
 */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** What a worker needs to instantiate one loaded module. */
/** Export names under which an instrumented module shows its state to the host (src/build/instrument.ts). */
export interface StateExports {
  memories: string[];
  globals: string[];
  tables: string[];
}

/**
 * How an instrumented module runs: it calls the fuel check (fuel.ts), so a
 * deadline can stop it on any thread, and it exports its state, so one
 * instance can be reset and reused (state-snapshot.ts) when `recyclable`.
 */
export interface ExecutionPlan {
  state: StateExports;
  recyclable: boolean;
}

export interface LoadMessage {
  type: 'load';
  id: number;
  module: WebAssembly.Module;
  entry: string;
  params: ValueType[];
  results: ValueType[];
  memory: MemoryInfo | null;
  /** Absent means `args`. */
  abi?: Abi;
  /** WAGI: the function's own environment (nano.yml `env:`), beside each request's CGI variables. */
  env?: Record<string, string>;
  /** The module imports platform.log: its jobs carry a payload buffer for the lines. */
  logs?: boolean;
  /** Present when the module was instrumented (absent: a fresh instance per call, vm's guard for timeouts). */
  plan?: ExecutionPlan;
}

export interface DropMessage {
  type: 'drop';
  id: number;
}

/** A payload buffer every worker must know (a SharedArrayBuffer is shared, not copied, by postMessage). */
export interface PayloadMessage {
  type: 'payload';
  id: number;
  buffer: SharedArrayBuffer;
}

export interface UnpayloadMessage {
  type: 'unpayload';
  id: number;
}

/** Main → worker, on the worker's private MessagePort, read synchronously with receiveMessageOnPort. */
export type ControlMessage = LoadMessage | DropMessage | PayloadMessage | UnpayloadMessage;

/** Worker → main, on parentPort: booted, or "some slots have finished". */
export const MSG_READY = 1;
export const MSG_RESULTS = 2;

export interface WorkerInit {
  workerId: number;
  shared: SharedArrayBuffer;
  slotCount: number;
  own: SharedArrayBuffer;
  control: MessagePort;
}
