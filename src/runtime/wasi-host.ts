/**
 * Runs one WAGI invocation (CGI over WASI preview 1) inside a worker, entirely
 * in memory, with @bjorn3/browser_wasi_shim: stdin is the request body,
 * stdout is collected (bounded) for the CGI response, stderr becomes log
 * lines. node:wasi was not an option: it wants real file descriptors for
 * stdio, so bodies would go through pipes or temp files, and it preopens host
 * directories; the shim is pure JavaScript over fds we implement.
 *
 * The sandbox: no preopened directory (fds 0–2 only, so every path_* call
 * fails, fd_readdir answers ENOTSUP and no file can be created), sockets
 * answer ENOTSUP, clocks are WASI's realtime and monotonic, random_get is
 * crypto.getRandomValues. proc_exit ends the instance with its code.
 *
 * Host memory: nothing a module calls makes the host hold more than its
 * limits allow. stdin cannot be resized (fd_allocate, fd_filestat_set_size:
 * EBADF) or written; stdout keeps at most maxOutput bytes and stderr one log
 * line's worth of an unfinished line (wasi-stdio.ts); a read or write takes at
 * most IOV_MAX iovecs (EINVAL); what the shim copies out of memory for one
 * call (an iovec's bytes, a path) is at most the memory itself. random_get
 * fills the module's memory in place, poll_oneoff takes one subscription
 * (more: ENOTSUP) and busy-waits inside the timeout, argv and the environment
 * come from the request, whose headers the HTTP server bounds.
 */
import { ConsoleStdout, WASI, WASIProcExit } from '@bjorn3/browser_wasi_shim';
import type { WagiMeta, WagiResponse } from './payload.js';
import type { LogLines } from './payload.js';
import { Collector, StderrLines, Stdin } from './wasi-stdio.js';
import { CleanInstances } from './clean-instances.js';
import { withFuel } from './fuel.js';
import type { ExecutionPlan } from './protocol.js';

const ERRNO_SUCCESS = 0;
const ERRNO_FAULT = 21;
const ERRNO_INVAL = 28;
const ERRNO_NOTSUP = 58;

/**
 * The most iovecs one read or write may pass: POSIX's IOV_MAX as wasi-libc
 * defines it. The shim turns every iovec into an object (and a copy, for
 * writes) before looking at any, so an iovec count bounded only by the memory
 * (512K in a 4 MiB memory) cost the host far more than the memory itself.
 */
const IOV_MAX = 1024;

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
  for (const name of ['fd_read', 'fd_write', 'fd_pread', 'fd_pwrite']) {
    const call = calls[name];
    if (call === undefined) throw new Error(`internal: the WASI shim has no ${name}`);
    calls[name] = (fd: number, iovs: number, iovsLen: number, ...rest: unknown[]) =>
      iovsLen >>> 0 > IOV_MAX ? ERRNO_INVAL : call(fd, iovs, iovsLen, ...rest);
  }
  const shimWrite = calls.fd_write!;
  calls.fd_write = (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
    const target = wasi.fds[fd];
    if (!(target instanceof ConsoleStdout)) return shimWrite(fd, iovs, iovsLen, nwritten);
    return writeStdio(target, wasi.inst.exports.memory.buffer, iovs, iovsLen >>> 0, nwritten);
  };
  shared = state;
  return state;
}

/**
 * fd_write to stdout or stderr: each iovec goes to the sink as a view of the
 * memory. The shim copies every iovec into a fresh ArrayBuffer first: 10M
 * one-byte writes were 10M buffers for the collector to hold or the GC to find.
 */
function writeStdio(target: ConsoleStdout, memory: ArrayBuffer, iovs: number, iovsLen: number, nwritten: number): number {
  // Pointers and counts arrive as i32: read them unsigned, and check them before any access (a DataView
  // access out of bounds would throw, a trap instead of the EFAULT a module can handle).
  [iovs, iovsLen, nwritten] = [iovs >>> 0, iovsLen >>> 0, nwritten >>> 0];
  if (iovsLen > IOV_MAX) return ERRNO_INVAL;
  if (iovs + 8 * iovsLen > memory.byteLength || nwritten + 4 > memory.byteLength) return ERRNO_FAULT;
  const view = new DataView(memory);
  let written = 0;
  for (let i = 0; i < iovsLen; i++) {
    const start = view.getUint32(iovs + 8 * i, true);
    const length = view.getUint32(iovs + 8 * i + 4, true);
    if (start + length > memory.byteLength) return ERRNO_FAULT;
    target.write(new Uint8Array(memory, start, length));
    written += length;
  }
  view.setUint32(nwritten, written, true);
  return ERRNO_SUCCESS;
}

/**
 * A WAGI module's clean instances on this thread: its imports are this
 * thread's shared WASI host (plus the fuel check when it was instrumented).
 */
export function wagiInstances(module: WebAssembly.Module, plan: ExecutionPlan | undefined, fuel: () => number): CleanInstances {
  const imports = plan === undefined ? host().imports : withFuel(host().imports, fuel);
  return new CleanInstances(module, () => ({ imports }), plan);
}

/**
 * Runs the module's entry on a clean instance with a fresh WASI context. Traps
 * propagate (the caller reports them); whatever was logged before is in `logs`.
 */
export function runWagi(instances: CleanInstances, entry: string, meta: WagiMeta, body: Uint8Array, logs: LogLines): WagiResponse {
  const stdout = new Collector(meta.maxOutput);
  const stderr = new StderrLines(logs);
  const state = host();
  const { wasi } = state;
  state.args = meta.args;
  wasi.args = meta.args;
  wasi.env = meta.env;
  wasi.fds = [new Stdin(body), new ConsoleStdout((data) => stdout.write(data)), new ConsoleStdout((data) => stderr.write(data))];
  let exitCode = 0;
  try {
    instances.run((instance) => {
      wasi.inst = instance as unknown as WASI['inst'];
      (instance.exports[entry] as () => void)();
    });
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
