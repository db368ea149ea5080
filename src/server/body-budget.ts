/**
 * One budget of request-body bytes for the whole server. Each body is bounded
 * on its own (--max-body-size, --max-artifact-size), but a WAGI call keeps its
 * body until a worker takes it, and the executor queues 1024 calls: without a
 * total, a flood of full-size bodies made the main thread hold gigabytes.
 *
 * A request takes a lease, the lease grows as the body is read (read-body.ts),
 * and it is given back when the request no longer holds the body — after the
 * call settles, whatever the outcome — by `holding()`'s finally, so no failure
 * path (413, a client abort, a timeout, a trap) can leak bytes. Past the
 * budget the request is refused with 503 Overloaded before more of its body is
 * read: the load is shed, as when the executor's queue is full.
 */
import { OverloadedError } from '../runtime/index.js';

/**
 * What a full budget tells a client: bodies in flight leave as their calls finish (5 s at most under
 * the default function timeout), so the next second usually has room; the queue's Retry-After is 1 s too.
 */
const RETRY_AFTER_SECONDS = 1;

/** Refused for the budget, not for the queue: /healthz counts these apart (`overBudget`). */
export class OverBudgetError extends OverloadedError {}

/** The bytes one request holds against the budget. */
export interface BodyLease {
  /** Bytes this lease holds now. */
  readonly bytes: number;
  /** Reserves `bytes` more, or throws an OverBudgetError and reserves nothing. */
  take(bytes: number): void;
  /** Gives back everything the lease holds; calling it again does nothing. */
  release(): void;
}

export class BodyBudget {
  private held = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes of request bodies held now, all requests together. */
  get inFlight(): number {
    return this.held;
  }

  lease(): BodyLease {
    let bytes = 0;
    return {
      get bytes() {
        return bytes;
      },
      take: (more) => {
        this.reserve(more);
        bytes += more;
      },
      release: () => {
        this.held -= bytes;
        bytes = 0;
      },
    };
  }

  /** Runs `use` with a fresh lease, and releases the lease once `use` has settled, however it ends. */
  async holding<T>(use: (lease: BodyLease) => Promise<T>): Promise<T> {
    const lease = this.lease();
    try {
      return await use(lease);
    } finally {
      lease.release();
    }
  }

  private reserve(bytes: number): void {
    if (this.held + bytes > this.limitBytes) {
      throw new OverBudgetError(
        `the server holds ${this.held} bytes of request bodies; ${bytes} more would pass its ${this.limitBytes}-byte budget (--max-body-bytes-in-flight)`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.held += bytes;
  }
}
