/**
 * A pool worker: a synchronous loop that pulls slots from the shared ring, runs
 * each as a fresh instance of an already compiled module, writes the outcome
 * into the slot and tells the main thread. It never returns to its event loop:
 * idle, it sleeps in Atomics.wait (a futex, woken by the main thread), and it
 * reads its control messages (modules to load or drop) with
 * receiveMessageOnPort, synchronously, whenever the main thread signals some.
 * Traps are caught here and the worker lives on. An overrunning call is
 * interrupted here if the main thread guarded it (vm's watchdog; the worker
 * lives on), otherwise the main thread terminates the worker.
 */
import { Script } from 'node:vm';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { ValueType } from '../build/manifest.js';
import { claimJob } from './job-ring.js';
import { runWagi, wagiInstances } from './wasi-host.js';
import { decodeRequest, LogLines, writeResponse } from './payload.js';
import { ArgsInstances } from './args-instances.js';
import type { CleanInstances } from './clean-instances.js';
import { thrownText } from './runtime-errors.js';
import { Deadline, isFuelStop, WORKER_YIELD_EVERY_MS } from './fuel.js';
import { lowerThreadPriority, WORKER_NICENESS } from './thread-priority.js';
import {
  CTL_RESULTS_PENDING,
  CTL_SHUTDOWN,
  CTL_SLEEPERS,
  CTL_WORK_SEQ,
  ERROR_TEXT_MAX_BYTES,
  HDR_ERROR_BYTES,
  HDR_GUARD_MS,
  HDR_MODULE,
  HDR_PAYLOAD,
  HDR_STATE,
  MSG_READY,
  MSG_RESULTS,
  OWN_ACTIVE,
  OWN_CONTROL_SEQ,
  OWN_CURRENT_SLOT,
  RUNNING_BASE,
  SLOT_DONE,
  SLOT_FAILED,
  SLOT_TIMED_OUT,
  TIME_END,
  TIME_START,
  clockMs,
  createSharedViews,
  headerIndex,
  timeIndex,
  valueByteOffset,
  valueIndex,
  type ControlMessage,
  type ExecutionPlan,
  type WorkerInit,
} from './protocol.js';

interface LoadedModule {
  entry: string;
  /** Per parameter / result: true for i64 (a BigInt), false for a number. */
  paramIsBig: boolean[];
  resultIsBig: boolean[];
  /** An args module's instances on this thread (recycled when its plan allows)… */
  args: ArgsInstances | undefined;
  /** …or a wagi module's. */
  wagi: CleanInstances | undefined;
  /** Instrumented: the fuel check stops it at its deadline (no vm guard needed). */
  plan: ExecutionPlan | undefined;
  /** `NAME=value` for the function's own `env:` (WAGI). */
  env: string[];
  logs: boolean;
}

const init = workerData as WorkerInit;
const port = parentPort;
const views = createSharedViews({ slotCount: init.slotCount }, init.shared);
const { control, header, times, floats, bigints, bytes } = views;
const own = new Int32Array(init.own);
const runningState = RUNNING_BASE + init.workerId;
const modules = new Map<number, LoadedModule>();
/** Payload buffers by id (see payload.ts), handed over once by the main thread. */
const payloads = new Map<number, SharedArrayBuffer>();
const encoder = new TextEncoder();
/** The running call's deadline, read by instrumented modules' fuel checks. */
const deadline = new Deadline({ yieldEveryMs: WORKER_YIELD_EVERY_MS });
let controlSeen = 0;

const isBig = (type: ValueType): boolean => type === 'i64';

