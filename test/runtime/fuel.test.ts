/**
 * The host side of the fuel check (fuel.ts): each call starts from a small allowance whatever the thread's
 * previous call ran, the allowance follows what the module's code costs, a long call on a worker naps now
 * and then, and the deadline stops the call.
 */
import { describe, expect, it } from 'vitest';
import { Deadline, isFuelStop } from '../../src/runtime/fuel.js';

/** Busy-waits `ms`: a stretch of expensive code between two checks. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('Deadline', () => {
  it('starts every call from a small allowance, however large the last call grew it', () => {
    const deadline = new Deadline();
    deadline.start(performance.now(), 60_000);
    let allowance = 0;
    for (let i = 0; i < 50; i++) allowance = deadline.fuel(); // cheap stretches: the allowance grows
    expect(allowance).toBeGreaterThan(1000);
    deadline.clear();
    deadline.start(performance.now(), 60_000);
    expect(deadline.fuel()).toBeLessThanOrEqual(32);
  });

  it('shrinks the allowance in proportion when a stretch between checks ran long', () => {
    const deadline = new Deadline();
    deadline.start(performance.now(), 60_000);
    for (let i = 0; i < 50; i++) deadline.fuel();
    spin(5); // 100 times the interval the allowance aims at
    expect(deadline.fuel()).toBeLessThanOrEqual(100);
  });

  it('on a worker, gives the core away about once per period of a long call, never on the main thread', () => {
    let naps = 0;
    const worker = new Deadline({ yieldEveryMs: 1, nap: () => naps++ });
    worker.start(performance.now(), 60_000);
    worker.fuel();
    expect(naps).toBe(0); // a short call never sleeps
    spin(2);
    worker.fuel();
    expect(naps).toBe(1);
    worker.fuel();
    expect(naps).toBe(1); // not again until another period has run
    let mainThreadNaps = 0;
    const mainThread = new Deadline({ nap: () => mainThreadNaps++ }); // as inline-runner.ts makes it
    mainThread.start(performance.now(), 60_000);
    spin(2);
    mainThread.fuel();
    expect(mainThreadNaps).toBe(0);
  });

  it('throws its stop once the deadline passed, and nothing before', () => {
    const deadline = new Deadline();
    deadline.start(performance.now(), 20);
    expect(() => deadline.fuel()).not.toThrow();
    spin(25);
    let thrown: unknown;
    try {
      deadline.fuel();
    } catch (error) {
      thrown = error;
    }
    expect(isFuelStop(thrown)).toBe(true);
    deadline.clear();
    expect(() => deadline.fuel()).not.toThrow();
  });
});
