;; Imports a function the sandbox does not provide.
(module
  (import "env" "launch_missiles" (func $boom))
  (func (export "_start") (call $boom)))
