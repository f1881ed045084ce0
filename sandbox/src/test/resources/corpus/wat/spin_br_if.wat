;; Spins forever on a conditional back-branch (Chicory 1.7.5's interpreter ignores interrupts here).
(module
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (i32.const -1)))
      (local.set $i (i32.const 0))
      (br $l))))
