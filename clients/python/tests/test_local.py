"""run() with no cluster named runs the task through the capsule command, as capsule-run does."""

import asyncio
import os
import unittest
from unittest import mock

import capsule_client
from tests.fleet_support import ECHO_TS, HELLO_WASM, SPIN_WASM

COMMAND = os.environ.get("CAPSULE_COMMAND")


def local_only():
    """No cluster in the environment: run() must pick the local command."""
    env = {k: v for k, v in os.environ.items() if k != "CAPSULE_BOOTSTRAP_SERVERS"}
    return mock.patch.dict(os.environ, env, clear=True)


@unittest.skipUnless(COMMAND, "no local capsule command: set CAPSULE_COMMAND (e.g. the repository's ./capsule)")
class LocalRunTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().slow_callback_duration = 30  # quiet the runner's debug loop

    async def test_capsule_runs_example_call_works_with_only_the_import_changed(self):
        with local_only():
            result = await capsule_client.run(file=HELLO_WASM, args=["Ada"])
        self.assertTrue(result["success"], result)
        self.assertEqual(result["result"]["name"], "Ada")
        self.assertNotIn("worker", result)  # it ran here, not on a fleet

    async def test_capsule_runs_cwd_resolves_the_file(self):
        with local_only():
            result = await capsule_client.run(file="hello.wasm", args=[], cwd=os.path.dirname(HELLO_WASM))
        self.assertTrue(result["success"], result)

    def test_run_sync_passes_limits_as_flags_and_returns_the_failed_envelope(self):
        with local_only():
            result = capsule_client.run_sync(file=SPIN_WASM, compute=1_000_000, wait=120)
        self.assertFalse(result.success)
        self.assertEqual(result.error_type, "fuel_exhausted")
        self.assertEqual(result.execution["fuel_consumed"], 1_000_000)


class LocalCommandTest(unittest.TestCase):
    def test_a_missing_command_is_a_local_run_error_naming_it(self):
        with local_only(), mock.patch.dict(os.environ, {"CAPSULE_COMMAND": "/nonexistent/capsule"}):
            with self.assertRaises(capsule_client.LocalRunError) as caught:
                capsule_client.run_sync(file=HELLO_WASM)
        self.assertIn("/nonexistent/capsule", str(caught.exception))

    def test_a_bad_cwd_or_mounts_is_refused_naming_it(self):
        with local_only():
            for kwargs, parameter in (({"cwd": "/no/such/dir"}, "cwd"), ({"mounts": "data"}, "mounts")):
                with self.subTest(parameter=parameter):
                    with self.assertRaises(capsule_client.InvalidArgument) as caught:
                        capsule_client.run_sync(file=HELLO_WASM, **kwargs)
                    self.assertEqual(caught.exception.parameter, parameter)
        with self.assertRaises(capsule_client.InvalidArgument) as caught:
            capsule_client.run_sync(file=HELLO_WASM, mounts=["data"], bootstrap_servers="127.0.0.1:1")
        self.assertEqual(caught.exception.parameter, "mounts")

    def test_kafka_settings_without_a_cluster_are_refused(self):
        with local_only():
            with self.assertRaises(capsule_client.InvalidArgument) as caught:
                capsule_client.run_sync(file=HELLO_WASM, security_protocol="SSL")
        self.assertEqual(caught.exception.parameter, "security_protocol")

    def test_the_command_line_spells_each_option_as_capsule_run_flags(self):
        from capsule_client.local import command_line
        from capsule_client.options import TaskOptions

        options = TaskOptions.of(compute="low", ram="64MB", timeout=1.5, max_retries=2,
                                 allowed_files=["data:ro", {"path": "out", "mode": "rw"}],
                                 allowed_hosts=["api.example.com"], env_variables=["API_KEY"])
        line = command_line(ECHO_TS, "/tmp/args.json", options, "main")
        self.assertEqual(line[:3], ["run", ECHO_TS, "--json"])
        self.assertEqual(
            line[3:],
            ["--task", "main", "--compute", "LOW", "--ram", "64MB", "--timeout", "1500ms", "--max-retries", "2",
             "--allow-file", "data:ro", "--allow-file", "out:rw", "--allow-host", "api.example.com",
             "--env", "API_KEY", "--args-file", "/tmp/args.json"],
        )


if __name__ == "__main__":
    unittest.main()
