/**
 * The byte layout of a payload buffer: what a WAGI job (or an args job whose
 * module logs) carries beside the numbers in its slot. Both sides import this
 * file; it has no Node-only side effects.
 *
 * Why a shared buffer and not messages: a numeric job never posts a message
 * (protocol.ts), and the job's worker is not known when it is queued (workers
 * pull from the ring), so a per-request postMessage would have to go to every
 * worker or make the claiming worker ask the main thread and wait for it. A
 * payload buffer is instead handed to every worker once, as compiled modules
 * are (a SharedArrayBuffer is shared by postMessage, not copied), and reused by
 * later jobs: a warm WAGI call costs two memcpys of its bytes and no message.
 * The main thread writes the request into the buffer before queueing the job;
 * the worker that claims it copies the request out, runs the instance, and
 * writes the response over the same bytes before it marks the slot done. A
 * buffer belongs to one slot at a time, so the slot's state transitions (the
 * same CAS that guards the numbers) guard the bytes too; a revoked slot keeps
 * its buffer in quarantine until its worker's thread has ended.
 *
 * Request:  [u32 metaLen][meta: JSON {args, env, maxOutput}][u32 bodyLen][body]
 * Response: [u32 magic|flags][i32 exitCode][u32 outLen][stdout][u32 logLen][log lines joined by \n]
 */

/** The request of a WAGI job, as the worker's WASI host needs it. */
export interface WagiMeta {
  /** argv: the script path, then the query arguments. */
  args: string[];
  /** `NAME=value` strings: the function's `env:`, then the CGI variables. */
  env: string[];
  /** Most stdout bytes kept; more makes the response fail (RESPONSE_OVERFLOW). */
  maxOutput: number;
}

export interface WagiResponse {
  overflow: boolean;
  exitCode: number;
  output: Uint8Array;
  logs: string[];
}

/** Stdout exceeded `maxOutput`: the response is dropped. */
export const RESPONSE_OVERFLOW = 1;
/**
 * Marks the first word as a response: a job that failed before writing one
 * leaves its request there (whose first word, a JSON length, is far smaller).
 */
const RESPONSE_MAGIC = 0x4e414e00;

/** Most log lines and UTF-8 bytes one invocation keeps (the rest is counted in a last line). */
export const LOG_MAX_LINES = 100;
export const LOG_MAX_BYTES = 16 * 1024;
/** Room a response needs beyond stdout: its three length words and the log lines. */
export const RESPONSE_OVERHEAD = 16 + LOG_MAX_BYTES + 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Main thread: the request bytes, ready to copy into a payload buffer. */
export function encodeRequest(meta: WagiMeta, body: Uint8Array): Uint8Array {
  const metaBytes = encoder.encode(JSON.stringify(meta));
  const out = new Uint8Array(8 + metaBytes.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, metaBytes.length, true);
  out.set(metaBytes, 4);
  view.setUint32(4 + metaBytes.length, body.length, true);
  out.set(body, 8 + metaBytes.length);
  return out;
}

/** Worker: copies the request out of the shared buffer (the response overwrites it). */
export function decodeRequest(buffer: SharedArrayBuffer): { meta: WagiMeta; body: Uint8Array } {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const metaLen = view.getUint32(0, true);
  // Copies: TextDecoder does not read shared memory, and the body must outlive the buffer's reuse.
  const meta = JSON.parse(decoder.decode(bytes.slice(4, 4 + metaLen))) as WagiMeta;
  const bodyLen = view.getUint32(4 + metaLen, true);
  const body = bytes.slice(8 + metaLen, 8 + metaLen + bodyLen);
  return { meta, body };
}

/** Worker: writes the outcome; `output` must fit (the caller caps it at `maxOutput`). */
export function writeResponse(buffer: SharedArrayBuffer, response: WagiResponse): void {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const output = response.overflow ? new Uint8Array(0) : response.output;
  view.setUint32(0, RESPONSE_MAGIC | (response.overflow ? RESPONSE_OVERFLOW : 0), true);
  view.setInt32(4, response.exitCode, true);
  view.setUint32(8, output.length, true);
  bytes.set(output, 12);
  const logsAt = 12 + output.length;
  const room = Math.max(0, buffer.byteLength - logsAt - 4);
  const { written } = encoder.encodeInto(response.logs.join('\n'), bytes.subarray(logsAt + 4, logsAt + 4 + room));
  view.setUint32(logsAt, written, true);
}

/** Main thread: reads the outcome (copies: the buffer goes back to the pool); undefined when none was written. */
export function readResponse(buffer: SharedArrayBuffer): WagiResponse | undefined {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const flags = view.getUint32(0, true);
  if ((flags & ~0xff) >>> 0 !== RESPONSE_MAGIC) return undefined;
  const exitCode = view.getInt32(4, true);
  const outLen = view.getUint32(8, true);
  if (12 + outLen + 4 > buffer.byteLength) return undefined;
  const output = bytes.slice(12, 12 + outLen);
  const logsAt = 12 + outLen;
  const logLen = Math.min(view.getUint32(logsAt, true), buffer.byteLength - logsAt - 4);
  const text = logLen === 0 ? '' : decoder.decode(bytes.slice(logsAt + 4, logsAt + 4 + logLen));
  return { overflow: (flags & RESPONSE_OVERFLOW) !== 0, exitCode, output, logs: text === '' ? [] : text.split('\n') };
}

/**
 * The log lines of one invocation, bounded: at most LOG_MAX_LINES lines and
 * LOG_MAX_BYTES bytes; past that, lines are counted and one last line says how
 * many were dropped.
 */
export class LogLines {
  readonly lines: string[] = [];
  private bytes = 0;
  private dropped = 0;

  push(text: string): void {
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const size = Buffer.byteLength(line) + 1;
      if (this.lines.length >= LOG_MAX_LINES || this.bytes + size > LOG_MAX_BYTES) {
        this.dropped++;
        continue;
      }
      this.lines.push(line);
      this.bytes += size;
    }
  }

  /** The lines, with a note about dropped ones. */
  done(): string[] {
    if (this.dropped === 0) return this.lines;
    return [
      ...this.lines,
      `… ${this.dropped} more line${this.dropped === 1 ? '' : 's'} dropped (log limit: ${LOG_MAX_LINES} lines, ${LOG_MAX_BYTES} bytes per invocation)`,
    ];
  }
}
