/** WebAssembly text used across tests: the seed's modules and a few small variants. */

export const ANSWER_WAT = `(module
  (func (export "_start") (result i32)
    i32.const 42
    return))
`;

export const SUM_WAT = `(module
  (func (export "_start") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add
    return))
`;

export const SLEEP_WAT = `(module
  (import "platform" "now" (func $now (result f64)))
  (func (export "_start")
        (local $target i64)
    i64.const 3000
    (i64.trunc_f64_s (call $now))
    i64.add
    local.set $target
    loop $loop
      (i64.trunc_f64_s (call $now))
      local.get $target
      i64.lt_s
    br_if $loop
    end))
`;

/** Returns a different constant: an edited source that still builds. */
export const answerWat = (value: number): string => ANSWER_WAT.replace('42', String(value));

/** Busy-waits `ms` on the platform's clock, then answers `result`: a call that is in flight for a while. */
export const busyWat = (ms: number, result = 42): string => `(module
  (import "platform" "now" (func $now (result f64)))
  (func (export "_start") (result i32)
        (local $target f64)
    (f64.add (call $now) (f64.const ${ms}))
    local.set $target
    loop $loop
      (f64.lt (call $now) (local.get $target))
      br_if $loop
    end
    i32.const ${result}))
`;
