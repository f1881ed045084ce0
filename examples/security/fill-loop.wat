;; Bulk work in a loop: each table.fill writes 100,000 entries and is charged for each of them,
;; so a LOW budget runs out in about a second instead of granting minutes of host CPU.
(module
  (table 100000 funcref)
  (func (export "_start")
    (loop $again
      (table.fill (i32.const 0) (ref.null func) (i32.const 100000))
      (br $again))))
