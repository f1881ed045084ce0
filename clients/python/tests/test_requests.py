"""Requests as the contract spells them, and bad arguments refused naming the parameter (no broker)."""

import base64
import hashlib
import os
import tempfile
import unittest

from capsule_client import InvalidArgument
from capsule_client.options import TaskOptions
from capsule_client.request import build
from capsule_client.source import TaskSource
from capsule_client.wire import murmur2, new_traceparent, partition_for

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
HELLO_WASM = os.path.join(REPO, "examples", "hello.wasm")
HELLO_PY = os.path.join(REPO, "examples", "python", "hello.py")


class RequestShapeTest(unittest.TestCase):
    def test_small_module_travels_inline_with_limits_and_permissions(self):
        options = TaskOptions.of(compute="low", ram="16MB", timeout="20s", max_retries=1, allowed_hosts=["api.example.com"])
        request = build(TaskSource.read(HELLO_WASM), ["Ada", {"n": 3}], options, reply_to="capsule.results")
        value = request.value
        self.assertEqual(value["schema"], "capsule.task/v1")
        self.assertEqual(value["task"], "main")
        with open(HELLO_WASM, "rb") as f:
            self.assertEqual(base64.b64decode(value["module"]["inline"]), f.read())
        self.assertEqual(value["args"], ["Ada", {"n": 3}])
        self.assertEqual(value["limits"], {"compute": "LOW", "ram": "16MB", "timeout": "20s", "max_retries": 1})
        self.assertEqual(value["permissions"], {"allowed_hosts": ["api.example.com"]})
        self.assertEqual(value["reply_to"], "capsule.results")
        self.assertIsNone(request.upload)
        self.assertEqual(request.level, "low")

    def test_python_script_carries_its_source_and_routes_by_its_declared_compute(self):
        request = build(TaskSource.read(HELLO_PY), [], TaskOptions(), reply_to="r")
        with open(HELLO_PY, encoding="utf-8") as f:
            self.assertEqual(request.value["script"], {"file_name": "hello.py", "source": f.read()})
        self.assertNotIn("module", request.value)
        # @task(name="main", compute="LOW", ram="64MB") in the file: routed and admitted as such
        self.assertEqual(request.level, "low")
        self.assertEqual(request.value["limits"], {"compute": "LOW", "ram": "64MB"})

    def test_explicit_options_win_over_the_declared_ones(self):
        request = build(TaskSource.read(HELLO_PY), [], TaskOptions.of(compute="HIGH"), reply_to="r")
        self.assertEqual(request.level, "high")
        self.assertEqual(request.value["limits"]["compute"], "HIGH")

    def test_typescript_declarations_are_read_for_the_named_task(self):
        source = (
            'import { task } from "@capsule-run/sdk";\n'
            'const child = task({ name: "child", compute: "HIGH", maxRetries: 3 }, () => 1);\n'
            'export const main = task({\n  name: "main",\n  compute: "LOW",\n  maxRetries: 2\n}, () => child());\n'
        )
        request = build(TaskSource.of_script("agent.ts", source), [], TaskOptions(), reply_to="r")
        self.assertEqual(request.level, "low")
        self.assertEqual(request.value["limits"], {"compute": "LOW", "max_retries": 2})

    def test_a_source_over_64_kib_goes_by_sha256_and_is_uploaded(self):
        source = "// " + "x" * (64 * 1024) + "\nexport const main = 1;\n"
        request = build(TaskSource.of_script("big.js", source), [], TaskOptions(), reply_to="r")
        digest = hashlib.sha256(source.encode()).hexdigest()
        self.assertEqual(request.value["script"], {"file_name": "big.js", "sha256": digest})
        self.assertEqual(request.upload, source.encode())
        self.assertEqual(request.upload_sha256, digest)

    def test_a_module_at_exactly_64_kib_stays_inline_and_one_byte_more_does_not(self):
        at_limit = b"\0asm\1\0\0\0" + b"\0" * (64 * 1024 - 8)
        self.assertIn("inline", build(TaskSource("m.wasm", module=at_limit), [], TaskOptions(), reply_to="r").value["module"])
        over = build(TaskSource("m.wasm", module=at_limit + b"\0"), [], TaskOptions(), reply_to="r")
        self.assertEqual(over.value["module"], {"sha256": hashlib.sha256(at_limit + b"\0").hexdigest()})

    def test_custom_fuel_routes_to_the_smallest_level_that_holds_it(self):
        cases = {5_000_000: "low", 100_000_000: "low", 100_000_001: "medium", 2_000_000_000: "medium",
                 2_000_000_001: "high", "1_000": "low"}
        for compute, level in cases.items():
            with self.subTest(compute=compute):
                self.assertEqual(TaskOptions.of(compute=compute).level(), level)
        self.assertEqual(TaskOptions().level(), "medium")


