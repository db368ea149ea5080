/**
 * What the platform offers a module: the only imports a nano function may have.
 * The builder checks against these tables and the runtime provides exactly
 * them, so a module that builds is a module that links.
 *
 * `args` functions import from `platform` only. `wagi` functions (CGI over
 * WASI preview 1) import from `wasi_snapshot_preview1` only, and export their
 * memory as `memory`, as every WASI module does.
 */
import type { Abi } from '../config/types.js';
import type { FuncType } from './wasm-reader.js';

export const PLATFORM_MODULE = 'platform';

/**
 * Most parameters or results an entry may have: each value of a call travels
 * in a fixed-size slot of the runtime's shared buffer (8 bytes a value). The
 * builder refuses wider entries, so the platform never accepts a module it
 * cannot call.
 */
export const MAX_ENTRY_VALUES = 32;
export const WASI_MODULE = 'wasi_snapshot_preview1';

export type PlatformImport = { kind: 'function'; type: FuncType; doc: string } | { kind: 'memory'; doc: string };

export const PLATFORM_IMPORTS: Readonly<Record<string, PlatformImport>> = {
  now: { kind: 'function', type: { params: [], results: ['f64'] }, doc: 'milliseconds since the epoch' },
  memory: { kind: 'memory', doc: "a linear memory sized to the function's limit" },
  log: {
    kind: 'function',
    type: { params: ['i32', 'i32'], results: [] },
    doc: "appends the UTF-8 text at (ptr, len) to the function's logs",
  },
};

const fn = (params: FuncType['params']): PlatformImport => ({
  kind: 'function',
  type: { params, results: ['i32'] },
  doc: 'WASI preview 1',
});
const I32 = 'i32' as const;
const I64 = 'i64' as const;

/**
 * WASI preview 1 (witx of wasi_snapshot_preview1), every function with its
 * core type. The runtime implements them in memory (src/runtime/wasi-host.ts):
 * no preopened directories, so every path call fails with EBADF/ENOTCAPABLE;
 * sockets answer ENOTSUP.
 */
export const WASI_IMPORTS: Readonly<Record<string, PlatformImport>> = {
  args_get: fn([I32, I32]),
  args_sizes_get: fn([I32, I32]),
  environ_get: fn([I32, I32]),
  environ_sizes_get: fn([I32, I32]),
  clock_res_get: fn([I32, I32]),
  clock_time_get: fn([I32, I64, I32]),
  fd_advise: fn([I32, I64, I64, I32]),
  fd_allocate: fn([I32, I64, I64]),
  fd_close: fn([I32]),
  fd_datasync: fn([I32]),
  fd_fdstat_get: fn([I32, I32]),
  fd_fdstat_set_flags: fn([I32, I32]),
  fd_fdstat_set_rights: fn([I32, I64, I64]),
  fd_filestat_get: fn([I32, I32]),
  fd_filestat_set_size: fn([I32, I64]),
  fd_filestat_set_times: fn([I32, I64, I64, I32]),
  fd_pread: fn([I32, I32, I32, I64, I32]),
  fd_prestat_get: fn([I32, I32]),
  fd_prestat_dir_name: fn([I32, I32, I32]),
  fd_pwrite: fn([I32, I32, I32, I64, I32]),
  fd_read: fn([I32, I32, I32, I32]),
  fd_readdir: fn([I32, I32, I32, I64, I32]),
  fd_renumber: fn([I32, I32]),
  fd_seek: fn([I32, I64, I32, I32]),
  fd_sync: fn([I32]),
  fd_tell: fn([I32, I32]),
  fd_write: fn([I32, I32, I32, I32]),
  path_create_directory: fn([I32, I32, I32]),
  path_filestat_get: fn([I32, I32, I32, I32, I32]),
  path_filestat_set_times: fn([I32, I32, I32, I32, I64, I64, I32]),
  path_link: fn([I32, I32, I32, I32, I32, I32, I32]),
  path_open: fn([I32, I32, I32, I32, I32, I64, I64, I32, I32]),
  path_readlink: fn([I32, I32, I32, I32, I32, I32]),
  path_remove_directory: fn([I32, I32, I32]),
  path_rename: fn([I32, I32, I32, I32, I32, I32]),
  path_symlink: fn([I32, I32, I32, I32, I32]),
  path_unlink_file: fn([I32, I32, I32]),
  poll_oneoff: fn([I32, I32, I32, I32]),
  proc_exit: { kind: 'function', type: { params: [I32], results: [] }, doc: 'WASI preview 1' },
  proc_raise: fn([I32]),
  sched_yield: fn([]),
  random_get: fn([I32, I32]),
  sock_accept: fn([I32, I32, I32]),
  sock_recv: fn([I32, I32, I32, I32, I32, I32]),
  sock_send: fn([I32, I32, I32, I32, I32]),
  sock_shutdown: fn([I32, I32]),
};

/** The import namespace and table an ABI allows. */
export function importsFor(abi: Abi): { module: string; table: Readonly<Record<string, PlatformImport>> } {
  return abi === 'wagi' ? { module: WASI_MODULE, table: WASI_IMPORTS } : { module: PLATFORM_MODULE, table: PLATFORM_IMPORTS };
}

export function describeAllowedImports(abi: Abi = 'args'): string {
  if (abi === 'wagi') return `the ${WASI_MODULE} functions (WASI preview 1)`;
  return Object.keys(PLATFORM_IMPORTS)
    .map((name) => `${PLATFORM_MODULE}.${name}`)
    .join(', ');
}