function drainControl(): void {
  controlSeen = Atomics.load(own, OWN_CONTROL_SEQ);
  for (let received = receiveMessageOnPort(init.control); received; received = receiveMessageOnPort(init.control)) {
    const message = received.message as ControlMessage;
    if (message.type === 'load') {
      const { module, entry, memory, plan } = message;
      const wagi = message.abi === 'wagi';
      modules.set(message.id, {
        entry,
        paramIsBig: message.params.map(isBig),
        resultIsBig: message.results.map(isBig),
        args: wagi ? undefined : new ArgsInstances({ module, entry, memory, logs: message.logs === true, plan }, deadline.fuel),
        wagi: wagi ? wagiInstances(module, plan, deadline.fuel) : undefined,
        plan,
        env: Object.entries(message.env ?? {}).map(([name, value]) => `${name}=${value}`),
        logs: message.logs === true,
      });
    } else if (message.type === 'drop') {
      modules.delete(message.id);
    } else if (message.type === 'payload') {
      payloads.set(message.id, message.buffer);
    } else {
      payloads.delete(message.id);
    }
  }
}

function loaded(id: number): LoadedModule {
  let found = modules.get(id);
  if (found === undefined) {
    // The main thread posts a module before it queues jobs for it; drain in case the signal raced.
    drainControl();
    found = modules.get(id);
  }
  if (found === undefined) throw new Error(`internal: module ${id} is not loaded in this worker`);
  return found;
}

/** The slot's payload buffer, or undefined for a purely numeric job. */
function payloadOf(slot: number): SharedArrayBuffer | undefined {
  const tag = Atomics.load(header, headerIndex(slot, HDR_PAYLOAD));
  if (tag === 0) return undefined;
  let found = payloads.get(tag - 1);
  if (found === undefined) {
    // Posted before the job was queued; drain in case the signal raced.
    drainControl();
    found = payloads.get(tag - 1);
  }
  if (found === undefined) throw new Error(`internal: payload ${tag - 1} is not known in this worker`);
  return found;
}

/** Lines logged by the current invocation, written to its payload buffer whatever the outcome. */
let currentLogs: LogLines | undefined;

function executeWagi(target: LoadedModule, instances: CleanInstances, payload: SharedArrayBuffer): void {
  const { meta, body } = decodeRequest(payload);
  meta.env = [...target.env, ...meta.env];
  const logs = new LogLines();
  currentLogs = logs;
  const response = runWagi(instances, target.entry, meta, body, logs);
  currentLogs = undefined;
  writeResponse(payload, response);
}

function execute(slot: number, target: LoadedModule): void {
  if (target.wagi !== undefined) {
    const payload = payloadOf(slot);
    if (payload === undefined) throw new Error('internal: a wagi job without its request');
    executeWagi(target, target.wagi, payload);
    return;
  }
  const paramCount = target.paramIsBig.length;
  const args = new Array<number | bigint>(paramCount);
  for (let i = 0; i < paramCount; i++) {
    const at = valueIndex(slot, i);
    args[i] = target.paramIsBig[i] ? (bigints[at] as bigint) : (floats[at] as number);
  }
  let logs: LogLines | undefined;
  if (target.logs) {
    logs = new LogLines();
    currentLogs = logs;
  }
  const result = (target.args as ArgsInstances).call(args, logs);
  if (logs !== undefined) flushLogs(slot, 0);
  const resultCount = target.resultIsBig.length;
  if (resultCount === 0) return;
  const values = resultCount === 1 ? [result] : (result as unknown[]);
  for (let i = 0; i < resultCount; i++) {
    const at = valueIndex(slot, i);
    if (target.resultIsBig[i]) bigints[at] = values[i] as bigint;
    else floats[at] = values[i] as number;
  }
}

/** Writes the current invocation's log lines (if its job has a payload buffer), then forgets them. */
function flushLogs(slot: number, exitCode: number): void {
  const logs = currentLogs;
  currentLogs = undefined;
  if (logs === undefined) return;
  const payload = Atomics.load(header, headerIndex(slot, HDR_PAYLOAD)) === 0 ? undefined : payloadOf(slot);
  if (payload !== undefined) writeResponse(payload, { overflow: false, exitCode, output: new Uint8Array(0), logs: logs.done() });
}

