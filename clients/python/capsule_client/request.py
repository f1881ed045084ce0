"""Builds the task request (``capsule.task/v1``) a submit produces."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from . import wire
from .errors import InvalidArgument
from .options import TaskOptions
from .source import TaskSource


@dataclass(frozen=True)
class TaskRequest:
    """A request ready to publish: its JSON value, level topic suffix and an upload if one is due."""

    id: str
    level: str
    value: dict
    upload: Optional[bytes] = None  # bytes to publish on the modules topic first, keyed by sha256

    @property
    def upload_sha256(self) -> Optional[str]:
        return None if self.upload is None else wire.sha256(self.upload)


def check_args(args: Any) -> list:
    if args is None:
        return []
    if isinstance(args, (str, bytes, dict)) or not isinstance(args, Sequence):
        raise InvalidArgument("args", f"expected a list of JSON values, got {type(args).__name__}")
    try:
        json.dumps(list(args), allow_nan=False)  # NaN and Infinity are not JSON
    except (TypeError, ValueError, RecursionError) as e:
        raise InvalidArgument("args", f"every argument must be a JSON value: {e}") from None
    return list(args)


def check_task_id(task_id: Any) -> str:
    if task_id is None:
        return str(uuid.uuid4())
    if not isinstance(task_id, str) or not 1 <= len(task_id) <= 200:
        raise InvalidArgument("task_id", f"expected 1-200 characters, got {task_id!r}")
    return task_id


def check_task(task: Any) -> str:
    if not isinstance(task, str) or not task:
        raise InvalidArgument("task", f"expected a task name, got {task!r}")
    return task


def build(
    source: TaskSource,
    args: Any,
    options: TaskOptions,
    *,
    task: str = "main",
    task_id: Optional[str] = None,
    reply_to: str,
    inline_threshold: int = wire.INLINE_THRESHOLD,
) -> TaskRequest:
    """The request for one task; sources or modules over ``inline_threshold`` bytes go by hash."""
    task = check_task(task)
    effective = options.over(source.declared(task))
    value = {
        "schema": wire.TASK_SCHEMA,
        "id": check_task_id(task_id),
        "task": task,
        "args": check_args(args),
        "reply_to": reply_to,
        "submitted_at": wire.now_ms(),
    }
    limits, permissions = effective.limits_json(), effective.permissions_json()
    if limits:
        value["limits"] = limits
    if permissions:
        value["permissions"] = permissions
    upload = _attach(value, source, inline_threshold)
    return TaskRequest(value["id"], effective.level(), value, upload)


def _attach(value: dict, source: TaskSource, inline_threshold: int) -> Optional[bytes]:
    if source.module is not None:
        if len(source.module) <= inline_threshold:
            value["module"] = {"inline": wire.base64_of(source.module)}
            return None
        value["module"] = {"sha256": wire.sha256(source.module)}
        return source.module
    data = source.script.encode("utf-8")
    if len(data) <= inline_threshold:
        value["script"] = {"file_name": source.file_name, "source": source.script}
        return None
    value["script"] = {"file_name": source.file_name, "sha256": wire.sha256(data)}
    return data
