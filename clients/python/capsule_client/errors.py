"""The client's exceptions: one root, a subtype per thing the caller does next."""

from __future__ import annotations

from typing import Any, Mapping, Optional


class CapsuleError(Exception):
    """Root of every error this client raises."""


class InvalidArgument(CapsuleError, ValueError):
    """A bad argument to run/submit, refused before anything is sent; names the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class CapsuleTimeout(CapsuleError, TimeoutError):
    """No final envelope arrived within the wait bound. The task may still run: see status(id)."""

    def __init__(self, task_id: str, timeout: float):
        super().__init__(
            f"no result for task {task_id} within {timeout:g}s (it may still run: status({task_id!r}))"
        )
        self.task_id = task_id
        self.timeout = timeout


class TaskCancelled(CapsuleError):
    """The task was cancelled (by this client or anyone else) before it produced an envelope."""

    def __init__(self, task_id: str):
        super().__init__(f"task {task_id} was cancelled")
        self.task_id = task_id


class TaskFailed(CapsuleError):
    """A final envelope with success false; carries its error_type, message and the envelope."""

    def __init__(self, envelope: Mapping[str, Any]):
        error = envelope.get("error") or {}
        self.error_type: str = error.get("error_type", "internal_error")
        self.message: str = error.get("message", "")
        self.envelope = envelope
        self.task_id: Optional[str] = envelope.get("task_id")
        super().__init__(f"{self.error_type}: {self.message}")


class FleetError(CapsuleError):
    """Kafka refused or could not take a record, or a topic of the contract is missing."""


class LocalRunError(CapsuleError):
    """The local capsule command is missing, refused its arguments or printed no envelope."""
