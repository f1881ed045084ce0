"""Runs one task of a Python task file: reads {task, args, file, source, env, code?} from stdin.

Everything before the first read of stdin is the same for every task, so the host snapshots the
interpreter there once and resumes each task from the snapshot: the modules imported here are
imported once, not per task, and a practice task warms the per-task path before it. Nothing
task-specific may happen before that read.
"""

import binascii
import gc
import json
import marshal
import os
import sys
import traceback

import capsule

_PRELOADED = (
    "asyncio", "base64", "collections", "copy", "dataclasses", "datetime", "decimal", "enum",
    "functools", "hashlib", "http.client", "io", "itertools", "math", "random", "re", "string",
    "textwrap", "time", "typing", "urllib.error", "urllib.parse", "urllib.request", "uuid",
)
if os.environ.get("CAPSULE_SNAPSHOT"):  # only worth it when the work is kept in a snapshot
    for _name in _PRELOADED:
        try:
            __import__(_name)
        except ImportError:
            pass
compile("pass", "<capsule>", "exec")


def _begin_task(document):
    """Makes a resumed interpreter the task's own: its environment and fresh random state."""
    if os.environ:
        os.environ.clear()
    env = document.get("env")
    if env:
        os.environ.update(env)
    import random
    random.seed()


_PRACTICE_SOURCE = """
from capsule import task

@task(name="helper", compute="LOW", ram="64MB", timeout="5s", max_retries=0)
def helper(x: int) -> int:
    return x + 1

@task(name="main", compute="LOW", ram="64MB", allowed_files=[], env_variables=[])
def main(name: str = "world") -> dict:
    return {"greeting": f"Hello, {name}!", "items": [1, 2.5, None, True], "n": len(name)}
"""


def _practice():
    """Runs the per-task path on a practice task (no host calls: the first stdin read is where
    the snapshot is taken). CPython 3.12 specialises bytecode the first times it runs, so every
    resumed task then starts on that warmed path instead of repeating the specialisation."""
    document = _read_document(json.dumps({
        "task": "main", "args": ["capsule"], "file": "/practice.py",
        "source": _PRACTICE_SOURCE, "env": {"PRACTICE": "1"},
    }, separators=(",", ":")).encode("utf-8"))
    namespace, code, compiled = _load(document)
    document["code"] = compiled
    _code(document)  # the path of a file whose code the host has cached
    capsule._quote(_call(document, namespace, code))
    capsule._tasks.clear()
    os.environ.clear()


def _code(document):
    """The task file's code object, and its marshalled form when the host has none cached yet.

    The host caches what the start message carries: it is made here, before any of the task's own
    code has run, so a task cannot hand later runs of its file code other than its source's."""
    cached = document.get("code")
    if cached:
        return marshal.loads(binascii.a2b_base64(cached)), None
    code = compile(document["source"], document["file"], "exec")
    return code, binascii.b2a_base64(marshal.dumps(code), newline=False).decode("ascii")


_DECODER = json.JSONDecoder()
_RESULT_ENCODER = json.JSONEncoder(default=str)  # json.dumps(result, default=str), made once


def _read_document(data):
    """The host's task document: compact JSON, so the C scanner reads it without json.loads's
    encoding detection and whitespace regexes (a millisecond on the interpreted eval loop)."""
    document, _ = _DECODER.scan_once(data.decode("utf-8"), 0)
    return document


def _undecorated_main(name, namespace):
    """Older capsule-run files end with ``if __name__ == "__main__": asyncio.run(main())`` and
    leave ``main`` (often ``async``) undecorated: it runs as the main task, with default options."""
    candidate = namespace.get(name) if name == "main" else None
    return candidate if callable(candidate) else None


def _load(document):
    """Makes the interpreter the task's own and loads its file: (namespace, code, compiled)."""
    _begin_task(document)
    namespace = {"__name__": "__capsule_task__", "__file__": document["file"]}
    code, compiled = _code(document)
    return namespace, code, compiled


def _call(document, namespace, code):
    """Runs the file, then its task; returns the task's result as JSON (awaited when async)."""
    exec(code, namespace)
    name = document["task"]
    fn = capsule._tasks.get(name) or _undecorated_main(name, namespace)
    if fn is None:
        raise LookupError(f"{document['file']} declares no task named {name!r}")
    result = fn(*document["args"])
    if hasattr(result, "__await__"):
        result = capsule._run_async(result)
    return _RESULT_ENCODER.encode(result)


_task_file = None  # the task file's name, as its code objects and tracebacks spell it
_MAX_TEXT = 2000  # characters of an error's text sent to the host (it bounds them again)


def _location(error):
    """The task file's line where ``error`` happened (the innermost frame in the file, or the
    line a SyntaxError names), or None when it did not happen in the file's code."""
    if isinstance(error, SyntaxError) and error.filename == _task_file:
        return error.lineno
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _task_file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _report(error):
    """Prints the traceback from the task file's first frame on (the boot script's frames are
    not the task's) and reports the error to the host: its type, one line of text, file, line."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != _task_file:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb)
    detail = error.msg if isinstance(error, SyntaxError) else str(error)
    lines = str(detail)[:_MAX_TEXT].strip().splitlines()
    text = type(error).__name__ + (": " + lines[0] if lines else "")
    report = {"type": type(error).__name__, "text": text[:_MAX_TEXT],
              "file": _task_file, "line": _location(error)}
    os.write(capsule._CHANNEL_FD, json.dumps(
        {"op": "error", "answer": False, "payload": report}).encode("utf-8"))


def _run():
    global _task_file
    document = _read_document(sys.stdin.buffer.read())
    _task_file = document["file"]
    namespace, code, compiled = _load(document)
    gc.collect()
    gc.freeze()  # start-up objects never charge the task's collections
    capsule._notify("start", compiled)  # the task's own work (and its fuel) starts here
    sys.stdout = sys.stderr  # print() lands in the logs, as console.log does; results go to the host
    capsule._notify("result", _call(document, namespace, code))


if os.environ.get("CAPSULE_SNAPSHOT"):
    for _ in range(3):
        _practice()
gc.collect()
gc.freeze()

try:
    _run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no interpreter finalisation: it would tear down every preloaded module
except SystemExit:
    raise
except BaseException as error:
    _report(error)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)
