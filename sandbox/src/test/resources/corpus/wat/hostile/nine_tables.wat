;; More tables than any toolchain emits.
(module
  (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref)
  (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref)
  (memory (export "memory") 1)
  (func (export "_start")))
