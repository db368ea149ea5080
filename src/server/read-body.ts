/**
 * Reads a request body with a byte limit that holds whatever the client
 * claims: a Content-Length above the limit is refused before reading, and the
 * bytes are counted while streaming, so a chunked or lying request cannot make
 * the server buffer more than the limit.
 *
 * A body that never arrives whole — the client closed the connection after
 * 3 of its 1000 bytes, or sent a chunked body Node's parser refused — is the
 * client's doing, not a bug: it becomes a `RequestAborted` NanoError here, at
 * the one place every body is read, so no route logs it as an internal error.
 *
 * With a lease (body-budget.ts), the bytes also count against the server's
 * budget of bodies in flight, taken before they are read; the caller releases it.
 */
import { NanoError } from '../errors.js';
import type { BodyLease } from './body-budget.js';

export interface BodyLimit {
  bytes: number;
  /** What the body is, for the message: "the artifact", "the request body". */
  what: string;
  hint: string;
  /** Where the body's bytes are counted against the server-wide budget; past it, 503 before more is read. */
  lease?: BodyLease;
}

/**
 * Node's IncomingMessage fails with ECONNRESET ("aborted") when the socket closes mid-body, which
 * is also how a parse error in the body ends (Node answers 400 and destroys the socket);
 * @hono/node-server aborts the Request's signal then, and reports an early close as
 * ERR_STREAM_PREMATURE_CLOSE. Anything else (a body read twice, say) stays a bug.
 */
const CLIENT_GONE = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'EPIPE']);

function isClientAbort(request: Request, error: unknown): boolean {
  if (request.signal.aborted) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && CLIENT_GONE.has(code);
}

export async function readBodyLimited(request: Request, limit: BodyLimit): Promise<Uint8Array> {
  try {
    return await readBody(request, limit);
  } catch (error) {
    if (error instanceof NanoError || !isClientAbort(request, error)) throw error;
    const declared = request.headers.get('content-length');
    throw new NanoError(
      'RequestAborted',
      `${limit.what} ended before it was complete: the client closed the connection or sent a malformed body`,
      {
        value: declared === null ? request.headers.get('transfer-encoding') : `content-length ${declared}`,
        hint: 'send the whole body, framed by a correct Content-Length or chunked encoding',
        cause: error,
      },
    );
  }
}

async function readBody(request: Request, limit: BodyLimit): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new NanoError('PayloadTooLarge', `${limit.what} is ${size} bytes, above the ${limit.bytes}-byte limit`, {
      value: size,
      hint: limit.hint,
    });
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit.bytes) throw tooLarge(String(declared));
  // GET and HEAD carry no body; @hono/node-server then never builds the full web Request.
  if (request.method === 'GET' || request.method === 'HEAD') return new Uint8Array(0);
  // With a Content-Length, Node's HTTP parser delivers exactly that many bytes: read them in one
  // go (several times faster than iterating the web stream). Without one, count while streaming.
  // A declared length is reserved whole, before any byte is read: a client that declares 8 MiB and
  // trickles holds its share until the request timeout, the same as a connection held open.
  if (Number.isInteger(declared) && declared >= 0) {
    if (declared > 0) limit.lease?.take(declared);
    return new Uint8Array(await request.arrayBuffer());
  }
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit.bytes) throw tooLarge(`more than ${limit.bytes}`);
    limit.lease?.take(chunk.length);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : new Uint8Array(Buffer.concat(chunks));
}

/** A body read as text, parsed as JSON: an empty one is `{}`, one that does not parse a RequestInvalid. */
export function parseJsonBody(bytes: Uint8Array): { text: string; value: unknown } {
  const text = Buffer.from(bytes).toString('utf8');
  if (text.trim() === '') return { text, value: {} };
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    throw new NanoError('RequestInvalid', 'the request body is not valid JSON', { value: text.slice(0, 100) });
  }
}
