"""What a task file becomes in a request: a module (.wasm) or a script (.py, .js/.mjs, .ts/.mts).

For scripts the options ``main`` (or the named task) declares in its literal ``@task(...)`` /
``task({...}, fn)`` arguments are read here, as ``capsule submit`` does, so that the request routes
to the declared compute level and carries the declared ram and retries (the worker reads the rest
from the file itself).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from typing import Optional

from .errors import InvalidArgument
from .options import TaskOptions, check_compute, check_max_retries, check_ram, check_timeout

SCRIPT_EXTENSIONS = (".py", ".js", ".mjs", ".ts", ".mts")
MODULE_EXTENSIONS = (".wasm",)
_JS_OPTION = re.compile(
    r"""\b(name|compute|ram|timeout|maxRetries|max_retries)\s*:\s*("[^"]*"|'[^']*'|[0-9_]+)"""
)


@dataclass(frozen=True)
class TaskSource:
    """A task file's content: ``module`` bytes for .wasm, or ``script`` text with its file name."""

    file_name: str
    module: Optional[bytes] = None
    script: Optional[str] = None

    @staticmethod
    def read(file) -> "TaskSource":
        if not isinstance(file, (str, os.PathLike)) or not str(file):
            raise InvalidArgument("file", f"expected a path to a task file, got {file!r}")
        path = os.fspath(file)
        name = os.path.basename(path)
        extension = os.path.splitext(name)[1].lower()
        if extension not in SCRIPT_EXTENSIONS + MODULE_EXTENSIONS:
            raise InvalidArgument(
                "file", f"{name}: expected a .wasm module or a .py/.js/.mjs/.ts/.mts task file"
            )
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as e:
            raise InvalidArgument("file", f"cannot read {path}: {e.strerror or e}") from None
        if extension in MODULE_EXTENSIONS:
            if not content.startswith(b"\0asm"):
                raise InvalidArgument("file", f"{name} is not a WebAssembly binary")
            return TaskSource(name, module=content)
        return TaskSource.of_script(name, content.decode("utf-8"))

    @staticmethod
    def of_script(file_name: str, source: str) -> "TaskSource":
        if not isinstance(file_name, str) or "/" in file_name or not file_name.lower().endswith(
            SCRIPT_EXTENSIONS
        ):
            raise InvalidArgument("file_name", f"expected NAME.py/.js/.mjs/.ts/.mts, got {file_name!r}")
        if not isinstance(source, str) or not source:
            raise InvalidArgument("source", "expected the task file's text")
        return TaskSource(file_name, script=source)

    def is_python(self) -> bool:
        return self.file_name.lower().endswith(".py")

    def declared(self, task: str) -> TaskOptions:
        """The limits ``task`` declares in a script (empty for modules or unreadable files)."""
        if self.script is None:
            return TaskOptions()
        found = _python_options(self.script, task) if self.is_python() else _js_options(self.script, task)
        try:
            return TaskOptions(
                compute=check_compute(found.get("compute")),
                ram=check_ram(found.get("ram")),
                timeout=check_timeout("timeout", found.get("timeout")),
                max_retries=check_max_retries(found.get("max_retries")),
            )
        except InvalidArgument:
            return TaskOptions()  # the worker reports a bad declaration in the envelope


def _python_options(source: str, task: str) -> dict:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                options = _decorator_options(decorator)
                if options is not None and options.get("name", node.name) == task:
                    return options
    return {}


def _decorator_options(decorator) -> Optional[dict]:
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if called != "task":
        return None
    options = {}
    for keyword in decorator.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Constant):
            options[keyword.arg] = keyword.value.value
    return options


def _js_options(source: str, task: str) -> dict:
    for start in (m.end() - 1 for m in re.finditer(r"\btask\s*\(\s*\{", source)):
        literal = _braced(source, start)
        options = {}
        for key, value in _JS_OPTION.findall(literal):
            key = "max_retries" if key == "maxRetries" else key
            options.setdefault(key, value[1:-1] if value[0] in "'\"" else int(value.replace("_", "")))
        if options.get("name") == task:
            return options
    return {}


def _braced(text: str, start: int) -> str:
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start : index + 1]
    return text[start:]
