/** WAGI modules (WAT) for the tests: each a WASI command that writes a CGI response to stdout. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/project.js';

const WASI = 'wasi_snapshot_preview1';

/** The template's echo: the body back, byte for byte, after `content-type` and `x-echo` headers. */
export const ECHO_WAT = readFileSync(join(REPO_ROOT, 'templates', 'wagi', 'functions', 'echo.wat'), 'utf8');

/** A module that writes the constant `text` to stdout (and optionally `errText` to stderr), then runs `then` (WAT). */
export function printWat(text: string, errText = '', then = ''): string {
  const bytes = Buffer.from(text);
  const errBytes = Buffer.from(errText);
  const escape = (b: Buffer) => [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
  return `(module
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "${escape(bytes)}")
  (data (i32.const 8192) "${escape(errBytes)}")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    ${errBytes.length > 0 ? `(call $write (i32.const 2) (i32.const 8192) (i32.const ${errBytes.length}))` : ''}
    (call $write (i32.const 1) (i32.const 1024) (i32.const ${bytes.length}))
    ${then}))`;
}

/**
 * Writes `content-type: text/plain`, a blank line, then every argv entry and
 * every environment variable, one per line (`arg:<value>`, then `NAME=value`).
 */
export const ENV_WAT = `(module
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 64) "content-type: text/plain\\n\\narg:")
  ;; 0..16: iovec and counters; 64..: text; 4096..: pointer array; 65536..: strings
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  ;; Turns the NULs of len bytes at ptr into newlines and writes them.
  (func $write_lines (param $ptr i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
          (then (i32.store8 (i32.add (local.get $ptr) (local.get $i)) (i32.const 10))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $write (local.get $ptr) (local.get $len)))
  (func (export "_start")
    (local $count i32) (local $size i32) (local $i i32) (local $p i32) (local $end i32)
    (call $write (i32.const 64) (i32.const 26))
    ;; argv: each entry as "arg:<value>\\n"
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 4096) (i32.const 65536)))
    (local.set $count (i32.load (i32.const 16)))
    (local.set $size (i32.load (i32.const 20)))
    (local.set $p (i32.const 65536))
    (local.set $end (i32.add (i32.const 65536) (local.get $size)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (call $write (i32.const 90) (i32.const 4))
        (local.set $i (local.get $p))
        (block $eos (loop $scan
          (br_if $eos (i32.eqz (i32.load8_u (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $scan)))
        (i32.store8 (local.get $i) (i32.const 10))
        (call $write (local.get $p) (i32.add (i32.sub (local.get $i) (local.get $p)) (i32.const 1)))
        (local.set $p (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    ;; the environment, one NAME=value per line
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $environ_get (i32.const 4096) (i32.const 131072)))
    (call $write_lines (i32.const 131072) (i32.load (i32.const 20)))))`;

/** Never returns. */
export const LOOP_WAT = '(module (memory (export "memory") 1) (func (export "_start") (loop $forever (br $forever))))';
