"""The Kafka contract's names and encodings (docs/kafka-contract.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Optional

TASK_SCHEMA = "capsule.task/v1"
EVENT_SCHEMA = "capsule.event/v1"
CANCEL_SCHEMA = "capsule.cancel/v1"
MODULE_SCHEMA = "capsule.module/v1"
RESULT_SCHEMA = "capsule.result/v1"
TERMINAL_STATES = ("succeeded", "failed", "dead_lettered", "cancelled")
INLINE_THRESHOLD = 64 * 1024


class Topics:
    """Topic names under a prefix (default ``capsule``)."""

    def __init__(self, prefix: str = "capsule"):
        if not isinstance(prefix, str) or not prefix or any(c.isspace() for c in prefix):
            from .errors import InvalidArgument

            raise InvalidArgument("topic_prefix", f"expected a topic name prefix, got {prefix!r}")
        self.prefix = prefix

    def tasks(self, level: str) -> str:
        return f"{self.prefix}.tasks.{level}"

    @property
    def results(self) -> str:
        return f"{self.prefix}.results"

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def modules(self) -> str:
        return f"{self.prefix}.modules"

    @property
    def cancels(self) -> str:
        return f"{self.prefix}.cancels"


def headers(schema: str, key: str, traceparent: Optional[str] = None) -> list:
    """The headers every record of the contract carries."""
    return [
        ("capsule-schema", schema.encode()),
        ("capsule-task-id", key.encode()),
        ("traceparent", (traceparent or new_traceparent()).encode()),
    ]


def new_traceparent() -> str:
    """A W3C traceparent: version 00, random non-zero trace and span ids, sampled."""
    trace = bytearray(secrets.token_bytes(16))
    span = bytearray(secrets.token_bytes(8))
    trace[0] |= 1
    span[0] |= 1
    return f"00-{trace.hex()}-{span.hex()}-01"


def now_ms() -> int:
    return int(time.time() * 1000)


def encode(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def base64_of(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit int."""
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length % 4
    if tail == 3:
        h ^= data[whole + 2] << 16
    if tail >= 2:
        h ^= data[whole + 1] << 8
    if tail >= 1:
        h ^= data[whole]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default (Java) partitioner picks for a string key."""
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions
