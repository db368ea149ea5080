/**
 * nano.yml's bytes to text, refusing what no parser should see: a file larger
 * than MAX_CONFIG_BYTES (read no further than that, so `-c /dev/zero` ends too)
 * and bytes that are not UTF-8 (decoded leniently they would become U+FFFD in a
 * value, silently), located at the first bad byte.
 */
import { open } from 'node:fs/promises';
import { NanoError, type Problem } from '../errors.js';
import { MAX_CONFIG_BYTES } from './limits.js';

export type ConfigText = { text: string; problems?: undefined } | { text?: undefined; problems: Problem[] };

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads `file` (shown to the user as `shown`); a missing or unreadable file is a ConfigNotFound error. */
export async function readConfigText(file: string, shown: string): Promise<ConfigText> {
  const read = await readAtMost(file, shown, MAX_CONFIG_BYTES);
  if (read.tooLarge !== undefined) {
    const message = `the file is ${read.tooLarge}; a nano.yml may be at most ${MAX_CONFIG_BYTES} bytes (${MAX_CONFIG_BYTES / 2 ** 20} MiB)`;
    return { problems: [{ file: shown, message }] };
  }
  try {
    return { text: STRICT_UTF8.decode(read.data) };
  } catch {
    return { problems: [{ file: shown, ...firstInvalidByte(read.data), message: 'the file is not UTF-8 text; save it as UTF-8' }] };
  }
}

/** The file's bytes, or how large it is when that is more than `limit`. */
async function readAtMost(
  file: string,
  shown: string,
  limit: number,
): Promise<{ data: Uint8Array; tooLarge?: undefined } | { data?: undefined; tooLarge: string }> {
  try {
    const handle = await open(file, 'r');
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
      // A regular file says its size: refuse it unread.
      if (info.isFile() && info.size > limit) return { tooLarge: `${info.size} bytes` };
      // Anything else (a pipe, a device, a file growing meanwhile) is read up to one byte past the limit.
      const buffer = Buffer.alloc(limit + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      return length > limit ? { tooLarge: `more than ${limit} bytes` } : { data: buffer.subarray(0, length) };
    } finally {
      await handle.close();
    }
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? String(cause));
    throw new NanoError('ConfigNotFound', `cannot read ${shown}: ${why}`, {
      value: file,
      hint: 'run nano in a project folder, pass -c path/to/nano.yml, or create a project with `nano init`',
      cause,
    });
  }
}

/**
 * Where the first byte that is not UTF-8 sits. The lenient decoding turns it into
 * U+FFFD; every code point before it is valid, so counting their UTF-8 lengths
 * finds its byte offset (a genuine U+FFFD is the bytes EF BF BD).
 */
function firstInvalidByte(data: Uint8Array): { line: number; column: number } {
  const lenient = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
  let offset = 0;
  let line = 1;
  let column = 1;
  for (const char of lenient) {
    const point = char.codePointAt(0)!;
    if (point === 0xfffd && !(data[offset] === 0xef && data[offset + 1] === 0xbf && data[offset + 2] === 0xbd)) break;
    offset += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    if (char === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { line, column };
}
