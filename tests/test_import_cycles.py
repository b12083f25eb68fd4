"""No module inside intake/ needs, however indirectly, a module that needs it.

A cycle means one module holds two ideas (STYLE.md, rule 13); function-level imports that
only hide a cycle from Python count too. Only the imports a module writes are followed, not
the parent packages Python loads on the way.
"""

import ast
from pathlib import Path

import intake

PACKAGE_DIR = Path(intake.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE_DIR.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The intake modules this module imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {module for module in found if module in known and module != name}


def import_cycles() -> list[list[str]]:
    """Every group of intake modules that import one another in a circle (Tarjan)."""
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_intake_has_no_import_cycle():
    assert import_cycles() == []


def test_a_cycle_would_be_found(tmp_path, monkeypatch):
    package = tmp_path / "intake"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from intake import b\n")
    (package / "b.py").write_text("from intake.a import f\n")
    (package / "c.py").write_text("from . import a\n")
    monkeypatch.setitem(globals(), "PACKAGE_DIR", package)
    assert import_cycles() == [["intake.a", "intake.b"]]
