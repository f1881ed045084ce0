;; table.grow by 2^31 - 1 entries: Chicory's own size check overflows an int.
(module
  (table $t 1 funcref)
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 2147483647)) (i32.const -1))
      (then unreachable))))
