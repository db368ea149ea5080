;; A nano function: `_start` is called once per invocation, in a fresh instance.
;; Its parameters are the request's numbers (/exec/add?2,3 or POST [2,3]) and
;; its result is the response body.
(module
  (func (export "_start") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add))
