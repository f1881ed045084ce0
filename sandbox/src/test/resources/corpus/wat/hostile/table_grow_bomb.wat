;; Six tables, each grown by 10 M entries (about 80 MB of host heap apiece in Chicory's int[] +
;; Instance[] form); traps if a grow is refused (returns -1).
(module
  (table $t0 0 funcref) (table $t1 0 funcref) (table $t2 0 funcref)
  (table $t3 0 funcref) (table $t4 0 funcref) (table $t5 0 funcref)
  (memory (export "memory") 1)
  (func $check (param i32)
    (if (i32.eq (local.get 0) (i32.const -1)) (then unreachable)))
  (func (export "_start")
    (call $check (table.grow $t0 (ref.null func) (i32.const 10000000)))
    (call $check (table.grow $t1 (ref.null func) (i32.const 10000000)))
    (call $check (table.grow $t2 (ref.null func) (i32.const 10000000)))
    (call $check (table.grow $t3 (ref.null func) (i32.const 10000000)))
    (call $check (table.grow $t4 (ref.null func) (i32.const 10000000)))
    (call $check (table.grow $t5 (ref.null func) (i32.const 10000000)))))
