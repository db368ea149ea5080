/**
 * The three file descriptors a WAGI invocation has, as objects for
 * @bjorn3/browser_wasi_shim, each holding at most a bounded amount of host
 * memory whatever the module does: stdin is the request body (bounded by the
 * body size limit) and cannot be resized or written, stdout keeps at most
 * `maxOutput` bytes in one buffer, stderr at most one log line's worth of an
 * unfinished line. The shim's own OpenFile lets a read-only file be resized:
 * fd_allocate(0, 0, 512 MiB) allocated 512 MiB per call on the host.
 */
import { File, OpenFile } from '@bjorn3/browser_wasi_shim';
import { LOG_MAX_BYTES, type LogLines } from './payload.js';

/** WASI preview 1 errno: not open for writing, as POSIX's posix_fallocate and ftruncate answer. */
const ERRNO_BADF = 8;

/** stdin: the request body, readable and seekable, never resized (the only writes the shim guards are fd_write and fd_pwrite). */
export class Stdin extends OpenFile {
  constructor(body: Uint8Array) {
    // The body is already this invocation's own copy (decodeRequest): File's constructor would copy it again.
    const file = new File(new Uint8Array(0), { readonly: true });
    file.data = body;
    super(file);
  }

  override fd_allocate(): number {
    return ERRNO_BADF;
  }

  override fd_filestat_set_size(): number {
    return ERRNO_BADF;
  }
}

/**
 * What stdout and stderr write to. `write` receives a view of the module's
 * memory (wasi-host.ts's fd_write copies nothing): it copies what it keeps.
 */
export interface StdioSink {
  write(data: Uint8Array): void;
}

/**
 * stdout: keeps up to `max` bytes in one buffer that grows by doubling, then
 * only notes the overflow (the write still "succeeds", as a pipe to a closed
 * reader would not; a module can't do better). One buffer, not a list of the
 * chunks written: a million 1-byte writes would otherwise be a million objects,
 * over 100 bytes of host memory for each byte kept.
 */
export class Collector implements StdioSink {
  private buffer = new Uint8Array(0);
  size = 0;
  overflow = false;
  constructor(private readonly max: number) {}

  write(data: Uint8Array): void {
    if (this.overflow) return;
    const size = this.size + data.length;
    if (size > this.max) {
      this.overflow = true;
      return;
    }
    if (size > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.max, Math.max(size, 2 * this.buffer.length, 4096)));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(data, this.size);
    this.size = size;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.size);
  }
}

/**
 * stderr: decoded as UTF-8 and split into log lines; a last line without a
 * newline is kept too. An unfinished line longer than a whole invocation's log
 * budget cannot be kept anyway, so only that much of it is held, the rest is
 * not even decoded, and it is counted as one dropped line: a module writing
 * without newlines once grew this string by every byte it wrote.
 */
export class StderrLines implements StdioSink {
  private decoder = new TextDecoder('utf-8', { fatal: false });
  private pending = '';
  constructor(private readonly logs: LogLines) {}

  write(data: Uint8Array): void {
    if (this.pending.length > LOG_MAX_BYTES) {
      // Inside a line too long to keep: skip to its end without decoding the rest of it.
      const end = data.indexOf(0x0a);
      if (end < 0) return;
      this.logs.push(this.pending);
      this.pending = '';
      this.decoder = new TextDecoder('utf-8', { fatal: false });
      data = data.subarray(end + 1);
    }
    this.pending += this.decoder.decode(data, { stream: true });
    const end = this.pending.lastIndexOf('\n');
    if (end >= 0) {
      this.logs.push(this.pending.slice(0, end));
      this.pending = this.pending.slice(end + 1);
    }
    if (this.pending.length > LOG_MAX_BYTES) this.pending = this.pending.slice(0, LOG_MAX_BYTES + 1);
  }

  flush(): void {
    this.pending += this.decoder.decode();
    if (this.pending !== '') this.logs.push(this.pending);
    this.pending = '';
  }
}
