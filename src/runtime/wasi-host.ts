/**
 * Runs one WAGI invocation (CGI over WASI preview 1) inside a worker, entirely
 * in memory, with @bjorn3/browser_wasi_shim: stdin is the request body,
 * stdout is collected (bounded) for the CGI response, stderr becomes log
 * lines. node:wasi was not an option: it wants real file descriptors for
 * stdio, so bodies would go through pipes or temp files, and it preopens host
 * directories; the shim is pure JavaScript over fds we implement.
 *
 * The sandbox: no preopened directory (fds 0–2 only, so every path_* call
 * fails), sockets answer ENOTSUP, clocks are WASI's realtime and monotonic,
 * random_get is crypto.getRandomValues. proc_exit ends the instance with its code.
 */
import { ConsoleStdout, File, OpenFile, WASI, WASIProcExit } from '@bjorn3/browser_wasi_shim';
import type { WagiMeta, WagiResponse } from './payload.js';
import type { LogLines } from './payload.js';

const ERRNO_SUCCESS = 0;
const ERRNO_NOTSUP = 58;

/** stdout: keeps up to `max` bytes, then only notes the overflow (the write still "succeeds", as a pipe to a closed reader would not; a module can't do better). */
class Collector {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  overflow = false;
  constructor(private readonly max: number) {}

  write(data: Uint8Array): void {
    if (this.overflow) return;
    if (this.size + data.length > this.max) {
      this.overflow = true;
      return;
    }
    this.chunks.push(data);
    this.size += data.length;
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0] as Uint8Array;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/** stderr: decoded as UTF-8 and split into log lines; a last line without a newline is kept too. */
class StderrLines {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private pending = '';
  constructor(private readonly logs: LogLines) {}

  write(data: Uint8Array): void {
    this.pending += this.decoder.decode(data, { stream: true });
    const end = this.pending.lastIndexOf('\n');
    if (end < 0) return;
    this.logs.push(this.pending.slice(0, end));
    this.pending = this.pending.slice(end + 1);
  }

  flush(): void {
    this.pending += this.decoder.decode();
    if (this.pending !== '') this.logs.push(this.pending);
    this.pending = '';
  }
}

const utf8 = new TextEncoder();

/**
 * One WASI host per worker, reused: the shim's functions read `args`, `env`,
 * `fds` and `inst` from the object at every call, so each invocation sets
 * them afresh (nothing of one call is visible to the next) without building
 * ~45 closures per request. Each invocation still gets a fresh Wasm instance.
 */
let shared: { wasi: WASI; imports: WebAssembly.Imports; args: string[] } | undefined;

function host(): { wasi: WASI; imports: WebAssembly.Imports; args: string[] } {
  if (shared !== undefined) return shared;
  const wasi = new WASI([], [], [], { debug: false });
  const state = { wasi, imports: { wasi_snapshot_preview1: wasi.wasiImport }, args: [] as string[] };
  const calls = wasi.wasiImport;
  // The shim counts argv bytes as UTF-16 code units; query arguments may be any UTF-8.
  calls.args_sizes_get = (argc: number, bufSize: number): number => {
    const view = new DataView(wasi.inst.exports.memory.buffer);
    view.setUint32(argc, state.args.length, true);
    view.setUint32(
      bufSize,
      state.args.reduce((sum, arg) => sum + utf8.encode(arg).length + 1, 0),
      true,
    );
    return ERRNO_SUCCESS;
  };
  for (const name of ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown']) calls[name] = () => ERRNO_NOTSUP;
  shared = state;
  return state;
}

/**
 * Instantiates `module` with a fresh WASI context and runs its entry. Traps
 * propagate (the worker reports them); whatever was logged before is in `logs`.
 */
export function runWagi(module: WebAssembly.Module, entry: string, meta: WagiMeta, body: Uint8Array, logs: LogLines): WagiResponse {
  const stdout = new Collector(meta.maxOutput);
  const stderr = new StderrLines(logs);
  const state = host();
  const { wasi } = state;
  state.args = meta.args;
  wasi.args = meta.args;
  wasi.env = meta.env;
  wasi.fds = [
    new OpenFile(new File(body, { readonly: true })),
    new ConsoleStdout((data) => stdout.write(data)),
    new ConsoleStdout((data) => stderr.write(data)),
  ];
  let exitCode = 0;
  try {
    const instance = new WebAssembly.Instance(module, state.imports);
    wasi.inst = instance as unknown as WASI['inst'];
    (instance.exports[entry] as () => void)();
  } catch (error) {
    if (!(error instanceof WASIProcExit)) {
      stderr.flush();
      throw error;
    }
    exitCode = error.code;
  } finally {
    // Nothing of this call stays reachable from the shared host.
    wasi.fds = [];
    wasi.inst = undefined as unknown as WASI['inst'];
    wasi.args = [];
    wasi.env = [];
    state.args = [];
  }
  stderr.flush();
  if (exitCode !== 0) logs.push(`(exited with code ${exitCode})`);
  return { overflow: stdout.overflow, exitCode, output: stdout.bytes(), logs: logs.done() };
}
