"""Runs a task on this machine through the ``capsule`` command (its warm local daemon), as
capsule-run's ``run()`` does with its CLI: ``capsule run FILE --json ...``."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any, List, Optional

from .envelope import Envelope
from .errors import CapsuleTimeout, InvalidArgument, LocalRunError
from .options import TaskOptions
from .request import check_args, check_task

LOCAL_EXTENSIONS = (".wasm", ".wat", ".capsule", ".py", ".js", ".mjs", ".ts", ".mts")


@dataclass(frozen=True)
class LocalCall:
    """capsule-run's run() parameters that only a local run has: ``cwd`` (where the file and
    relative paths resolve, and the command runs), ``mounts`` (``--mount`` specs) and
    ``capsule_path`` (the command)."""

    cwd: Optional[str] = None
    mounts: List[str] = field(default_factory=list)
    capsule_path: Optional[str] = None

    @staticmethod
    def of(cwd=None, mounts=None, capsule_path=None) -> "LocalCall":
        if cwd is not None and not os.path.isdir(cwd):
            raise InvalidArgument("cwd", f"not a directory: {cwd!r}")
        if mounts is not None and (isinstance(mounts, str) or not all(isinstance(m, str) and m for m in mounts)):
            raise InvalidArgument("mounts", f"expected a list of 'HOST[::GUEST][:ro|:rw]' strings, got {mounts!r}")
        if capsule_path is not None and (not isinstance(capsule_path, str) or not capsule_path):
            raise InvalidArgument("capsule_path", f"expected the capsule command's path, got {capsule_path!r}")
        return LocalCall(cwd, list(mounts or []), capsule_path)

    def path(self, file) -> str:
        return os.path.join(self.cwd, os.fspath(file)) if self.cwd else os.fspath(file)


def capsule_command(capsule_path: Optional[str] = None) -> List[str]:
    """``capsule_path``, ``$CAPSULE_COMMAND`` (split like a shell would, e.g.
    ``/opt/capsule/capsule``) or ``capsule`` on the PATH."""
    if capsule_path:
        return [capsule_path]
    configured = os.environ.get("CAPSULE_COMMAND")
    if configured:
        return shlex.split(configured)
    found = shutil.which("capsule")
    if found is None:
        raise LocalRunError(
            "no capsule command: put capsule on the PATH or set $CAPSULE_COMMAND to the repository's "
            "./capsule (or name a cluster: bootstrap_servers= or $CAPSULE_BOOTSTRAP_SERVERS)"
        )
    return [found]


def command_line(file, args_file: Optional[str], options: TaskOptions, task: str, mounts=()) -> List[str]:
    """The ``capsule run`` arguments for a task file and its options."""
    line = ["run", os.path.abspath(os.fspath(file)), "--json", "--task", task]
    for mount in mounts:
        line += ["--mount", mount]
    flags = (
        ("--compute", options.compute),
        ("--ram", options.ram),
        ("--timeout", None if options.timeout is None else _duration(options.timeout)),
        ("--max-retries", options.max_retries),
    )
    for flag, value in flags:
        if value is not None:
            line += [flag, str(value)]
    for grant in options.allowed_files or []:
        line += ["--allow-file", grant if isinstance(grant, str) else f"{grant['path']}:{grant.get('mode', 'rw')}"]
    for host in options.allowed_hosts or []:
        line += ["--allow-host", host]
    for name in options.env_variables or []:
        line += ["--env", name]
    if args_file is not None:
        line += ["--args-file", args_file]
    return line


async def run_local(
    file, args, options: TaskOptions, task: str = "main", wait: Optional[float] = None, call: LocalCall = LocalCall()
) -> Envelope:
    """Runs the task with the capsule command; returns the envelope it prints."""
    line, cleanup = _prepare(call.path(file), args, options, task, call)
    try:
        try:
            process = await asyncio.create_subprocess_exec(
                *line, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=call.cwd
            )
        except OSError as e:
            raise _not_started(line, e) from None
        try:
            out, err = await asyncio.wait_for(process.communicate(), wait)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise CapsuleTimeout(f"local:{os.path.basename(os.fspath(file))}", wait) from None
        return _parse(process.returncode, out, err)
    finally:
        cleanup()


def run_local_sync(
    file, args, options: TaskOptions, task: str = "main", wait: Optional[float] = None, call: LocalCall = LocalCall()
) -> Envelope:
    line, cleanup = _prepare(call.path(file), args, options, task, call)
    try:
        try:
            done = subprocess.run(line, capture_output=True, timeout=wait, cwd=call.cwd)
        except subprocess.TimeoutExpired:
            raise CapsuleTimeout(f"local:{os.path.basename(os.fspath(file))}", wait) from None
        except OSError as e:
            raise _not_started(line, e) from None
        return _parse(done.returncode, done.stdout, done.stderr)
    finally:
        cleanup()


def _prepare(file, args, options: TaskOptions, task: str, call: LocalCall):
    if not isinstance(file, (str, os.PathLike)) or not os.fspath(file):
        raise InvalidArgument("file", f"expected a path to a task file, got {file!r}")
    if not os.fspath(file).lower().endswith(LOCAL_EXTENSIONS):
        raise InvalidArgument("file", f"{file}: expected .wasm, .wat, .capsule, .py, .js/.mjs or .ts/.mts")
    if not os.path.isfile(file):
        raise InvalidArgument("file", f"file not found: {os.path.abspath(os.fspath(file))}")
    arguments = check_args(args)
    task = check_task(task)
    args_file = None
    if arguments:
        # a JSON array keeps each argument's JSON type (the command line would make them text)
        handle, args_file = tempfile.mkstemp(prefix="capsule-args-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(arguments, out)
    line = capsule_command(call.capsule_path) + command_line(file, args_file, options, task, call.mounts)
    return line, (lambda: os.unlink(args_file)) if args_file else (lambda: None)


def _not_started(line: List[str], error: OSError) -> LocalRunError:
    return LocalRunError(f"cannot start the capsule command {line[0]!r}: {error.strerror or error}")


def _parse(code: int, out: bytes, err: bytes) -> Envelope:
    text = out.decode("utf-8", "replace").strip()
    if text:
        try:
            parsed = json.loads(text.splitlines()[-1])
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "success" in parsed:
            return Envelope(parsed)
    reason = err.decode("utf-8", "replace").strip().splitlines()
    raise LocalRunError(f"capsule run exited {code}: {reason[-1] if reason else text or 'no output'}")


def _duration(value: Any) -> str:
    return value if isinstance(value, str) else f"{int(value * 1000)}ms"