function writeError(slot: number, error: unknown): void {
  flushLogs(slot, 0);
  const text = thrownText(error);
  const start = valueByteOffset(slot);
  const { written } = encoder.encodeInto(text, bytes.subarray(start, start + ERROR_TEXT_MAX_BYTES));
  Atomics.store(header, headerIndex(slot, HDR_ERROR_BYTES), written);
}

// A guarded call runs inside this script so that vm's watchdog can interrupt it.
const guarded = new Script('__nanoRunGuarded()');
let guardedSlot = -1;
let guardedTarget: LoadedModule | undefined;
(globalThis as { __nanoRunGuarded?: () => void }).__nanoRunGuarded = () => execute(guardedSlot, guardedTarget as LoadedModule);

function isScriptTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/** Runs a slot this worker has claimed (its state is `runningState`). */
function run(slot: number): void {
  // The start time is written before the slot is published as current, so the
  // watchdog (which reads OWN_CURRENT_SLOT first) never sees a stale one.
  times[timeIndex(slot, TIME_START)] = clockMs();
  Atomics.store(own, OWN_CURRENT_SLOT, slot);
  const guardMs = Atomics.load(header, headerIndex(slot, HDR_GUARD_MS));
  let outcome = SLOT_DONE;
  try {
    const target = loaded(Atomics.load(header, headerIndex(slot, HDR_MODULE)));
    if (target.plan !== undefined) {
      // Instrumented: its own fuel checks stop it at the deadline, on this thread, for free.
      if (guardMs > 0) deadline.start(performance.now(), guardMs);
      execute(slot, target);
    } else if (guardMs > 0) {
      guardedSlot = slot;
      guardedTarget = target;
      guarded.runInThisContext({ timeout: guardMs, displayErrors: false });
    } else {
      execute(slot, target);
    }
  } catch (error) {
    if (isFuelStop(error) || (guardMs > 0 && isScriptTimeout(error))) {
      outcome = SLOT_TIMED_OUT;
      flushLogs(slot, 0);
    } else {
      outcome = SLOT_FAILED;
      writeError(slot, error);
    }
  }
  deadline.clear();
  guardedTarget = undefined;
  times[timeIndex(slot, TIME_END)] = clockMs();
  Atomics.store(own, OWN_CURRENT_SLOT, -1);
  // Fails only if the watchdog revoked the job meanwhile: then nobody waits for this result.
  Atomics.compareExchange(header, headerIndex(slot, HDR_STATE), runningState, outcome);
  // One message until the main thread has looked: a burst of results costs it one wake-up.
  if (Atomics.exchange(control, CTL_RESULTS_PENDING, 1) === 0) port?.postMessage(MSG_RESULTS);
}

function shuttingDown(): boolean {
  return Atomics.load(control, CTL_SHUTDOWN) !== 0;
}

function serve(): void {
  port?.postMessage(MSG_READY);
  // As the warm spare: loaded and compiled, waiting to replace a terminated worker.
  while (Atomics.load(own, OWN_ACTIVE) === 0) {
    if (shuttingDown()) return;
    if (Atomics.load(own, OWN_CONTROL_SEQ) !== controlSeen) drainControl();
    Atomics.wait(own, OWN_ACTIVE, 0);
  }
  for (;;) {
    // Read the sequence before looking at the ring: a job published after the
    // look bumps it, and the wait below then returns at once instead of sleeping.
    const seq = Atomics.load(control, CTL_WORK_SEQ);
    if (shuttingDown()) return;
    if (Atomics.load(own, OWN_CONTROL_SEQ) !== controlSeen) drainControl();
    const slot = claimJob(views, runningState);
    if (slot >= 0) {
      run(slot);
      continue;
    }
    Atomics.add(control, CTL_SLEEPERS, 1);
    Atomics.wait(control, CTL_WORK_SEQ, seq);
    Atomics.sub(control, CTL_SLEEPERS, 1);
  }
}

lowerThreadPriority(WORKER_NICENESS);
serve();
