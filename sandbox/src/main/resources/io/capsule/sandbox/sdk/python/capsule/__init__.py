"""Capsule guest SDK for Python tasks: the @task decorator, sub-tasks and the host channel.

Runs inside the sandbox only. Calls to the host go through a channel file descriptor that the
host answers (requests and answers are JSON, answers are length-prefixed).
"""

import functools
import json
import os
import sys

__all__ = ["task", "TaskError", "http"]

_CHANNEL_FD = 0  # stdin: the host answers requests written to it
_tasks = {}


class TaskError(Exception):
    """A sub-task failed; ``envelope`` is its result envelope."""

    def __init__(self, envelope):
        self.envelope = envelope
        error = envelope.get("error") or {}
        super().__init__(f"{error.get('error_type')}: {error.get('message')}")


def _read_exact(count):
    data = b""
    while len(data) < count:
        chunk = os.read(_CHANNEL_FD, count - len(data))
        if not chunk:
            raise OSError("capsule host channel closed")
        data += chunk
    return data


def _host(op, payload):
    """Sends one request to the host and returns its JSON answer."""
    os.write(_CHANNEL_FD, json.dumps({"op": op, "payload": payload}).encode("utf-8"))
    size = int(_read_exact(10))
    return json.loads(_read_exact(size))


def _in_event_loop():
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


def _call_task(name, args):
    envelope = _host("call", {"name": name, "args": list(args)})
    if not envelope.get("success"):
        raise TaskError(envelope)
    return envelope.get("result")


def task(name=None, compute=None, ram=None, timeout=None, max_retries=None,
         allowed_files=None, allowed_hosts=None, env_variables=None):
    """Declares a task. The host reads the options from the source; here they are kept only."""
    if callable(name):
        return task()(name)

    def declare(fn):
        task_name = name or fn.__name__
        _tasks[task_name] = fn

        @functools.wraps(fn)
        def run_in_own_sandbox(*args, **kwargs):
            values = list(args) + list(kwargs.values())
            if _in_event_loop():
                async def awaited():
                    return _call_task(task_name, values)
                return awaited()
            return _call_task(task_name, values)

        run_in_own_sandbox.__capsule_task__ = task_name
        return run_in_own_sandbox

    return declare


from . import _http, http  # noqa: E402  (they use _host above)

_http.install()
