;; Spins forever through a br_table dispatch.
(module
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (loop $l
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 1)))
      (block $a
        (block $b
          (br_table $l $b $a (local.get $i)))
        (br $l))
      (br $l))))
