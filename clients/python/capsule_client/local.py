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
from typing import Any, List, Optional

from .envelope import Envelope
from .errors import CapsuleTimeout, InvalidArgument, LocalRunError
from .options import TaskOptions
from .request import check_args, check_task

LOCAL_EXTENSIONS = (".wasm", ".wat", ".capsule", ".py", ".js", ".mjs", ".ts", ".mts")


def capsule_command() -> List[str]:
    """``$CAPSULE_COMMAND`` (split like a shell would, e.g. ``/opt/capsule/capsule``) or
    ``capsule`` on the PATH."""
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


def command_line(file, args_file: Optional[str], options: TaskOptions, task: str) -> List[str]:
    """The ``capsule run`` arguments for a task file and its options."""
    line = ["run", os.path.abspath(os.fspath(file)), "--json", "--task", task]
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


async def run_local(file, args, options: TaskOptions, task: str = "main", wait: Optional[float] = None) -> Envelope:
    """Runs the task with the capsule command; returns the envelope it prints."""
    line, cleanup = _prepare(file, args, options, task)
    try:
        try:
            process = await asyncio.create_subprocess_exec(
                *line, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
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


def run_local_sync(file, args, options: TaskOptions, task: str = "main", wait: Optional[float] = None) -> Envelope:
    line, cleanup = _prepare(file, args, options, task)
    try:
        try:
            done = subprocess.run(line, capture_output=True, timeout=wait)
        except subprocess.TimeoutExpired:
            raise CapsuleTimeout(f"local:{os.path.basename(os.fspath(file))}", wait) from None
        except OSError as e:
            raise _not_started(line, e) from None
        return _parse(done.returncode, done.stdout, done.stderr)
    finally:
        cleanup()


def _prepare(file, args, options: TaskOptions, task: str):
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
    line = capsule_command() + command_line(file, args_file, options, task)
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
