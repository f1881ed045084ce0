;; The smallest Capsule task: a WASI command that prints its JSON result to stdout.
;; Run it:   ./capsule run examples/hello.wat
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"hello\":\"world\"}")
  (func (export "_start")
    ;; one iovec at address 0: {buf = 16, len = 17}
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
