"""capsule-client: run Capsule tasks on a Kafka-fed fleet, or locally, with capsule-run's run().

    from capsule_client import run
    result = await run(file="./hello.py", args=[])     # capsule-run's call, one import changed

With ``bootstrap_servers=`` or ``$CAPSULE_BOOTSTRAP_SERVERS`` the task goes to that fleet (one
shared :class:`Client` per cluster, closed at exit); with neither it runs on this machine through
the ``capsule`` command. Either way the result is the envelope as capsule-run returns it.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from typing import Any, Optional

from .envelope import Envelope
from .errors import (
    CapsuleError,
    CapsuleTimeout,
    FleetError,
    InvalidArgument,
    LocalRunError,
    TaskCancelled,
    TaskFailed,
)
from .local import LocalCall, run_local, run_local_sync
from .options import TaskOptions, check_timeout

__all__ = [
    "run",
    "run_sync",
    "Client",
    "TaskHandle",
    "Envelope",
    "CapsuleError",
    "CapsuleTimeout",
    "FleetError",
    "InvalidArgument",
    "LocalRunError",
    "TaskCancelled",
    "TaskFailed",
]

_shared: dict = {}
_shared_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    # the fleet side needs confluent-kafka; local runs do not
    if name in ("Client", "TaskHandle"):
        from . import fleet

        return getattr(fleet, name)
    raise AttributeError(name)


async def run(
    *,
    file,
    args=None,
    mounts=None,
    cwd=None,
    capsule_path=None,
    compute=None,
    ram=None,
    timeout=None,
    max_retries=None,
    allowed_files=None,
    allowed_hosts=None,
    env_variables=None,
    task: str = "main",
    task_id: Optional[str] = None,
    wait: Optional[float] = None,
    bootstrap_servers: Optional[str] = None,
    **settings: Any,
) -> Envelope:
    """Runs one task and returns its envelope (a failed task too: ``envelope.raise_for_error()``).

    ``file`` is a .wasm module or a .py/.js/.ts task file; the options are capsule-run's task
    options. capsule-run's own ``cwd`` (where ``file`` resolves), ``mounts`` and ``capsule_path``
    are taken too (the last two by local runs only). ``wait`` bounds the wait in seconds (:class:`CapsuleTimeout` past it; default: every
    attempt's timeout plus two minutes on a fleet, none locally). ``bootstrap_servers`` (or
    ``$CAPSULE_BOOTSTRAP_SERVERS``) picks the fleet; other keywords are confluent-kafka settings.
    """
    options = TaskOptions.of(compute, ram, timeout, max_retries, allowed_files, allowed_hosts, env_variables)
    servers = bootstrap_servers or os.environ.get("CAPSULE_BOOTSTRAP_SERVERS")
    if not servers:
        _no_settings(settings)
        call = LocalCall.of(cwd, mounts, capsule_path)
        return await run_local(file, args, options, task, _local_wait(wait), call)
    file = _fleet_file(file, cwd, mounts)
    loop = asyncio.get_running_loop()
    client = await loop.run_in_executor(None, _client, servers, settings)
    return await client.run(file, args, wait=wait, task=task, task_id=task_id, **_option_kwargs(options))


def run_sync(
    *,
    file,
    args=None,
    mounts=None,
    cwd=None,
    capsule_path=None,
    compute=None,
    ram=None,
    timeout=None,
    max_retries=None,
    allowed_files=None,
    allowed_hosts=None,
    env_variables=None,
    task: str = "main",
    task_id: Optional[str] = None,
    wait: Optional[float] = None,
    bootstrap_servers: Optional[str] = None,
    **settings: Any,
) -> Envelope:
    """:func:`run` without ``await``."""
    options = TaskOptions.of(compute, ram, timeout, max_retries, allowed_files, allowed_hosts, env_variables)
    servers = bootstrap_servers or os.environ.get("CAPSULE_BOOTSTRAP_SERVERS")
    if not servers:
        _no_settings(settings)
        return run_local_sync(file, args, options, task, _local_wait(wait), LocalCall.of(cwd, mounts, capsule_path))
    file = _fleet_file(file, cwd, mounts)
    client = _client(servers, settings)
    return client.run_sync(file, args, wait=wait, task=task, task_id=task_id, **_option_kwargs(options))


def _fleet_file(file, cwd, mounts):
    if mounts:
        raise InvalidArgument(
            "mounts", "host mounts apply to local runs; on a fleet grant allowed_files under the worker's --files-root"
        )
    return LocalCall.of(cwd).path(file) if cwd is not None else file


def _option_kwargs(options: TaskOptions) -> dict:
    return {
        "compute": options.compute,
        "ram": options.ram,
        "timeout": options.timeout,
        "max_retries": options.max_retries,
        "allowed_files": options.allowed_files,
        "allowed_hosts": options.allowed_hosts,
        "env_variables": options.env_variables,
    }


def _local_wait(wait: Optional[float]) -> Optional[float]:
    return None if wait is None else float(check_timeout("wait", wait))


def _no_settings(settings: dict) -> None:
    if settings:
        name = sorted(settings)[0]
        raise InvalidArgument(name, "Kafka settings need a cluster (bootstrap_servers= or $CAPSULE_BOOTSTRAP_SERVERS)")


def _client(servers: str, settings: dict):
    from .fleet import Client

    key = (servers, tuple(sorted((k, repr(v)) for k, v in settings.items())))
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = Client(servers, **settings)
    return client


@atexit.register
def _close_shared() -> None:
    with _shared_lock:
        clients = list(_shared.values())
        _shared.clear()
    for client in clients:
        client.close()
