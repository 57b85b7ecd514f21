"""What importing a bot module loads, read from the source: for tests that keep heavy
libraries out of a start until they are needed."""

from __future__ import annotations

import re

from tests.processes import REPO_ROOT

#: An import at the start of a line: one the module runs when it is loaded (one inside a function
#: or under `if TYPE_CHECKING:` is indented). `from X import (a, b)` may span lines.
_IMPORT = re.compile(r"^(?:import\s+([^\n#]+)|from\s+([\w.]+)\s+import\s+(\([^)]*\)|[^\n]*))", re.M)


def imported_on_load(module: str) -> set[str]:
    """Every module `import module` loads by the bot's own module-level imports: the `bot`
    modules followed, the libraries named (not what they import in turn). Imports inside
    functions, loaded on first use, do not count."""
    package = REPO_ROOT / "bot"
    files = {
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for path in package.rglob("*.py")
    }
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in files:
            continue  # a library
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # its packages first
        for found in _IMPORT.finditer(files[name].read_text(encoding="utf-8")):
            imported, source, names = found.groups()
            if imported is not None:
                todo.extend(item.split()[0] for item in imported.split(","))
                continue
            todo.append(source)
            for word in re.findall(r"\w+", re.sub(r"#.*", "", names)):
                if f"{source}.{word}" in files:  # `from bot.core import chart`: a module
                    todo.append(f"{source}.{word}")
    return seen
