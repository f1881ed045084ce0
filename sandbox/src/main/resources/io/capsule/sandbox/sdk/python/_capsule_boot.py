"""Runs one task of a Python task file: reads {task, args, file, source, env} from stdin.

Everything before the first read of stdin is the same for every task, so the host snapshots the
interpreter there once and resumes each task from the snapshot: the modules imported here are
imported once, not per task. Nothing task-specific may happen before that read.
"""

import gc
import json
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
gc.collect()
gc.freeze()


def _begin_task(document):
    """Makes a resumed interpreter the task's own: its environment and fresh random state."""
    os.environ.clear()
    os.environ.update(document.get("env") or {})
    import random
    random.seed()


def _run():
    document = json.loads(sys.stdin.buffer.read())
    _begin_task(document)
    namespace = {"__name__": "__capsule_task__", "__file__": document["file"]}
    code = compile(document["source"], document["file"], "exec")
    gc.collect()
    gc.freeze()  # start-up objects never charge the task's collections
    capsule._host("start", None)  # the task's own work (and its fuel) starts here
    sys.stdout = sys.stderr  # print() lands in the logs, as console.log does; results go to the host
    exec(code, namespace)
    name = document["task"]
    fn = capsule._tasks.get(name)
    if fn is None:
        raise LookupError(f"{document['file']} declares no task named {name!r}")
    result = fn(*document["args"])
    if hasattr(result, "__await__"):
        result = capsule._run_async(result)
    capsule._host("result", json.dumps(result, default=str))


try:
    _run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no interpreter finalisation: it would tear down every preloaded module
except SystemExit:
    raise
except BaseException as error:
    traceback.print_exc()
    capsule._host("error", f"{type(error).__name__}: {error}")
    sys.stdout.flush()
    os._exit(1)
