;; Loops forever by calling itself in tail position through an indirect call, one frame at a
;; time: each call returns before the next (a trampoline), so no stack grows.
(module
  (memory (export "memory") 1)
  (type $t (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $step)
  (func $step (result i32) (i32.const 1))
  (func (export "_start")
    (loop $l
      (br_if $l (call_indirect (type $t) (i32.const 0))))))
