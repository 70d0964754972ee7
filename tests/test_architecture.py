"""The one rule: conversation and service logic never import a platform library."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIBRARIES = {"telegram", "wechatpy"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_handlers_knowledge_and_domain_modules_do_not_import_platform_libraries():
    checked = [*ROOT.glob("handlers/*.py"), *ROOT.glob("knowledge/*.py"), *ROOT.glob("bot/*.py")]
    assert len(checked) > 30
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & PLATFORM_LIBRARIES) for p in checked}
    assert {path: libs for path, libs in offenders.items() if libs} == {}


def test_every_module_and_public_function_has_a_docstring():
    missing = []
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py"), *ROOT.glob("knowledge/*.py")]:
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.stat().st_size and not ast.get_docstring(tree):
            missing.append(str(path.relative_to(ROOT)))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    missing.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert missing == []
