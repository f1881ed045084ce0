"""Capsule guest SDK for Python tasks: the @task decorator, sub-tasks and the host channel.

Runs inside the sandbox only. Calls to the host go through a channel file descriptor that the
host answers (requests and answers are JSON, answers are length-prefixed).
"""

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


_quote = json.encoder.encode_basestring_ascii


def _notify(op, text):
    """Sends one request that has no answer (start, result, error) with a str or None payload.

    No round trip, and built by hand: on the sandbox's interpreted eval loop, json.dumps of the
    request dict costs a millisecond."""
    payload = b"null" if text is None else _quote(text).encode("ascii")
    os.write(_CHANNEL_FD, b'{"op":"%s","answer":false,"payload":%s}' % (op.encode("ascii"), payload))


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
    return _outcome(_host("call", {"name": name, "args": list(args)}))


def _outcome(envelope):
    if not envelope.get("success"):
        raise TaskError(envelope)
    return envelope.get("result")


_running = set()  # handles of sub-tasks started and not yet reported by the host
_finished = {}  # handle -> envelope, reported but not yet awaited


class _SubTask:
    """A sub-task started at call time; awaiting it yields its result (or raises TaskError).

    Several can be awaited together (``asyncio.gather``): each wait asks the host for whichever
    running sub-task finishes first, then lets the event loop hand that result to its awaiter.
    """

    def __init__(self, name, args):
        self.name = name
        self.handle = _host("spawn", {"name": name, "args": list(args)})["handle"]
        _running.add(self.handle)

    def __await__(self):
        while self.handle not in _finished:
            done = _host("wait", {"handles": sorted(_running)})
            if "error" in done and isinstance(done["error"], dict):
                raise OSError(done["error"].get("message"))
            for handle, envelope in done.items():
                _running.discard(int(handle))
                _finished[int(handle)] = envelope
            if self.handle not in _finished:
                yield  # let the event loop run the awaiter of what finished
        return _outcome(_finished.pop(self.handle))

    def __repr__(self):
        return f"<capsule sub-task {self.name} #{self.handle}>"


def _run_async(coroutine):
    """``asyncio.run`` for WASI: CPython's default loop needs a socketpair, which WASI lacks.

    The loop below has no self-pipe and no I/O selector; sub-task waits block in the host (see
    ``_SubTask``), and ``asyncio.sleep`` sleeps.
    """
    import asyncio
    import selectors
    import time

    class _NoIo(selectors.BaseSelector):
        def __init__(self):
            self._map = {}

        def register(self, fileobj, events, data=None):
            raise OSError("no socket or pipe I/O in a capsule task's event loop")

        def unregister(self, fileobj):
            raise KeyError(fileobj)

        def select(self, timeout=None):
            if timeout is None:
                raise RuntimeError("the task's event loop has nothing left to wait for")
            if timeout > 0:
                time.sleep(timeout)
            return []

        def get_map(self):
            return self._map

        def close(self):
            pass

    class _Loop(asyncio.SelectorEventLoop):
        def __init__(self):
            super().__init__(_NoIo())

        def _make_self_pipe(self):
            pass

        def _close_self_pipe(self):
            pass

        def _write_to_self(self):
            pass

    return asyncio.run(coroutine, loop_factory=_Loop)


def _wraps(wrapper, fn):
    """functools.update_wrapper's effect, without its generic loops (a millisecond per task here)."""
    wrapper.__module__ = fn.__module__
    wrapper.__name__ = fn.__name__
    wrapper.__qualname__ = fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    wrapper.__annotations__ = fn.__annotations__
    wrapper.__type_params__ = fn.__type_params__
    if fn.__dict__:
        wrapper.__dict__.update(fn.__dict__)
    wrapper.__wrapped__ = fn


def task(name=None, compute=None, ram=None, timeout=None, max_retries=None,
         allowed_files=None, allowed_hosts=None, env_variables=None):
    """Declares a task. The host reads the options from the source; here they are kept only."""
    if callable(name):
        return task()(name)

    def declare(fn):
        task_name = name or fn.__name__
        _tasks[task_name] = fn

        def run_in_own_sandbox(*args, **kwargs):
            values = list(args) + list(kwargs.values())
            if _in_event_loop():
                return _SubTask(task_name, values)  # started now; await it (or gather several)
            return _call_task(task_name, values)

        _wraps(run_in_own_sandbox, fn)
        run_in_own_sandbox.__capsule_task__ = task_name
        return run_in_own_sandbox

    return declare


from . import _http, http  # noqa: E402  (they use _host above)

_http.install()
