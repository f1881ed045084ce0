"""What the fleet tests share: the cluster named by $CAPSULE_BOOTSTRAP_SERVERS, the task files, and
a reader of whole topics (to check what the client put on the wire)."""

import os
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TESTDATA = os.path.join(REPO, "clients", "testdata")
HELLO_WASM = os.path.join(REPO, "examples", "hello.wasm")
HELLO_TS = os.path.join(REPO, "examples", "typescript", "hello.ts")
SPIN_WASM = os.path.join(TESTDATA, "spin.wasm")
SLEEP_WASM = os.path.join(TESTDATA, "sleep.wasm")
TRAP_WASM = os.path.join(TESTDATA, "trap.wasm")
ECHO_TS = os.path.join(TESTDATA, "echo.ts")
FAIL_JS = os.path.join(TESTDATA, "fail.js")
SUBTASKS_JS = os.path.join(TESTDATA, "subtasks.js")
SERVERS = os.environ.get("CAPSULE_BOOTSTRAP_SERVERS")
WAIT = 90

try:
    import confluent_kafka  # noqa: F401

    KAFKA = True
except ImportError:
    KAFKA = False


def needs_fleet(cls):
    """Skips a test class, saying why, unless confluent-kafka and a fleet are there."""
    if not KAFKA:
        return unittest.skip("confluent-kafka is not installed (apt-get install python3-confluent-kafka)")(cls)
    if not SERVERS:
        return unittest.skip("no fleet: set CAPSULE_BOOTSTRAP_SERVERS (./capsule up prints it)")(cls)
    return cls


def records(topic, key=None):
    """Every record of a topic, from its start to its current end (optionally one key's)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": SERVERS, "group.id": "tests-never-joined", "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        found = []
        for partition in sorted(partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, partition, low)])
            position, deadline = low, time.monotonic() + 30
            while position < high and time.monotonic() < deadline:
                for message in consumer.consume(500, 0.5):
                    if message.error() is None:
                        position = message.offset() + 1
                        if key is None or (message.key() or b"").decode() == key:
                            found.append(message)
        return found
    finally:
        consumer.close()


def header(message, name):
    for key, value in message.headers() or []:
        if key == name:
            return value.decode()
    return None


def until(condition, bound=WAIT, every=0.2):
    """Polls ``condition`` until it returns a truthy value, at most ``bound`` seconds."""
    deadline = time.monotonic() + bound
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {bound}s: {condition}")
        time.sleep(every)
