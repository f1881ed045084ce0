"""The Kafka client of a Capsule fleet, over confluent-kafka (librdkafka)."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import os
import threading
import time
import uuid
from typing import Any, Optional

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from . import request as requests
from . import wire
from .envelope import Envelope
from .errors import CapsuleTimeout, FleetError, InvalidArgument, TaskCancelled
from .options import TaskOptions, check_timeout
from .source import TaskSource

MAX_MODULE_BYTES = 64 * 1024 * 1024
_RECENT = 10_000
_CANCELLED = b"cancelled"  # in the recent outcomes: the task was cancelled
_DEFAULT_ATTEMPT_SECONDS = 300  # the worker's default timeout (--default-timeout)
_WAIT_SLACK_SECONDS = 120


def default_wait(options: TaskOptions) -> float:
    """How long run() waits by default: every attempt's timeout (the worker default, 5m, when none
    is set) plus two minutes for queueing and backoff."""
    attempt = options.timeout_seconds() or _DEFAULT_ATTEMPT_SECONDS
    return attempt * ((options.max_retries or 0) + 1) + _WAIT_SLACK_SECONDS


class TaskHandle:
    """A submitted task: its id, level topic suffix, and its final envelope to wait for."""

    def __init__(self, client: "Client", task_id: str, level: str):
        self.id = task_id
        self.level = level
        self._client = client

    def result(self, timeout: float) -> Envelope:
        """Waits at most ``timeout`` seconds for the envelope (:class:`CapsuleTimeout` after)."""
        return self._client.wait_sync(self.id, timeout)

    async def result_async(self, timeout: float) -> Envelope:
        return await self._client.wait(self.id, timeout)

    def __repr__(self) -> str:
        return f"TaskHandle(id={self.id!r}, level={self.level!r})"


class Client:
    """One connection to a fleet: a producer and one reader of the reply and events topics.

    ``Client(bootstrap_servers="host:9092")`` or ``$CAPSULE_BOOTSTRAP_SERVERS``; any other
    confluent-kafka setting goes through ``config={...}`` or as a keyword with dots spelled as
    underscores (``security_protocol="SASL_SSL"``, ``sasl_mechanism="PLAIN"``, ...).

    Replies are read from the shared results topic and correlated by task id, or from a private
    ``reply_topic`` (created if the cluster lets this client, otherwise it must exist). Thread-safe;
    use one per process. Close it (or use ``with``) to flush and stop its threads.
    """

    def __init__(
        self,
        bootstrap_servers: Optional[str] = None,
        *,
        topic_prefix: str = "capsule",
        reply_topic: Optional[str] = None,
        client_id: Optional[str] = None,
        inline_threshold: int = wire.INLINE_THRESHOLD,
        config: Optional[dict] = None,
        **settings: Any,
    ):
        servers = bootstrap_servers or os.environ.get("CAPSULE_BOOTSTRAP_SERVERS")
        if not servers or not isinstance(servers, str):
            raise InvalidArgument(
                "bootstrap_servers", "name the cluster (bootstrap_servers= or $CAPSULE_BOOTSTRAP_SERVERS)"
            )
        if not isinstance(inline_threshold, int) or inline_threshold < 0:
            raise InvalidArgument("inline_threshold", f"expected bytes >= 0, got {inline_threshold!r}")
        self.topics = wire.Topics(topic_prefix)
        self.client_id = client_id or "capsule-python"
        self.reply_topic = reply_topic or self.topics.results
        self.inline_threshold = inline_threshold
        self._kafka = {"bootstrap.servers": servers, **_dotted(settings), **(config or {})}
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._pending: dict = collections.defaultdict(set)
        self._recent: collections.OrderedDict = collections.OrderedDict()
        self._uploads: dict = {}
        self._submitted: collections.OrderedDict = collections.OrderedDict()
        self._producer = Producer(self._producer_config())
        self._threads = [_daemon(self._serve_producer, "capsule-producer")]
        try:
            if reply_topic:
                self._ensure_topic(reply_topic)
            self._reader = self._positioned_reader()
        except BaseException:
            self._closed.set()
            raise
        self._threads.append(_daemon(self._serve_replies, "capsule-replies"))
        self._executor = concurrent.futures.ThreadPoolExecutor(8, "capsule-submit")

    # --- submitting -------------------------------------------------------------------------

    def submit(
        self,
        file=None,
        args=None,
        *,
        source: Optional[str] = None,
        file_name: Optional[str] = None,
        task: str = "main",
        task_id: Optional[str] = None,
        compute=None,
        ram=None,
        timeout=None,
        max_retries=None,
        allowed_files=None,
        allowed_hosts=None,
        env_variables=None,
    ) -> TaskHandle:
        """Submits a task file (``file=``) or a script's text (``source=`` with ``file_name=``) and
        returns once Kafka has acknowledged it. Options as capsule-run spells them."""
        options = TaskOptions.of(
            compute, ram, timeout, max_retries, allowed_files, allowed_hosts, env_variables
        )
        built = requests.build(
            _source(file, source, file_name),
            args,
            options,
            task=task,
            task_id=task_id,
            reply_to=self.reply_topic,
            inline_threshold=self.inline_threshold,
        )
        with self._lock:
            self._submitted[built.id] = True
            if len(self._submitted) > _RECENT:
                self._submitted.popitem(last=False)
        self._publish(built)
        return TaskHandle(self, built.id, built.level)

    async def submit_async(self, *args: Any, **kwargs: Any) -> TaskHandle:
        """:meth:`submit` without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self.submit(*args, **kwargs))

    async def run(self, file=None, args=None, *, wait: Optional[float] = None, **options: Any) -> Envelope:
        """Submits a task and returns its final envelope (also when it failed: see
        ``Envelope.raise_for_error``). ``wait`` bounds the wait in seconds (default: every
        attempt's timeout plus two minutes); past it :class:`CapsuleTimeout`."""
        bound = _wait_bound(wait, options)
        handle = await self.submit_async(file, args, **options)
        return await self.wait(handle.id, bound)

    def run_sync(self, file=None, args=None, *, wait: Optional[float] = None, **options: Any) -> Envelope:
        """:meth:`run` for code without an event loop."""
        bound = _wait_bound(wait, options)
        return self.submit(file, args, **options).result(bound)

    # --- waiting, status, cancel --------------------------------------------------------------

    async def wait(self, task_id: str, timeout: float) -> Envelope:
        """Waits for the final envelope of any task (this client's or not, before or after it started)."""
        # registering may read the task's status from Kafka: not on the event loop
        future = await asyncio.get_running_loop().run_in_executor(self._executor, self._await, task_id, timeout)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError:
            raise CapsuleTimeout(task_id, timeout) from None
        finally:
            self._forget(task_id, future)

    def wait_sync(self, task_id: str, timeout: float) -> Envelope:
        future = self._await(task_id, timeout)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise CapsuleTimeout(task_id, timeout) from None
        finally:
            self._forget(task_id, future)

    def status(self, task_id: str, timeout: float = 30) -> Optional[dict]:
        """The task's latest lifecycle event (``state``, ``level``, ``attempt``, ``worker``, and on
        a terminal state its ``envelope``), read from the compacted events topic: the partition
        the id hashes to, from its start to its current end. None for an unknown task."""
        if not isinstance(task_id, str) or not task_id:
            raise InvalidArgument("task_id", f"expected a task id, got {task_id!r}")
        consumer = Consumer(self._reader_config("status"))
        try:
            partition = wire.partition_for(task_id, len(self._partitions(consumer, self.topics.events)))
            return _latest(consumer, TopicPartition(self.topics.events, partition), task_id, timeout)
        finally:
            consumer.close()

    def cancel(self, task_id: str) -> bool:
        """Cancels a task: a terminal ``cancelled`` event, then a ``capsule.cancel/v1`` record that
        every worker follows. Its waiters get :class:`TaskCancelled`. False when it had already
        finished (nothing is published)."""
        latest = self.status(task_id)
        if latest is not None and latest.get("state") in wire.TERMINAL_STATES:
            return False
        event = {
            "schema": wire.EVENT_SCHEMA,
            "task_id": task_id,
            "state": "cancelled",
            "attempt": 0,
            "at": wire.now_ms(),
            "message": f"cancelled by {self.client_id}",
        }
        if latest is not None and latest.get("level"):
            event["level"] = latest["level"]
        self._send(self.topics.events, task_id, wire.encode(event), wire.EVENT_SCHEMA)
        cancel = {"schema": wire.CANCEL_SCHEMA, "task_id": task_id, "by": self.client_id, "at": wire.now_ms()}
        self._send(self.topics.cancels, task_id, wire.encode(cancel), wire.CANCEL_SCHEMA)
        with self._lock:
            self._remember(task_id, _CANCELLED)
        self._finish(task_id, error=TaskCancelled(task_id))
        return True

    def close(self) -> None:
        """Flushes the producer and stops the reading threads."""
        if self._closed.is_set():
            return
        self._executor.shutdown(wait=True)
        self._producer.flush(10)
        self._closed.set()
        for thread in self._threads:
            thread.join(5)
        self._reader.close()
        with self._lock:
            waiting = list(self._pending)
        for task_id in waiting:
            self._finish(task_id, error=FleetError(f"the client closed while waiting for task {task_id}"))

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    # --- publishing -----------------------------------------------------------------------------

    def _publish(self, built: requests.TaskRequest) -> None:
        if built.upload is not None:
            self._upload(built.upload_sha256, built.upload)
        queued = {
            "schema": wire.EVENT_SCHEMA,
            "task_id": built.id,
            "state": "queued",
            "level": built.level,
            "attempt": 1,
            "at": wire.now_ms(),
        }
        # acknowledged before the request, so a worker's running event always lands after it
        self._send(self.topics.events, built.id, wire.encode(queued), wire.EVENT_SCHEMA)
        self._send(self.topics.tasks(built.level), built.id, wire.encode(built.value), wire.TASK_SCHEMA)

    def _upload(self, sha256: str, data: bytes) -> None:
        """Publishes a module or source once per client, keyed by its hash; a failure is retried
        by the next submit."""
        with self._lock:
            upload = self._uploads.get(sha256)
            mine = upload is None
            if mine:
                upload = self._uploads[sha256] = concurrent.futures.Future()
        if not mine:
            upload.result()
            return
        try:
            self._send(self.topics.modules, sha256, data, wire.MODULE_SCHEMA)
            upload.set_result(None)
        except BaseException as e:
            with self._lock:
                self._uploads.pop(sha256, None)
            upload.set_exception(e)
            raise

    def _send(self, topic: str, key: str, value: bytes, schema: str, timeout: float = 60) -> None:
        delivered: concurrent.futures.Future = concurrent.futures.Future()

        def on_delivery(error, message) -> None:
            if error is not None:
                delivered.set_exception(FleetError(f"{schema} record {key} to {topic}: {error}"))
            else:
                delivered.set_result(message.offset())

        deadline = time.monotonic() + timeout
        while True:
            try:
                self._producer.produce(
                    topic, value=value, key=key, headers=wire.headers(schema, key), on_delivery=on_delivery
                )
                break
            except BufferError:
                if time.monotonic() > deadline:
                    raise FleetError(f"the producer's queue stayed full for {timeout}s") from None
                time.sleep(0.01)
            except KafkaException as e:
                raise FleetError(f"{schema} record {key} to {topic}: {e}") from None
        try:
            delivered.result(max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            raise FleetError(f"{schema} record {key} to {topic} not acknowledged in {timeout}s") from None

    def _serve_producer(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.1)

    # --- reading replies and events -------------------------------------------------------------

    def _await(self, task_id: str, timeout: float) -> concurrent.futures.Future:
        if not isinstance(task_id, str) or not task_id:
            raise InvalidArgument("task_id", f"expected a task id, got {task_id!r}")
        check_timeout("wait", timeout)
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._pending[task_id].add(future)
            seen = self._recent.get(task_id)
            # a task this client submitted was submitted after its reader was positioned, so its
            # envelope cannot have passed unseen; any other may have finished before: ask status
            submitted_here = task_id in self._submitted
        envelope = None if seen is None or seen is _CANCELLED else _envelope(seen)
        if seen is _CANCELLED:
            self._finish(task_id, error=TaskCancelled(task_id))
        elif envelope is not None:
            self._finish(task_id, envelope=envelope)
        elif not submitted_here:
            self._complete_from_status(task_id)
        return future

    def _complete_from_status(self, task_id: str) -> None:
        latest = self.status(task_id)
        if latest is None:
            return
        if latest.get("state") == "cancelled":
            self._finish(task_id, error=TaskCancelled(task_id))
        elif latest.get("state") in wire.TERMINAL_STATES and latest.get("envelope"):
            self._finish(task_id, envelope=Envelope(latest["envelope"]))

    def _forget(self, task_id: str, future: concurrent.futures.Future) -> None:
        with self._lock:
            waiters = self._pending.get(task_id)
            if waiters is not None:
                waiters.discard(future)
                if not waiters:
                    del self._pending[task_id]

    def _finish(self, task_id: str, envelope: Optional[Envelope] = None, error: Optional[Exception] = None) -> None:
        with self._lock:
            waiters = self._pending.pop(task_id, set())
        for future in waiters:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(Envelope(envelope))

    def _serve_replies(self) -> None:
        while not self._closed.is_set():
            try:
                messages = self._reader.consume(500, 0.1)
            except (KafkaException, RuntimeError):
                continue
            for message in messages:
                if message.error() is None and message.key() is not None and message.value() is not None:
                    self._dispatch_safely(message)

    def _dispatch_safely(self, message) -> None:
        # records come from anyone who can produce to these topics: one that breaks a parser must
        # not stop the correlation of every other task
        try:
            self._dispatch(message.topic(), message.key().decode("utf-8", "replace"), message.value())
        except Exception:  # noqa: BLE001 - the reader's boundary with foreign input
            pass

    def _dispatch(self, topic: str, key: str, value: bytes) -> None:
        if topic == self.reply_topic:
            with self._lock:
                if key in self._submitted:  # kept for a later wait; others' replies cost nothing
                    self._remember(key, value)
                waiting = key in self._pending
            if waiting:
                envelope = _envelope(value)
                if envelope is not None:
                    self._finish(key, envelope=envelope)
        elif key in self._pending or key in self._submitted:
            self._on_event(key, value)  # an event: only those of this client's tasks are parsed

    def _remember(self, key: str, outcome: bytes) -> None:
        self._recent[key] = outcome
        if len(self._recent) > _RECENT:
            self._recent.popitem(last=False)

    def _on_event(self, key: str, value: bytes) -> None:
        try:
            event = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            return
        state = event.get("state")
        if state == "cancelled":
            with self._lock:
                self._remember(key, _CANCELLED)
            self._finish(key, error=TaskCancelled(key))
        elif state in wire.TERMINAL_STATES and isinstance(event.get("envelope"), dict):
            self._finish(key, envelope=Envelope(event["envelope"]))

    # --- Kafka plumbing -------------------------------------------------------------------------

    def _producer_config(self) -> dict:
        config = {
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 0,
            "max.in.flight.requests.per.connection": 1,
            "message.max.bytes": MAX_MODULE_BYTES + 65536,
            **self._kafka,
            "client.id": f"{self.client_id}-producer-{uuid.uuid4().hex[:8]}",
        }
        # keys must hash as the Java clients and workers hash them (murmur2), so that a task's
        # queued event and its workers' events share a partition of the compacted events topic
        config["partitioner"] = "murmur2_random"
        return config

    def _reader_config(self, role: str) -> dict:
        return {
            **self._kafka,
            "client.id": f"{self.client_id}-{role}-{uuid.uuid4().hex[:8]}",
            "group.id": f"{self.client_id}-{role}-{uuid.uuid4().hex}",  # never joined: assign only
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "allow.auto.create.topics": False,
            "auto.offset.reset": "earliest",
        }

    def _positioned_reader(self) -> Consumer:
        """A consumer of the reply and events topics positioned at their current ends, before the
        first request goes out, so no reply can pass unseen."""
        consumer = Consumer({**self._reader_config("replies"), "fetch.wait.max.ms": 100})
        try:
            assignment = []
            for topic in dict.fromkeys((self.reply_topic, self.topics.events)):
                for partition in self._partitions(consumer, topic):
                    tp = TopicPartition(topic, partition)
                    _, high = consumer.get_watermark_offsets(tp, timeout=30, cached=False)
                    assignment.append(TopicPartition(topic, partition, high))
            consumer.assign(assignment)
            return consumer
        except BaseException:
            consumer.close()
            raise

    def _partitions(self, consumer: Consumer, topic: str) -> list:
        deadline = time.monotonic() + 10
        while True:
            try:
                described = consumer.list_topics(topic, timeout=30).topics.get(topic)
            except KafkaException as e:
                raise FleetError(f"cannot reach the cluster at {self._kafka['bootstrap.servers']}: {e}") from None
            if described is not None and described.error is None and described.partitions:
                return sorted(described.partitions)
            if time.monotonic() > deadline:
                raise FleetError(f"topic {topic} does not exist (create it: capsule topics --create)")
            time.sleep(0.25)

    def _ensure_topic(self, topic: str) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient(dict(self._kafka))
        futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=-1)])
        try:
            futures[topic].result(30)
        except KafkaException:
            pass  # it exists already, or this client may not create it: _partitions checks