class BadArgumentTest(unittest.TestCase):
    def assert_refused(self, parameter, **kwargs):
        with self.assertRaises(InvalidArgument) as caught:
            TaskOptions.of(**kwargs)
        self.assertEqual(caught.exception.parameter, parameter)
        self.assertIn(parameter, str(caught.exception))
        self.assertIsInstance(caught.exception, ValueError)

    def test_each_bad_option_names_its_parameter(self):
        self.assert_refused("compute", compute="TURBO")
        self.assert_refused("compute", compute=0)
        self.assert_refused("compute", compute=True)
        self.assert_refused("ram", ram="lots")
        self.assert_refused("ram", ram=-1)
        self.assert_refused("timeout", timeout="soon")
        self.assert_refused("timeout", timeout=0)
        self.assert_refused("timeout", timeout=float("inf"))
        self.assert_refused("max_retries", max_retries=101)
        self.assert_refused("max_retries", max_retries=-1)
        self.assert_refused("allowed_hosts", allowed_hosts="example.com")
        self.assert_refused("allowed_hosts", allowed_hosts=[""])
        self.assert_refused("allowed_files", allowed_files=[{"path": "data", "mode": "rwx"}])
        self.assert_refused("env_variables", env_variables=["A=B"])

    def test_bad_files_args_ids_and_tasks_are_refused(self):
        with self.assertRaises(InvalidArgument) as caught:
            TaskSource.read(os.path.join(HERE, "no-such-task.wasm"))
        self.assertEqual(caught.exception.parameter, "file")
        with tempfile.NamedTemporaryFile(suffix=".exe") as f:
            with self.assertRaises(InvalidArgument):
                TaskSource.read(f.name)
        with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
            f.write(b"MZ not wasm")
            f.flush()
            with self.assertRaises(InvalidArgument):
                TaskSource.read(f.name)
        source = TaskSource.read(HELLO_WASM)
        for kwargs, parameter in (
            ({"args": "Ada"}, "args"),
            ({"args": [object()]}, "args"),
            ({"args": [float("nan")]}, "args"),  # json.dumps would write NaN: not JSON
            ({"args": [{"x": float("inf")}]}, "args"),
            ({"args": [], "task_id": "x" * 201}, "task_id"),
            ({"args": [], "task": ""}, "task"),
        ):
            with self.subTest(parameter=parameter):
                with self.assertRaises(InvalidArgument) as caught:
                    build(source, kwargs.pop("args"), TaskOptions(), reply_to="r", **kwargs)
                self.assertEqual(caught.exception.parameter, parameter)
        with self.assertRaises(InvalidArgument) as caught:
            TaskSource.of_script("../escape.py", "print(1)")
        self.assertEqual(caught.exception.parameter, "file_name")


class WireTest(unittest.TestCase):
    def test_murmur2_matches_kafkas_java_partitioner(self):
        # the values of Kafka's own UtilsTest.testMurmur2
        cases = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
                 b"a-little-bit-longer-string": -1486304829,
                 b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, b"abc": 479470107}
        for data, expected in cases.items():
            self.assertEqual(murmur2(data), expected)
        self.assertEqual(partition_for("foobar", 3), (-790332482 & 0x7FFFFFFF) % 3)

    def test_traceparent_is_w3c_version_00_sampled(self):
        self.assertRegex(new_traceparent(), r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


if __name__ == "__main__":
    unittest.main()
