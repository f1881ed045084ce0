;; Grows a table by a million entries at a time: host memory outside linear memory. The attempt's
;; resource account refuses the grow past the ram cap (table.grow returns -1) and the task ends
;; memory_limit.
(module
  (table 0 funcref)
  (func (export "_start")
    (loop $more
      (br_if $more
        (i32.ne (table.grow (ref.null func) (i32.const 1000000)) (i32.const -1))))
    unreachable))
