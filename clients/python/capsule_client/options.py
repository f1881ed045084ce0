"""Task options as capsule-run spells them, checked before anything is sent.

Each check raises :class:`InvalidArgument` naming the parameter at fault. The accepted forms are
those of the task request schema (protocol/src/main/resources/schemas/task-request.schema.json).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

from .errors import InvalidArgument

LEVELS = {"LOW": 100_000_000, "MEDIUM": 2_000_000_000, "HIGH": 50_000_000_000}
_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?\s*([kKmMgGtT]?)([iI]?[bB]?)$")
_DURATION = re.compile(r"^(([0-9]+(\.[0-9]+)?)(ms|s|m|h))+$|^[0-9]+(\.[0-9]+)?$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
_NUMBER_TEXT = re.compile(r"^[0-9_,]+$")
MAX_RETRIES = 100


@dataclass(frozen=True)
class TaskOptions:
    """Validated limits and permissions of one task; None means the worker's default."""

    compute: Union[str, int, None] = None
    ram: Union[str, int, None] = None
    timeout: Union[str, float, int, None] = None
    max_retries: Optional[int] = None
    allowed_files: Optional[list] = None
    allowed_hosts: Optional[list] = None
    env_variables: Optional[list] = None

    @staticmethod
    def of(
        compute=None,
        ram=None,
        timeout=None,
        max_retries=None,
        allowed_files=None,
        allowed_hosts=None,
        env_variables=None,
    ) -> "TaskOptions":
        return TaskOptions(
            compute=check_compute(compute),
            ram=check_ram(ram),
            timeout=check_timeout("timeout", timeout),
            max_retries=check_max_retries(max_retries),
            allowed_files=check_files(allowed_files),
            allowed_hosts=check_strings("allowed_hosts", allowed_hosts),
            env_variables=check_env(env_variables),
        )

    def over(self, declared: "TaskOptions") -> "TaskOptions":
        """These options, with unset limits taken from ``declared`` (the file's own)."""
        return TaskOptions(
            compute=self.compute if self.compute is not None else declared.compute,
            ram=self.ram if self.ram is not None else declared.ram,
            timeout=self.timeout if self.timeout is not None else declared.timeout,
            max_retries=self.max_retries if self.max_retries is not None else declared.max_retries,
            allowed_files=self.allowed_files,
            allowed_hosts=self.allowed_hosts,
            env_variables=self.env_variables,
        )

    def fuel(self) -> int:
        """The fuel budget the compute option names (MEDIUM when unset)."""
        if self.compute is None:
            return LEVELS["MEDIUM"]
        if isinstance(self.compute, int):
            return self.compute
        return LEVELS[self.compute]

    def level(self) -> str:
        """The level topic suffix: a level by name, custom fuel to the smallest that holds it."""
        if isinstance(self.compute, str):
            return self.compute.lower()
        fuel = self.fuel()
        for name in ("LOW", "MEDIUM"):
            if fuel <= LEVELS[name]:
                return name.lower()
        return "high"

    def limits_json(self) -> dict:
        limits = {
            "compute": self.compute,
            "ram": self.ram,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }
        return {k: v for k, v in limits.items() if v is not None}

    def permissions_json(self) -> dict:
        permissions = {
            "allowed_files": self.allowed_files,
            "allowed_hosts": self.allowed_hosts,
            "env_variables": self.env_variables,
        }
        return {k: v for k, v in permissions.items() if v is not None}

    def timeout_seconds(self) -> Optional[float]:
        return None if self.timeout is None else duration_seconds(self.timeout)


def check_compute(value: Any) -> Union[str, int, None]:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidArgument("compute", f"expected LOW, MEDIUM, HIGH or a fuel number, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise InvalidArgument("compute", f"fuel must be at least 1, got {value}")
        return value
    if isinstance(value, str):
        if value.upper() in LEVELS:
            return value.upper()
        if _NUMBER_TEXT.match(value) and int(value.replace("_", "").replace(",", "") or "0") >= 1:
            return int(value.replace("_", "").replace(",", ""))
    raise InvalidArgument("compute", f"expected LOW, MEDIUM, HIGH or a fuel number, got {value!r}")


def check_ram(value: Any) -> Union[str, int, None]:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and _SIZE.match(value.strip()):
        return value.strip()
    raise InvalidArgument("ram", f"expected a size such as '64MB' or a number of bytes, got {value!r}")


def check_timeout(parameter: str, value: Any) -> Union[str, float, int, None]:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value > 0 and math.isfinite(value):
            return value
    elif isinstance(value, str) and _DURATION.match(value.strip()):
        if duration_seconds(value.strip()) > 0:
            return value.strip()
    raise InvalidArgument(
        parameter, f"expected a duration such as '500ms', '30s', '5m' or seconds > 0, got {value!r}"
    )


def duration_seconds(value: Union[str, float, int]) -> float:
    """Seconds of a duration in the contract's forms (a bare number is seconds)."""
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    if re.match(r"^[0-9]+(\.[0-9]+)?$", text):
        return float(text)
    return sum(float(n) * _SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def check_max_retries(value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RETRIES:
        return value
    raise InvalidArgument("max_retries", f"expected an integer from 0 to {MAX_RETRIES}, got {value!r}")


def check_strings(parameter: str, values: Optional[Iterable[Any]]) -> Optional[list]:
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not _iterable(values):
        raise InvalidArgument(parameter, f"expected a list of strings, got {values!r}")
    checked = list(values)
    for value in checked:
        if not isinstance(value, str) or not value:
            raise InvalidArgument(parameter, f"expected non-empty strings, got {value!r}")
    return checked


def check_env(values: Optional[Iterable[Any]]) -> Optional[list]:
    checked = check_strings("env_variables", values)
    for name in checked or []:
        if "=" in name:
            raise InvalidArgument("env_variables", f"a variable name cannot hold '=': {name!r}")
    return checked


def check_files(values: Optional[Iterable[Any]]) -> Optional[list]:
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not _iterable(values):
        raise InvalidArgument("allowed_files", f"expected a list, got {values!r}")
    checked = []
    for value in values:
        if isinstance(value, str) and value:
            checked.append(value)
        elif isinstance(value, dict) and isinstance(value.get("path"), str) and value["path"]:
            if value.get("mode", "rw") not in ("ro", "rw"):
                raise InvalidArgument("allowed_files", f"mode must be 'ro' or 'rw': {value!r}")
            checked.append(dict(value))
        else:
            raise InvalidArgument(
                "allowed_files", f"expected 'DIR', 'DIR:ro' or {{'path': DIR, 'mode': 'ro'}}, got {value!r}"
            )
    return checked


def _iterable(value: Any) -> bool:
    try:
        iter(value)
        return True
    except TypeError:
        return False
