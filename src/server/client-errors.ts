/**
 * Counts of what clients did wrong, for `/healthz`. A dropped upload, a
 * malformed request or a slow client is not a server error: it is answered
 * (400/408) or closed, never logged with a stack trace, and only counted here,
 * so that an operator can still see a flood of them without a log line each.
 */

export interface ClientErrorCounts {
  /** Requests Node's parser refused (malformed request line, headers or body framing), CONNECT: answered 400 (431 for oversized headers). */
  badRequests: number;
  /**
   * Connections whose headers, or whole request, did not arrive within the timeouts (answered 408 and
   * closed), and kept-alive ones idle past the keep-alive and headers timeouts together (closed).
   */
  timeouts: number;
  /**
   * Requests whose body ended early: the client closed the connection mid-body, or its chunked
   * body was malformed, or the request timeout struck mid-body (those two also count above).
   */
  abortedBodies: number;
  /** Connections closed at once because the server already held `maxConnections`. */
  refusedConnections: number;
  /**
   * Requests refused with 503 because the server already held its budget of request-body bytes
   * (--max-body-bytes-in-flight): load shed rather than a client's fault, but counted with these.
   */
  overBudget: number;
}

export type ClientErrorKind = keyof ClientErrorCounts;

export class ClientErrors {
  private readonly counts: ClientErrorCounts = { badRequests: 0, timeouts: 0, abortedBodies: 0, refusedConnections: 0, overBudget: 0 };

  count(kind: ClientErrorKind): void {
    this.counts[kind]++;
  }

  snapshot(): ClientErrorCounts {
    return { ...this.counts };
  }
}
