;; Traps unless its table starts at the declared 1 entry, then grows it by 1,000: a grow in one
;; run must not change the size the next run of the same module starts with.
(module
  (table $t 1 funcref)
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.ne (table.size $t) (i32.const 1)) (then unreachable))
    (drop (table.grow $t (ref.null func) (i32.const 1000)))))
