/**
 * Reads a request body with a byte limit that holds whatever the client
 * claims: a Content-Length above the limit is refused before reading, and the
 * bytes are counted while streaming, so a chunked or lying request cannot make
 * the server buffer more than the limit.
 */
import { NanoError } from '../errors.js';

export interface BodyLimit {
  bytes: number;
  /** What the body is, for the message: "the artifact", "the request body". */
  what: string;
  hint: string;
}

export async function readBodyLimited(request: Request, limit: BodyLimit): Promise<Uint8Array> {
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
  if (Number.isInteger(declared) && declared >= 0) return new Uint8Array(await request.arrayBuffer());
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit.bytes) throw tooLarge(`more than ${limit.bytes}`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : new Uint8Array(Buffer.concat(chunks));
}
