/** The body of a console request: a JSON object or an HTML form's fields, read within a small cap. */
import { NanoError } from '../../errors.js';
import { parseJsonBody, readBodyLimited } from '../../server/read-body.js';

/** The invoke form's body included: enough for a test request, far below what could hurt the server. */
export const MAX_CONSOLE_BODY_BYTES = 1024 * 1024;

export async function readJsonOrForm(request: Request): Promise<Record<string, unknown>> {
  const bytes = await readBodyLimited(request, {
    bytes: MAX_CONSOLE_BODY_BYTES,
    what: 'the console request',
    hint: 'the console sends a small JSON object; an invoke body above 1 MiB is for `nano invoke` or curl',
  });
  if ((request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(Buffer.from(bytes).toString('utf8')));
  }
  const { text, value: parsed } = parseJsonBody(bytes);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new NanoError('RequestInvalid', 'the request body must be a JSON object', { value: text.slice(0, 100) });
  }
  return parsed as Record<string, unknown>;
}
