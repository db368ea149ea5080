/** The budget of request-body bytes in flight, alone: leases take, refuse and give back. */
import { describe, expect, it } from 'vitest';
import type { NanoError } from '../../src/errors.js';
import { BodyBudget, OverBudgetError } from '../../src/server/index.js';

describe('BodyBudget', () => {
  it('lets leases take up to the budget, refuses the byte beyond it, and reserves nothing for a refusal', () => {
    const budget = new BodyBudget(100);
    const a = budget.lease();
    const b = budget.lease();
    a.take(60);
    b.take(40);
    expect(budget.inFlight).toBe(100);
    let refused: unknown;
    try {
      a.take(1);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(OverBudgetError);
    expect(refused).toMatchObject({ code: 'Overloaded', value: 1, retryAfterSeconds: 1 });
    expect((refused as NanoError).message).toContain('100-byte budget (--max-body-bytes-in-flight)');
    expect(a.bytes).toBe(60);
    expect(budget.inFlight).toBe(100);
  });

  it('gives a lease back whole, once: a second release frees nothing of the others', () => {
    const budget = new BodyBudget(100);
    const a = budget.lease();
    const b = budget.lease();
    a.take(30);
    a.take(30);
    b.take(40);
    a.release();
    a.release();
    expect(a.bytes).toBe(0);
    expect(budget.inFlight).toBe(40);
    b.take(60);
    expect(budget.inFlight).toBe(100);
  });

  it('releases the lease of holding() however the work ends: a value, a throw, a refusal', async () => {
    const budget = new BodyBudget(100);
    await expect(budget.holding(async (lease) => (lease.take(50), 'done'))).resolves.toBe('done');
    await expect(
      budget.holding(async (lease) => {
        lease.take(50);
        throw new Error('the call failed');
      }),
    ).rejects.toThrow('the call failed');
    await expect(
      budget.holding(async (lease) => {
        lease.take(80);
        lease.take(80);
      }),
    ).rejects.toBeInstanceOf(OverBudgetError);
    expect(budget.inFlight).toBe(0);
  });
});
