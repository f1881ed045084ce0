;; Eight tables declaring 10 M initial entries each: ~640 MB of host heap at instantiation.
(module
  (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (table 10000000 funcref) (table 10000000 funcref)
  (memory (export "memory") 1)
  (func (export "_start")))
