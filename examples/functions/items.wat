;; An example WAGI function: a tiny JSON API over CGI (WASI preview 1).
;; nano passes the request in environment variables (REQUEST_METHOD, PATH_INFO
;; below the route /api/items/*, ...) and the body on stdin; stdout is the
;; response: header lines, a blank line, the body. stderr lines go to the logs.
;;
;;   GET  /api/items        → 200 {"items":[...]}
;;   GET  /api/items/<id>   → 200 {"id":"<id>"}    (id: a-z, 0-9, -; else 404)
;;   POST /api/items        → 201 {"received":<body bytes>} with a location header
;;   anything else          → 405 {"error":"method not allowed"}
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 4)

  ;; Layout: 0..32 scratch (an iovec, counts); 256..2048 the strings below;
  ;; 2048..2064 digits; 4096..8192 the environment's pointers; 16384..65536
  ;; the body, read in chunks; 65536.. the environment's strings.
  (data (i32.const 256) "REQUEST_METHOD=")
  (data (i32.const 271) "PATH_INFO=")
  (data (i32.const 281) "GET")
  (data (i32.const 284) "POST")
  (data (i32.const 288) "content-type: application/json\0a")
  (data (i32.const 319) "status: 201 Created\0alocation: /api/items/new\0a")
  (data (i32.const 364) "status: 404 Not Found\0a")
  (data (i32.const 386) "status: 405 Method Not Allowed\0aallow: GET, POST\0a")
  (data (i32.const 434) "\0a")
  (data (i32.const 435) " ")
  (data (i32.const 436) "{\22items\22:[\22apple\22,\22banana\22,\22cherry\22]}\0a")
  (data (i32.const 474) "{\22id\22:\22")
  (data (i32.const 481) "\22}\0a")
  (data (i32.const 484) "{\22received\22:")
  (data (i32.const 496) "}\0a")
  (data (i32.const 498) "{\22error\22:\22no such item\22}\0a")
  (data (i32.const 523) "{\22error\22:\22method not allowed\22}\0a")
  (global $k_method i32 (i32.const 256)) (global $k_method_len i32 (i32.const 15))
  (global $k_path i32 (i32.const 271)) (global $k_path_len i32 (i32.const 10))
  (global $m_get i32 (i32.const 281)) (global $m_get_len i32 (i32.const 3))
  (global $m_post i32 (i32.const 284)) (global $m_post_len i32 (i32.const 4))
  (global $h_json i32 (i32.const 288)) (global $h_json_len i32 (i32.const 31))
  (global $h_created i32 (i32.const 319)) (global $h_created_len i32 (i32.const 45))
  (global $h_404 i32 (i32.const 364)) (global $h_404_len i32 (i32.const 22))
  (global $h_405 i32 (i32.const 386)) (global $h_405_len i32 (i32.const 48))
  (global $nl i32 (i32.const 434)) (global $nl_len i32 (i32.const 1))
  (global $sp i32 (i32.const 435)) (global $sp_len i32 (i32.const 1))
  (global $b_list i32 (i32.const 436)) (global $b_list_len i32 (i32.const 38))
  (global $b_id1 i32 (i32.const 474)) (global $b_id1_len i32 (i32.const 7))
  (global $b_id2 i32 (i32.const 481)) (global $b_id2_len i32 (i32.const 3))
  (global $b_recv1 i32 (i32.const 484)) (global $b_recv1_len i32 (i32.const 12))
  (global $b_recv2 i32 (i32.const 496)) (global $b_recv2_len i32 (i32.const 2))
  (global $b_404 i32 (i32.const 498)) (global $b_404_len i32 (i32.const 25))
  (global $b_405 i32 (i32.const 523)) (global $b_405_len i32 (i32.const 31))
  (global $env_ptrs i32 (i32.const 4096))
  (global $env_strings i32 (i32.const 65536))
  (global $env_room i32 (i32.const 196608))
  (global $chunk i32 (i32.const 16384))

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))
  (func $out (param $ptr i32) (param $len i32) (call $write (i32.const 1) (local.get $ptr) (local.get $len)))
  (func $err (param $ptr i32) (param $len i32) (call $write (i32.const 2) (local.get $ptr) (local.get $len)))

  ;; Length of the NUL-terminated string at $ptr.
  (func $strlen (param $ptr i32) (result i32)
    (local $end i32)
    (local.set $end (local.get $ptr))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (local.get $end))))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (br $next)))
    (i32.sub (local.get $end) (local.get $ptr)))

  ;; 1 when the $len bytes at $a and $b are equal.
  (func $equal (param $a i32) (param $b i32) (param $len i32) (result i32)
    (block $differ
      (loop $next
        (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; The value of the variable whose "NAME=" is at $key: its address, or 0 when unset.
  (func $getenv (param $key i32) (param $key_len i32) (result i32)
    (local $i i32) (local $entry i32)
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $i) (i32.load (i32.const 16))))
        (local.set $entry (i32.load (i32.add (global.get $env_ptrs) (i32.shl (local.get $i) (i32.const 2)))))
        (if (call $equal (local.get $entry) (local.get $key) (local.get $key_len))
          (then (return (i32.add (local.get $entry) (local.get $key_len)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; 1 when the $len bytes at $ptr are all of a-z, 0-9 and -, and there is at least one.
  (func $is_id (param $ptr i32) (param $len i32) (result i32)
    (local $c i32)
    (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
    (block $bad
      (loop $next
        (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
        (local.set $c (i32.load8_u (local.get $ptr)))
        (br_if $bad (i32.eqz (i32.or (i32.or
          (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57))))
          (i32.eq (local.get $c) (i32.const 45)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; Writes $n in decimal to stdout.
  (func $out_number (param $n i32)
    (local $at i32)
    (local.set $at (i32.const 2064))
    (loop $digit
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (call $out (local.get $at) (i32.sub (i32.const 2064) (local.get $at))))

  ;; Reads stdin to its end; returns how many bytes there were.
  (func $body_size (result i32)
    (local $total i32) (local $n i32)
    (block $eof
      (loop $more
        (i32.store (i32.const 0) (global.get $chunk))
        (i32.store (i32.const 4) (i32.const 49152))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $more)))
    (local.get $total))

  (func (export "_start")
    (local $method i32) (local $method_len i32) (local $path i32) (local $path_len i32)
    ;; The environment, if it fits (16: how many variables, 20: their bytes).
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (if (i32.or (i32.gt_u (i32.load (i32.const 16)) (i32.const 1024)) (i32.gt_u (i32.load (i32.const 20)) (global.get $env_room)))
      (then (i32.store (i32.const 16) (i32.const 0)))
      (else (drop (call $environ_get (global.get $env_ptrs) (global.get $env_strings)))))
    (local.set $method (call $getenv (global.get $k_method) (global.get $k_method_len)))
    (if (local.get $method) (then (local.set $method_len (call $strlen (local.get $method)))))
    (local.set $path (call $getenv (global.get $k_path) (global.get $k_path_len)))
    (if (local.get $path) (then (local.set $path_len (call $strlen (local.get $path)))))
    ;; A log line per request: "GET /42".
    (call $err (local.get $method) (local.get $method_len))
    (call $err (global.get $sp) (global.get $sp_len))
    (call $err (local.get $path) (local.get $path_len))
    (call $err (global.get $nl) (global.get $nl_len))
    ;; "/" and "" are the collection itself.
    (if (i32.and (i32.eq (local.get $path_len) (i32.const 1)) (i32.eq (i32.load8_u (local.get $path)) (i32.const 47)))
      (then (local.set $path_len (i32.const 0))))

    (if (i32.and (i32.eq (local.get $method_len) (i32.const 3)) (call $equal (local.get $method) (global.get $m_get) (global.get $m_get_len)))
      (then
        (if (i32.eqz (local.get $path_len))
          (then
            (call $out (global.get $h_json) (global.get $h_json_len))
            (call $out (global.get $nl) (global.get $nl_len))
            (call $out (global.get $b_list) (global.get $b_list_len))
            (return)))
        ;; "/<id>"
        (if (call $is_id (i32.add (local.get $path) (i32.const 1)) (i32.sub (local.get $path_len) (i32.const 1)))
          (then
            (call $out (global.get $h_json) (global.get $h_json_len))
            (call $out (global.get $nl) (global.get $nl_len))
            (call $out (global.get $b_id1) (global.get $b_id1_len))
            (call $out (i32.add (local.get $path) (i32.const 1)) (i32.sub (local.get $path_len) (i32.const 1)))
            (call $out (global.get $b_id2) (global.get $b_id2_len))
            (return)))
        (call $out (global.get $h_404) (global.get $h_404_len))
        (call $out (global.get $h_json) (global.get $h_json_len))
        (call $out (global.get $nl) (global.get $nl_len))
        (call $out (global.get $b_404) (global.get $b_404_len))
        (return)))

    (if (i32.and (i32.eq (local.get $method_len) (i32.const 4)) (call $equal (local.get $method) (global.get $m_post) (global.get $m_post_len)))
      (then
        (call $out (global.get $h_created) (global.get $h_created_len))
        (call $out (global.get $h_json) (global.get $h_json_len))
        (call $out (global.get $nl) (global.get $nl_len))
        (call $out (global.get $b_recv1) (global.get $b_recv1_len))
        (call $out_number (call $body_size))
        (call $out (global.get $b_recv2) (global.get $b_recv2_len))
        (return)))

    (call $out (global.get $h_405) (global.get $h_405_len))
    (call $out (global.get $h_json) (global.get $h_json_len))
    (call $out (global.get $nl) (global.get $nl_len))
    (call $out (global.get $b_405) (global.get $b_405_len))))
