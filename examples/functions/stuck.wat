(module
  (func (export "_start")
    loop $loop
    br $loop
    end))
