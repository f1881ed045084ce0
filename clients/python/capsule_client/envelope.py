"""The result envelope: the JSON object capsule-run's run() returns, with typed accessors."""

from __future__ import annotations

from typing import Any, Optional

from .errors import TaskFailed


class Envelope(dict):
    """A result envelope. It is the plain JSON object (``envelope["success"]`` works as with
    capsule-run's ``run()``), plus read-only accessors and :meth:`raise_for_error`."""

    @property
    def success(self) -> bool:
        return bool(self.get("success"))

    @property
    def result(self) -> Any:
        return self.get("result")

    @property
    def error_type(self) -> Optional[str]:
        """The error's ``error_type`` (``fuel_exhausted``, ``timeout``, ...), or None on success."""
        error = self.get("error")
        return error.get("error_type") if isinstance(error, dict) else None

    @property
    def error_message(self) -> Optional[str]:
        error = self.get("error")
        return error.get("message") if isinstance(error, dict) else None

    @property
    def execution(self) -> dict:
        return self.get("execution") or {}

    @property
    def task_id(self) -> Optional[str]:
        return self.get("task_id")

    def raise_for_error(self) -> "Envelope":
        """Raises :class:`TaskFailed` (with ``error_type``) when the task failed; returns self."""
        if not self.success:
            raise TaskFailed(self)
        return self
