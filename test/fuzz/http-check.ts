/**
 * What every answer of a real `nano dev` or `nano server` must be, whatever the
 * request: a status below 500 except the documented ones (500
 * FunctionTrapped/BadResponse, 503 Overloaded, 504 FunctionTimeout), an error
 * body `{"error":{"code":…}}`, an answer at all for a whole request, and after
 * it a process still running, a clean stderr and a good request still answered.
 */
import type { CliProcess } from '../helpers/cli-process.js';
import { STACK_LINE, violation, type Verdict } from './harness.js';
import type { RenderedRequest } from './http-gen.js';
import type { Exchange } from './raw-http.js';

/** 5xx statuses the README documents, with the codes they carry. */
const DOCUMENTED_5XX: Record<number, readonly string[]> = {
  500: ['FunctionTrapped', 'BadResponse'],
  503: ['Overloaded'],
  504: ['FunctionTimeout'],
};

/** Refusals Node's HTTP parser writes itself, before nano sees a request: a bare status line, no body. */
const PROTOCOL_REFUSALS = [400, 408, 413, 417, 431, 505];

function errorCodeOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** Judges one exchange; throws a Violation for a broken property. */
export function judge(result: Exchange, request: RenderedRequest, label: string): Verdict {
  const { response } = result;
  if (!response) {
    // A server may refuse a request before its body is all sent, and reset the connection: no answer is owed then.
    const cutShort = result.error !== undefined && !result.written;
    if (request.complete && !cutShort) {
      violation(
        'unanswered',
        `${label}: no answer (${result.timedOut ? 'timed out' : result.error ? `socket ${result.error}` : 'connection closed'})`,
      );
    }
    return 'refused';
  }
  const { status, body } = response;
  if (!Number.isInteger(status)) violation('other', `${label}: not an HTTP response: ${response.head.slice(0, 200)}`);
  if (status < 400) return 'accepted';
  const protocolLevel = body.length === 0 && PROTOCOL_REFUSALS.includes(status) && response.headers['content-type'] === undefined;
  if (protocolLevel || request.head) return 'refused';
  const code = errorCodeOf(body);
  if (status >= 500) {
    if (!DOCUMENTED_5XX[status]?.includes(code ?? '')) violation('crash', `${label}: ${status} ${body.toString('utf8').slice(0, 300)}`);
  }
  if (code === undefined)
    violation(
      'other',
      `${label}: ${status} with a body that is not {"error":{"code":…}}: ${JSON.stringify(body.toString('utf8').slice(0, 200))}`,
    );
  if (STACK_LINE.test(body.toString('utf8'))) violation('stackTrace', `${label}: ${body.toString('utf8').slice(0, 500)}`);
  return 'refused';
}

/**
 * The process is alive and printed nothing alarming on stderr since the cursor
 * (which moves on either way, so one bad line fails one input, not every later one).
 */
export function checkProcess(process: CliProcess, cursor: { offset: number }, label: string): void {
  if (process.child.exitCode !== null || process.child.signalCode !== null) {
    violation(
      'crash',
      `${label}: the process exited (${process.child.exitCode ?? process.child.signalCode})\n${process.stderr().slice(-2000)}`,
    );
  }
  const stderr = process.stderr();
  const fresh = stderr.slice(cursor.offset);
  cursor.offset = stderr.length;
  if (STACK_LINE.test(fresh)) violation('stackTrace', `${label}: stderr holds a stack trace:\n${fresh.slice(0, 2000)}`);
  if (/internal error/i.test(fresh)) violation('crash', `${label}: stderr reports an internal error:\n${fresh.slice(0, 2000)}`);
}

/** A good request still answers. */
export async function goodRequestAnswers(url: string, label: string): Promise<void> {
  let text: string;
  let status: number;
  try {
    const response = await fetch(`${url}/exec/answer`);
    status = response.status;
    text = await response.text();
  } catch (error) {
    return violation('crash', `${label}: a good request failed afterwards: ${String(error)}`);
  }
  if (status !== 200 || text !== '42') violation('crash', `${label}: a good request answered ${status} ${text.slice(0, 200)}`);
}
