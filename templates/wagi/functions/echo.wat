;; A WAGI function (CGI over WASI preview 1): nano hands it the HTTP request
;; body on stdin and the request itself in environment variables
;; (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*...). What it writes to
;; stdout is the response: header lines, a blank line, then the body.
;; This one echoes the body back, byte for byte, with a header of its own.
;;
;;   curl -d 'hi' localhost:8000/exec/echo      # hi
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; WASI modules export their memory as "memory".
  (memory (export "memory") 2)

  ;; 0..8: an iovec (pointer, length); 8..12: bytes read or written;
  ;; 16..: the header block; 1024..: a 64 KiB buffer for the body.
  (data (i32.const 16) "content-type: application/octet-stream\nx-echo: nano\n\n")
  (global $header_len i32 (i32.const 53))
  (global $buffer i32 (i32.const 1024))
  (global $buffer_size i32 (i32.const 65536))

  ;; Writes len bytes at ptr to stdout, however many calls that takes.
  (func $write_all (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  (func (export "_start")
    (local $n i32)
    (call $write_all (i32.const 16) (global.get $header_len))
    ;; Stream stdin to stdout, one buffer at a time, until end of input.
    (block $eof
      (loop $more
        (i32.store (i32.const 0) (global.get $buffer))
        (i32.store (i32.const 4) (global.get $buffer_size))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write_all (global.get $buffer) (local.get $n))
        (br $more)))))
