"""The README's table of exit statuses lists every status `python -m bot` ends with.

Pins down: each member of `ExitStatus` has exactly one row in the README's table, and the table
lists nothing else; the modules that decide how the process ends (the command line, the bot's
run, the healthcheck and the demo) return and exit only with those members, never with a bare
number the table could miss.
"""

from __future__ import annotations

import ast
import re

from bot.exits import ExitStatus
from tests.processes import REPO_ROOT

#: Where the process's exit status is decided.
DECIDERS = (
    "bot/__main__.py",
    "bot/app.py",
    "bot/health.py",
    "bot/demo.py",
    "bot/backup.py",
)


def readme_statuses() -> list[int]:
    """The first column of the README's table under "| Exit status |"."""
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Exit status |"))
    statuses = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        first = line.split("|")[1]
        found = re.fullmatch(r"\s*`?(\d+)`?\s*", first)
        assert found, f"not a status: {line}"
        statuses.append(int(found.group(1)))
    return statuses


def bare_numbers(path: str) -> list[str]:
    """Returns of a number in functions that return an int, and exit(number) calls."""
    tree = ast.parse((REPO_ROOT / path).read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        returns_int = isinstance(function.returns, ast.Name | ast.Constant) and (
            ast.unparse(function.returns).strip("'\"") == "int"
        )
        for node in ast.walk(function):
            value = None
            if isinstance(node, ast.Return) and returns_int:
                value = node.value
            elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("exit"):
                value = node.args[0] if node.args else None
            if isinstance(value, ast.Constant) and isinstance(value.value, int):
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return sorted(set(found))  # a nested function is walked twice


def test_the_readme_lists_every_exit_status_once_and_nothing_else() -> None:
    assert sorted(readme_statuses()) == sorted(status.value for status in ExitStatus)


def test_the_process_ends_only_with_the_listed_statuses() -> None:
    assert [line for path in DECIDERS for line in bare_numbers(path)] == []
