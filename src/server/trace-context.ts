/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for invocations: a `traceparent` a caller
 * sent is continued, one is started when there is none (or it does not parse, as the spec asks), and
 * the invocation becomes a span of its own in that trace. Its `traceparent` goes back in the response,
 * into the log entry (the trace id) and into a WAGI function's environment (HTTP_TRACEPARENT), so that
 * what the function calls next joins the same trace.
 */
import { randomFillSync } from 'node:crypto';

export interface TraceContext {
  /** 32 lowercase hex digits, the same for every span of the trace. */
  traceId: string;
  /** This invocation's span: 16 hex digits. */
  spanId: string;
  /** The caller's span, when the request carried a `traceparent`. */
  parentId: string | undefined;
  /** Trace flags as 2 hex digits (01: sampled). */
  flags: string;
}

/** `00-<trace-id>-<parent-id>-<flags>`; a later version may append fields after a dash (spec §3.2.4). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** A trace nano starts is sampled: nano records every invocation anyway. */
const SAMPLED = '01';

/** Random bytes drawn a page at a time: one draw per request would cost more than the rest of this file. */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/** An id of all zeros is invalid (spec §3.2.2.3–4); at 2^-64 odds, draw again rather than send one. */
function newId(bytes: number, zero: string): string {
  let id = randomHex(bytes);
  while (id === zero) id = randomHex(bytes);
  return id;
}

/** The parts of a valid `traceparent`, or undefined for anything else (which starts a new trace). */
export function parseTraceparent(header: string | undefined): { traceId: string; parentId: string; flags: string } | undefined {
  if (header === undefined || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is invalid; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

/** The invocation's span: in the caller's trace when `header` is a valid traceparent, else in a new one. */
export function traceOf(header: string | undefined): TraceContext {
  const parent = parseTraceparent(header);
  const spanId = newId(8, ZERO_SPAN);
  if (parent === undefined) return { traceId: newId(16, ZERO_TRACE), spanId, parentId: undefined, flags: SAMPLED };
  // Only the sampled bit is defined in version 00; the others are passed on as zero (spec §3.2.2.5).
  const flags = (parseInt(parent.flags, 16) & 1) === 1 ? '01' : '00';
  return { traceId: parent.traceId, spanId, parentId: parent.parentId, flags };
}

/** The `traceparent` naming this invocation's span: what the response and a WAGI function's env carry. */
export function traceparentOf(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}
