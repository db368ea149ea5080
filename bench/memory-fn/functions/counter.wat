;; A function with state in memory: it reads a counter its data segment sets to 41, adds one, stores it
;; and answers it. On a clean instance (every call) the answer is always 42, as bare Hono's.
(module
  (memory 1)
  (data (i32.const 1024) "\29\00\00\00")
  (func (export "_start") (result i32)
    (i32.store (i32.const 1024) (i32.add (i32.load (i32.const 1024)) (i32.const 1)))
    (i32.load (i32.const 1024))))
