/**
 * Worker threads run below the main thread's priority. Short calls run on the
 * main thread (inline-runner.ts); what reaches a worker is mostly a long call,
 * and on a machine with as many busy threads as cores an endless loop running
 * out its timeout on a worker competed with the event loop as an equal: with
 * one such call in flight, the p99 of a 1 µs function served beside it rose
 * 3.7× on 2 cores. At a lower priority (a higher nice value) the scheduler
 * lets the event loop run first, and the worker still gets every idle cycle.
 * Linux only (`/proc/thread-self` names the thread); elsewhere nothing changes.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer than the process a worker thread is: enough to yield, not so much that it starves. */
export const WORKER_NICENESS = 5;

/** Lowers the calling thread's priority by `niceness`; false where the platform does not allow it. */
export function lowerThreadPriority(niceness: number): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, Math.min(19, getPriority(tid) + niceness));
    return true;
  } catch {
    return false;
  }
}
