"""Runs one task of a Python task file: reads {task, args, file, source} from stdin."""

import gc
import json
import os
import sys
import traceback

import capsule


def _run():
    document = json.loads(sys.stdin.buffer.read())
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
except SystemExit:
    raise
except BaseException as error:
    traceback.print_exc()
    capsule._host("error", f"{type(error).__name__}: {error}")
    sys.stdout.flush()
    os._exit(1)
