/**
 * Functions that stay within their own limits but try to make the host allocate
 * on their behalf: through tables, through the WASI shim's buffers, through
 * many small writes. Shared by the per-defect tests and the resource test.
 */

const WASI = 'wasi_snapshot_preview1';
const MiB = 1024 * 1024;

/** Writes a CGI header and `len` bytes at `ptr` to stdout (iovecs at 64..80, nwritten at 80). */
const CGI_WRITER = `
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (func $answer (param $ptr i32) (param $len i32)
    (i32.store (i32.const 64) (i32.const 0))
    (i32.store (i32.const 68) (i32.const 40))
    (i32.store (i32.const 72) (local.get $ptr))
    (i32.store (i32.const 76) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 2) (i32.const 80))))`;
// 40 bytes: the header block at 0..40 that CGI_WRITER sends first.
const CGI_HEADER = '(data (i32.const 0) "content-type: application/octet-stream\\n\\n")';

/**
 * Tries to resize stdin, stdout and stderr by `size` bytes (fd_allocate, then
 * fd_filestat_set_size to the same size), then reads stdin's size and 16 bytes
 * at `size - 16`. Answers 48 bytes, little-endian: six errnos (allocate, set_size
 * for fd 0, 1, 2), the errnos of filestat_get and pread, pread's byte count, and
 * stdin's size as an i64 (at byte 40).
 */
export function resizeStdioWat(size: number): string {
  return `(module
  (import "${WASI}" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "${WASI}" "fd_filestat_set_size" (func $set_size (param i32 i64) (result i32)))
  (import "${WASI}" "fd_filestat_get" (func $filestat (param i32 i32) (result i32)))
  (import "${WASI}" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  ${CGI_WRITER}
  (memory (export "memory") 1)
  ${CGI_HEADER}
  (func $resize (param $fd i32) (param $at i32)
    (i32.store (local.get $at) (call $fd_allocate (local.get $fd) (i64.const 0) (i64.const ${size})))
    (i32.store offset=4 (local.get $at) (call $set_size (local.get $fd) (i64.const ${size}))))
  (func (export "_start")
    (call $resize (i32.const 0) (i32.const 256))
    (call $resize (i32.const 1) (i32.const 264))
    (call $resize (i32.const 2) (i32.const 272))
    (i32.store (i32.const 280) (call $filestat (i32.const 0) (i32.const 512)))
    ;; one iovec at 128: 16 bytes into 1024
    (i32.store (i32.const 128) (i32.const 1024))
    (i32.store (i32.const 132) (i32.const 16))
    (i32.store (i32.const 284)
      (call $fd_pread (i32.const 0) (i32.const 128) (i32.const 1) (i64.const ${size - 16}) (i32.const 288)))
    ;; the filestat struct is at 512; its size field at offset 32
    (i64.store (i32.const 296) (i64.load (i32.const 544)))
    (call $answer (i32.const 256) (i32.const 48))))
`;
}

/** The 48 bytes resizeStdioWat answers, decoded. */
export function decodeResize(bytes: Uint8Array): {
  allocate: number[];
  setSize: number[];
  filestat: number;
  pread: number;
  nread: number;
  stdinSize: bigint;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (i: number) => view.getUint32(i, true);
  return {
    allocate: [at(0), at(8), at(16)],
    setSize: [at(4), at(12), at(20)],
    filestat: at(24),
    pread: at(28),
    nread: at(32),
    stdinSize: view.getBigUint64(40, true),
  };
}

/** fd_write with `count` iovecs (all empty): answers the errno as 4 bytes. */
export function manyIovecsWat(count: number, pages: number): string {
  return `(module
  ${CGI_WRITER}
  (memory (export "memory") ${pages})
  ${CGI_HEADER}
  (func (export "_start")
    (i32.store (i32.const 256) (call $fd_write (i32.const 1) (i32.const 4096) (i32.const ${count}) (i32.const 260)))
    (call $answer (i32.const 256) (i32.const 4))))
`;
}

/** An args function returning what `table.grow` by `delta` returns on a table of one element. */
export const tableGrowWat = (delta: number): string => `(module
  (table 1 funcref)
  (func (export "_start") (result i32)
    (table.grow (ref.null func) (i32.const ${delta}))))
`;

/** Grows its table by nearly V8's 10M-element maximum (~277 MiB of host memory each, unbounded), then by the platform's limit. */
export const TABLE_HOG_WAT = `(module
  (memory 1)
  (table 1 funcref)
  (func (export "_start") (result i32)
    (i32.add
      (table.grow (ref.null func) (i32.const 9999990))
      (table.grow (ref.null func) (i32.const 65535)))))
`;

/** memory.grow until it fails, then the size in pages. */
export const MEMORY_HOG_WAT = `(module
  (memory 1)
  (func (export "_start") (result i32)
    (block $full
      (loop $more
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (memory.size)))
`;

/** A data segment filling a memory of `pages` exactly (copied into every instance). */
export const dataSegmentWat = (pages: number): string => `(module
  (memory ${pages})
  (data (i32.const 0) "${'x'.repeat(pages * 64 * 1024)}")
  (func (export "_start") (result i32) (i32.load8_u (i32.const 0))))
`;

/** A CGI header, then 2 MiB of stdout in 1-byte writes (1024 iovecs a call): 2M chunks for the host to keep. */
export const STDOUT_DRIBBLE_WAT = `(module
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ${CGI_HEADER}
  (func (export "_start")
    (local $i i32)
    (i32.store (i32.const 64) (i32.const 0))
    (i32.store (i32.const 68) (i32.const 40))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80)))
    (loop $fill
      (i32.store (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 3))) (i32.const 16))
      (i32.store (i32.add (i32.const 1028) (i32.shl (local.get $i) (i32.const 3))) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1024))))
    (local.set $i (i32.const 0))
    (loop $write
      (drop (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1024) (i32.const 80)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $write (i32.lt_u (local.get $i) (i32.const ${(2 * MiB) / 1024}))))))
`;

/** stderr: the whole 64 KiB memory (no newline in it) written 4096 times, 256 MiB of one endless log line. */
export const STDERR_FLOOD_WAT = `(module
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32)
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $write
      (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $write (i32.lt_u (local.get $i) (i32.const 4096))))))
`;

/** A WAGI function that ignores its body and answers "ok": request bodies are all the host holds for it. */
export const SINK_WAT = `(module
  ${CGI_WRITER}
  (memory (export "memory") 1)
  ${CGI_HEADER}
  (data (i32.const 256) "ok")
  (func (export "_start") (call $answer (i32.const 256) (i32.const 2))))
`;
