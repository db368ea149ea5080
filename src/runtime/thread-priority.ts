/**
 * Worker threads run at the lowest priority. Short calls run on the main
 * thread (inline-runner.ts); what reaches a worker is mostly a long call, and
 * on a machine with as many busy threads as cores an endless loop running out
 * its timeout on a worker competed with the event loop and the clients as an
 * equal. `node bench/run.js timeout-isolation` (p99 of a 1 µs function beside
 * one such call in flight, over its p99 alone, 32 connections): 2.5× at equal
 * priority plus 5 (rounds 1.68 · 2.5 · 3.26), 2.64× at plus 10, 1.64× at plus
 * 19 (2.26 · 1.49 · 1.64), the stuck calls' 504 p99 staying at 107 ms for a
 * 100 ms limit. The cost: under a saturated event loop, a long call gets only
 * the cycles the loop leaves; an idle core is still all its own.
 * Linux only (`/proc/thread-self` names the thread); elsewhere nothing changes.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer than the process a worker thread is: the most Linux allows (nice 19 from 0). */
export const WORKER_NICENESS = 19;

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