def _latest(consumer: Consumer, tp: TopicPartition, task_id: str, timeout: float) -> Optional[dict]:
    low, high = consumer.get_watermark_offsets(tp, timeout=timeout, cached=False)
    if high <= low:
        return None
    consumer.assign([TopicPartition(tp.topic, tp.partition, low)])
    latest, position = None, low
    deadline = time.monotonic() + timeout
    while position < high:
        if time.monotonic() > deadline:
            raise FleetError(f"reading {tp.topic}[{tp.partition}] took longer than {timeout}s")
        for message in consumer.consume(500, 0.2):
            if message.error() is not None:
                continue
            position = message.offset() + 1
            if message.key() is not None and message.key().decode("utf-8", "replace") == task_id:
                latest = None if message.value() is None else _event(message.value(), latest)
    return latest


def _event(value: bytes, previous: Optional[dict]) -> Optional[dict]:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return previous  # an unreadable event is skipped


def _envelope(value: bytes) -> Optional[Envelope]:
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None
    return Envelope(parsed) if isinstance(parsed, dict) and "success" in parsed else None


def _source(file, source, file_name) -> TaskSource:
    if source is not None:
        if file is not None:
            raise InvalidArgument("source", "give either file= or source= with file_name=, not both")
        return TaskSource.of_script(file_name, source)
    if file is None:
        raise InvalidArgument("file", "expected a task file (or source= with file_name=)")
    return TaskSource.read(file)


def _wait_bound(wait: Optional[float], options: dict) -> float:
    if wait is not None:
        return float(check_timeout("wait", wait))
    return default_wait(
        TaskOptions.of(timeout=options.get("timeout"), max_retries=options.get("max_retries"))
    )


def _dotted(settings: dict) -> dict:
    return {key.replace("_", "."): value for key, value in settings.items()}


def _daemon(target, name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
