"""The client against a real fleet (``capsule up``): the cases of the Java CapsuleClient's tests."""

import asyncio
import hashlib
import json
import os
import tempfile
import unittest
import uuid

from tests.fleet_support import (
    ECHO_TS, FAIL_JS, HELLO_TS, HELLO_WASM, SERVERS, SLEEP_WASM, SPIN_WASM, SUBTASKS_JS, TRAP_WASM, WAIT,
    header, needs_fleet, records, until,
)

import capsule_client


@needs_fleet
class FleetTest(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = capsule_client.Client(SERVERS)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    async def asyncSetUp(self):
        # the test runner's debug loop reports every step over 0.1 s; the tests' own sync reads are fine
        asyncio.get_running_loop().slow_callback_duration = 30

    async def test_module_succeeds_on_each_level_and_runs_on_that_levels_pool(self):
        for level in ("LOW", "MEDIUM", "HIGH"):
            with self.subTest(level=level):
                envelope = await self.client.run(HELLO_WASM, [], compute=level, wait=WAIT)
                self.assertTrue(envelope.success, envelope)
                self.assertEqual(envelope.result["name"], "world")
                self.assertEqual(envelope["worker"], "up-" + level.lower())
                self.assertEqual(envelope.execution["retries"], 0)

    async def test_module_level_run_takes_the_cluster_from_the_environment(self):
        os.environ["CAPSULE_BOOTSTRAP_SERVERS"] = SERVERS
        envelope = await capsule_client.run(file=HELLO_WASM, args=[], compute=5_000_000, wait=WAIT)
        self.assertTrue(envelope.success, envelope)
        self.assertEqual(envelope["worker"], "up-low")  # custom fuel: the smallest level holding it

    async def test_typescript_task_file_runs_on_the_level_it_declares(self):
        envelope = await self.client.run(HELLO_TS, [], wait=WAIT)
        self.assertTrue(envelope.success, envelope)
        self.assertEqual(envelope.result, "Hello from Capsule!")
        self.assertEqual(envelope["worker"], "up-low")

    async def test_arguments_reach_the_task_as_json_values(self):
        envelope = await self.client.run(ECHO_TS, ["Ada", 3, {"k": True}], wait=WAIT)
        self.assertTrue(envelope.success, envelope)
        self.assertEqual(envelope.result["args"], ["Ada", 3, {"k": True}])

    async def test_sub_tasks_run_as_child_requests_and_return_their_results(self):
        envelope = await self.client.run(SUBTASKS_JS, [3, 4], wait=WAIT)
        self.assertTrue(envelope.success, envelope)
        self.assertEqual(envelope.result, {"doubled": [6, 8]})
        children = [e for e in records("capsule.events") if (e.key() or b"").decode().startswith(envelope.task_id + "/")]
        self.assertTrue(all(json.loads(e.value())["parent_id"] == envelope.task_id for e in children))
        self.assertTrue(children, "the children's events name their parent")

    async def test_fuel_exhausted_is_a_failed_envelope_carrying_its_error_type(self):
        envelope = await self.client.run(SPIN_WASM, [], compute="LOW", wait=WAIT)
        self.assertFalse(envelope.success)
        self.assertEqual(envelope.error_type, "fuel_exhausted")
        self.assertEqual(envelope.execution["fuel_consumed"], 100_000_000)
        with self.assertRaises(capsule_client.TaskFailed) as caught:
            envelope.raise_for_error()
        self.assertEqual(caught.exception.error_type, "fuel_exhausted")
        self.assertIs(caught.exception.envelope, envelope)

    async def test_each_failure_type_reaches_the_caller_with_its_error_type(self):
        cases = (
            ("wasm_error", TRAP_WASM, {}),
            # over the operator's ceiling of capsule up: no variables, a 15m timeout at most
            ("permission_denied", HELLO_WASM, {"env_variables": ["DB_PASSWORD"]}),
            ("invalid_request", HELLO_WASM, {"timeout": "2400h"}),
        )
        for error_type, file, options in cases:
            with self.subTest(error_type=error_type):
                envelope = await self.client.run(file, [], compute="LOW", wait=WAIT, **options)
                self.assertEqual(envelope.error_type, error_type, envelope)
                with self.assertRaises(capsule_client.TaskFailed) as caught:
                    envelope.raise_for_error()
                self.assertEqual(caught.exception.error_type, error_type)

    async def test_a_failing_task_is_retried_as_asked_and_reports_the_retries_made(self):
        envelope = await self.client.run(FAIL_JS, ["no network"], max_retries=1, wait=WAIT)
        self.assertFalse(envelope.success)
        self.assertEqual(envelope.error_type, "task_error")
        self.assertIn("tool failed: no network", envelope.error_message)
        self.assertEqual(envelope.execution["retries"], 1)

    async def test_cancel_stops_a_running_task_and_its_waiter_learns_it(self):
        handle = await self.client.submit_async(SLEEP_WASM, [], compute="LOW", timeout="2m")
        waiter = asyncio.ensure_future(handle.result_async(WAIT))
        await asyncio.to_thread(until, lambda: (self.client.status(handle.id) or {}).get("state") == "running")
        self.assertTrue(await asyncio.to_thread(self.client.cancel, handle.id))
        with self.assertRaises(capsule_client.TaskCancelled):
            await waiter
        self.assertEqual(self.client.status(handle.id)["state"], "cancelled")
        self.assertFalse(self.client.cancel(handle.id))
        with self.assertRaises(capsule_client.TaskCancelled):
            await self.client.wait(handle.id, 5)

    async def test_a_bounded_wait_raises_capsule_timeout_and_the_task_runs_on(self):
        handle = await self.client.submit_async(SLEEP_WASM, [], compute="LOW", timeout="1m")
        with self.assertRaises(capsule_client.CapsuleTimeout) as caught:
            await handle.result_async(0.5)
        self.assertEqual(caught.exception.task_id, handle.id)
        self.assertIsInstance(caught.exception, TimeoutError)
        self.assertIn(self.client.status(handle.id)["state"], ("queued", "running"))
        self.assertTrue(self.client.cancel(handle.id))  # frees its slot for the other tests

    async def test_a_large_script_is_uploaded_once_by_hash_and_runs(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "large.js")
            padding = "// " + "x" * 100 + "\n"
            source = f"// run {uuid.uuid4()}\n" + 'import { task } from "@capsule-run/sdk";\n' + padding * 700 + (
                'export const main = task({ name: "main", compute: "LOW" }, (n) => ({ big: true, n }));\n'
            )
            with open(path, "w", encoding="utf-8") as f:
                f.write(source)
            self.assertGreater(len(source.encode()), 64 * 1024)
            first = await self.client.run(path, [1], wait=WAIT)
            second = await self.client.run(path, [2], wait=WAIT)
        self.assertEqual((first.result, second.result), ({"big": True, "n": 1}, {"big": True, "n": 2}))
        digest = hashlib.sha256(source.encode()).hexdigest()
        uploads = records("capsule.modules", key=digest)
        self.assertEqual(len(uploads), 1, "one upload for two tasks")
        self.assertEqual(uploads[0].value(), source.encode())
        self.assertEqual(header(uploads[0], "capsule-schema"), "capsule.module/v1")
        request = json.loads(records("capsule.tasks.low", key=first.task_id)[0].value())
        self.assertEqual(request["script"], {"file_name": "large.js", "sha256": digest})

    async def test_records_carry_the_contracts_key_headers_and_a_queued_event_first(self):
        envelope = await self.client.run(HELLO_WASM, [], compute="LOW", wait=WAIT)
        [request] = records("capsule.tasks.low", key=envelope.task_id)
        self.assertEqual(header(request, "capsule-schema"), "capsule.task/v1")
        self.assertEqual(header(request, "capsule-task-id"), envelope.task_id)
        self.assertRegex(header(request, "traceparent"), r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
        events = records("capsule.events", key=envelope.task_id)
        self.assertEqual(len({e.partition() for e in events}), 1, "queued and the worker's events share a partition")
        self.assertEqual(json.loads(events[0].value())["state"], "queued")
        status = self.client.status(envelope.task_id)
        self.assertEqual(status["state"], "succeeded")
        self.assertEqual(status["envelope"]["result"], envelope.result)

    async def test_malformed_records_on_the_reply_and_events_topics_are_skipped(self):
        from confluent_kafka import Producer

        handle = await self.client.submit_async(SLEEP_WASM, [], compute="LOW", timeout="1m")
        waiter = asyncio.ensure_future(handle.result_async(WAIT))
        hostile = Producer({"bootstrap.servers": SERVERS, "partitioner": "murmur2_random"})
        for topic, value in (
            ("capsule.results", b"\xff not json"),
            ("capsule.results", b"[1, 2]"),
            ("capsule.results", b'{"no": "success field"}'),
            ("capsule.results", b"[" * 100_000),
            ("capsule.events", b'{"state": "failed", "envelope": "not an object"'),
            ("capsule.events", b"[" * 100_000),
        ):
            hostile.produce(topic, key=handle.id, value=value)
        hostile.flush(30)
        self.assertTrue(await asyncio.to_thread(self.client.cancel, handle.id))
        with self.assertRaises(capsule_client.TaskCancelled):
            await waiter
        envelope = await self.client.run(HELLO_WASM, [], compute="LOW", wait=WAIT)
        self.assertTrue(envelope.success, "the reader still reads after the hostile records")

    async def test_status_of_an_unknown_task_is_none_and_waiting_for_it_times_out(self):
        self.assertIsNone(self.client.status("no-such-task-" + uuid.uuid4().hex))
        with self.assertRaises(capsule_client.CapsuleTimeout):
            await self.client.wait("no-such-task", 0.3)

    async def test_another_client_waits_for_a_task_that_finished_before_it_started(self):
        envelope = await self.client.run(HELLO_WASM, [], compute="LOW", wait=WAIT)
        with capsule_client.Client(SERVERS) as late:
            self.assertEqual(late.wait_sync(envelope.task_id, WAIT)["result"], envelope.result)

    async def test_a_private_reply_topic_gets_the_replies(self):
        topic = "capsule.replies." + uuid.uuid4().hex[:8]
        async with capsule_client.Client(SERVERS, reply_topic=topic) as private:
            envelope = await private.run(HELLO_WASM, [], compute="LOW", wait=WAIT)
        self.assertTrue(envelope.success, envelope)
        self.assertEqual(len(records(topic, key=envelope.task_id)), 1)

    async def test_one_hundred_mixed_tasks_get_one_hundred_correct_envelopes(self):
        kinds = []
        for i in range(100):
            kind = ("wasm", "ts", "spin", "fail")[0 if i % 10 < 5 else 1 if i % 10 < 8 else 2 if i % 10 == 8 else 3]
            kinds.append(kind)

        async def one(i, kind):
            if kind == "wasm":
                return await self.client.run(HELLO_WASM, [], compute=("LOW", "MEDIUM", "HIGH")[i % 3], wait=WAIT * 2)
            if kind == "ts":
                return await self.client.run(ECHO_TS, [i], wait=WAIT * 2)
            if kind == "spin":
                return await self.client.run(SPIN_WASM, [], compute=1_000_000, wait=WAIT * 2)
            return await self.client.run(FAIL_JS, [str(i)], wait=WAIT * 2)

        envelopes = await asyncio.gather(*(one(i, k) for i, k in enumerate(kinds)))
        self.assertEqual(len({e.task_id for e in envelopes}), 100)
        for i, (kind, envelope) in enumerate(zip(kinds, envelopes)):
            with self.subTest(i=i, kind=kind):
                if kind == "wasm":
                    self.assertEqual(envelope.result["name"], "world")
                elif kind == "ts":
                    self.assertEqual(envelope.result["args"], [i])
                elif kind == "spin":
                    self.assertEqual(envelope.error_type, "fuel_exhausted")
                else:
                    self.assertEqual(envelope.error_type, "task_error")
                    self.assertIn(f"tool failed: {i}", envelope.error_message)


if __name__ == "__main__":
    unittest.main()
