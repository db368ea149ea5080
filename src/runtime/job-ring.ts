/**
 * The shared FIFO of queued slot numbers: one producer (the main thread), many
 * consumers (the workers). Head and tail are free-running int32 counters (they
 * may wrap; `| 0` keeps the arithmetic exact) and the ring's capacity is a power
 * of two at least twice the slot count, so a push can never overrun (a re-queued
 * slot may briefly have a second, stale entry).
 *
 * Workers pull rather than being pushed to: a job waits in the ring until some
 * worker is free, so a stuck invocation never holds up work that another worker
 * could run, and a terminated worker takes no queued work down with it.
 */
import {
  CTL_RING_HEAD,
  CTL_RING_TAIL,
  CTL_SLEEPERS,
  CTL_WORK_SEQ,
  HDR_STATE,
  SLOT_QUEUED,
  headerIndex,
  type SharedViews,
} from './protocol.js';

/**
 * Main thread: publish a slot whose header and arguments are already written.
 * Sleeping workers are not woken here; see `wakeWorkers`.
 */
export function pushJob(views: SharedViews, slot: number): void {
  const { control, ring, header } = views;
  Atomics.store(header, headerIndex(slot, HDR_STATE), SLOT_QUEUED);
  const tail = Atomics.load(control, CTL_RING_TAIL);
  Atomics.store(ring, tail & views.ringMask, slot);
  Atomics.store(control, CTL_RING_TAIL, (tail + 1) | 0);
  // A worker falling asleep compares this with the value it read before looking
  // at the ring, so a push it missed never leaves it sleeping: waking is only
  // needed for workers already asleep.
  Atomics.add(control, CTL_WORK_SEQ, 1);
}

/** Workers asleep on the ring (the main thread wakes them only when there are some). */
export function sleepingWorkers(views: SharedViews): number {
  return Atomics.load(views.control, CTL_SLEEPERS);
}

/** Main thread: wake as many sleeping workers as there are queued jobs (a futex wake is a syscall). */
export function wakeWorkers(views: SharedViews): void {
  const sleepers = Atomics.load(views.control, CTL_SLEEPERS);
  const queued = queuedJobs(views);
  if (sleepers > 0 && queued > 0) Atomics.notify(views.control, CTL_WORK_SEQ, Math.min(sleepers, queued));
}

/** Jobs published but not yet taken by a worker. */
export function queuedJobs(views: SharedViews): number {
  return (Atomics.load(views.control, CTL_RING_TAIL) - Atomics.load(views.control, CTL_RING_HEAD)) | 0;
}

/**
 * Worker: claim the oldest queued job by turning its slot RUNNING, or return -1
 * when the ring is empty. The claim is the slot's state CAS, not the head
 * advance: a worker terminated between the two has still claimed the job
 * (RUNNING under its id, so the main thread re-queues it when the worker
 * exits) and the next worker merely helps the head past it. A stale read can
 * at worst claim a queued job early; it can never run one twice.
 */
export function claimJob(views: SharedViews, runningState: number): number {
  const { control, ring, header } = views;
  for (;;) {
    const head = Atomics.load(control, CTL_RING_HEAD);
    if (head === Atomics.load(control, CTL_RING_TAIL)) return -1;
    const slot = Atomics.load(ring, head & views.ringMask);
    const claimed = Atomics.compareExchange(header, headerIndex(slot, HDR_STATE), SLOT_QUEUED, runningState) === SLOT_QUEUED;
    Atomics.compareExchange(control, CTL_RING_HEAD, head, (head + 1) | 0);
    if (claimed) return slot;
  }
}
