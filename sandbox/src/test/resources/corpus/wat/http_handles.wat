;; Exercises the handle protocol of capsule.http_request / http_response_read against a denied
;; host (no network needed). Traps on any unexpected answer; sets {"ok":true} when all hold.
(module
  (import "capsule" "http_request" (func $request (param i32 i32 i32 i32) (result i32)))
  (import "capsule" "http_response_read" (func $read (param i32 i32 i32) (result i32)))
  (import "capsule" "set_result" (func $set_result (param i32 i32)))
  (memory (export "memory") 1)
  ;; request document, 29 bytes
  (data (i32.const 0) "{\"url\":\"http://denied.test/\"}")
  (data (i32.const 64) "{\"ok\":true}")
  ;; handle at 100, length at 104, read buffer at 200

  (func $denied (result i32)
    (call $request (i32.const 0) (i32.const 29) (i32.const 100) (i32.const 104)))

  (func $expect (param $actual i32) (param $expected i32)
    (if (i32.ne (local.get $actual) (local.get $expected)) (then unreachable)))

  (func (export "_start")
    (local $length i32)
    ;; a denied host answers -2 with an error document
    (call $expect (call $denied) (i32.const -2))
    (local.set $length (i32.load (i32.const 104)))
    (if (i32.lt_u (local.get $length) (i32.const 20)) (then unreachable))
    ;; a short read copies 4 bytes and still returns the full length
    (call $expect
      (call $read (i32.load (i32.const 100)) (i32.const 200) (i32.const 4))
      (local.get $length))
    (call $expect (i32.load (i32.const 200)) (i32.const 0x7265227b)) ;; {"er
    (call $expect (i32.load8_u (i32.const 204)) (i32.const 0))
    ;; the handle is released by the read
    (call $expect
      (call $read (i32.load (i32.const 100)) (i32.const 200) (i32.const 4))
      (i32.const -9))
    ;; four unread answers are allowed, the fifth request is refused with handle 0
    (call $expect (call $denied) (i32.const -2))
    (call $expect (call $denied) (i32.const -2))
    (call $expect (call $denied) (i32.const -2))
    (call $expect (call $denied) (i32.const -2))
    (call $expect (call $denied) (i32.const -7))
    (call $expect (i32.load (i32.const 100)) (i32.const 0))
    (call $set_result (i32.const 64) (i32.const 11)))
)
