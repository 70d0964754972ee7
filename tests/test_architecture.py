"""The layers, as the tree shows them: which package may import which, no platform SDK below the channels, no cycles."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "knowledge")
PLATFORM_SDKS = {"telegram", "wechatpy", "aiohttp", "httpx", "requests", "starlette", "uvicorn"}
# bot's own top-level modules that everything may use: settings and logging set-up are leaves
SHARED_LEAVES = {"bot.config"}
FORBIDDEN = {
    "bot.storage": {"bot.core", "bot.office", "bot.delivery", "bot.channels", "bot.cli", "bot.desk", "handlers"},
    "bot.core": {"bot.office", "bot.delivery", "bot.channels", "bot.cli", "bot.desk", "handlers"},
    "bot.delivery": {"bot.office", "bot.channels", "bot.cli", "bot.desk", "handlers"},
    "bot.office": {"bot.channels", "bot.cli", "bot.desk", "handlers"},
    "bot.channels": {"bot.cli", "bot.desk", "handlers"},
    "bot.desk": {"bot.cli", "handlers"},
    "handlers": {"bot.channels", "bot.cli", "bot.desk", "bot.delivery"},
    "knowledge": {"bot", "handlers"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for top in SOURCES:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return names


def _package(module: str) -> str:
    """The layer a module belongs to: bot.<package> for bot's sub-packages, else its top-level name."""
    parts = module.split(".")
    if (parts[0] == "bot" and len(parts) > 2) or (parts[0] == "bot" and len(parts) == 2 and module not in MODULES):
        return ".".join(parts[:2])
    if parts[0] == "bot" and len(parts) == 2 and (ROOT / "bot" / parts[1]).is_dir():
        return module
    return module if parts[0] == "bot" else parts[0]


def _layer_of(module: str) -> str:
    for layer in sorted(FORBIDDEN, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return module


def test_each_layer_imports_only_what_it_may():
    offenders = []
    for name, path in MODULES.items():
        layer = _layer_of(name)
        for target in _imports(name, path):
            for banned in FORBIDDEN.get(layer, ()):
                if (target == banned or target.startswith(banned + ".")) and target not in SHARED_LEAVES:
                    offenders.append(f"{name} imports {target}")
    assert offenders == []


def test_only_the_command_line_entry_imports_the_cli():
    offenders = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if not name.startswith("bot.cli") and name != "bot.__main__"
        for target in _imports(name, path)
        if target == "bot.cli" or target.startswith("bot.cli.")
    ]
    assert offenders == []


def test_no_platform_sdk_outside_the_channels_and_the_web_edge():
    edge = ("bot.channels", "bot.desk", "bot.web", "bot.runner", "bot.cli", "bot.__main__")
    offenders = {
        name: sorted({t.split(".")[0] for t in _imports(name, path)} & PLATFORM_SDKS)
        for name, path in MODULES.items()
        if not name.startswith(edge)
    }
    assert {name: sdks for name, sdks in offenders.items() if sdks} == {}


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        source = _package(name)
        for target in _imports(name, path):
            if target.split(".")[0] in SOURCES and target not in SHARED_LEAVES:
                destination = _package(target)
                if destination != source and not source.startswith(destination + ".") and not destination.startswith(source + "."):
                    graph[source].add(destination)
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(" → ".join([*trail[trail.index(nxt) :], nxt]))
            elif len(trail) < 12:
                visit(nxt, [*trail, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_bot_keeps_only_a_handful_of_loose_modules():
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 8, loose


def test_every_package_says_what_it_holds_and_may_import():
    missing = [
        str(init.relative_to(ROOT))
        for top in SOURCES
        for init in (ROOT / top).rglob("__init__.py")
        if "migrations" not in init.parts and not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    ]
    assert missing == []


def test_every_module_and_public_function_has_a_docstring():
    missing = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.stat().st_size and not ast.get_docstring(tree):
            missing.append(name)
        for node in tree.body:
            public = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_")
            if public and not ast.get_docstring(node):
                missing.append(f"{name}:{node.name}")
    assert missing == []


# modules whose Chinese literals are vocabulary the bot recognises or settings' defaults, not wording it says
VOCABULARY = {"handlers.words", "handlers.complaint", "handlers.intents", "bot.config", "bot.core.texts", "bot.core.masking"}


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_all_wording_lives_in_texts():
    strays = []
    for name, path in MODULES.items():
        if name in VOCABULARY or name.startswith("knowledge"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        # command-line help is the operator's documentation, not something the bot says
        documentation = docstrings | {
            id(node.value) for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg in ("help", "description")
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation and _has_cjk(node.value):
                strays.append(f"{name}:{node.lineno}: {node.value[:40]}")
    assert strays == []
