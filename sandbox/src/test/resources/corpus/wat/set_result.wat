;; Gives its result through capsule.set_result, and prints noise to stdout.
(module
  (import "capsule" "set_result" (func $set_result (param i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"processed\":5}")
  (data (i32.const 64) "not the result")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 14))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $set_result (i32.const 16) (i32.const 15))))
