"""docs/CONFIG.md lists every environment variable the code reads, and nothing else: the settings
classes' variables plus any literal os.environ / getenv read left in non-test code, against the
names in CONFIG.md's tables."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable
from pathlib import Path

from tileshop_pipelines.bootstrap import PROJECT_ROOT

SETTINGS_MODULES = (
    "tileshop_pipelines.settings",
    "tileshop_pipelines.bootstrap",
    "tileshop_pipelines.serving.logs",
    "rag_app.config",
    "crawler.settings",
)
SOURCE_DIRS = ("tileshop_pipelines", "rag_app", "crawler", "bench", "deploy")
_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", re.MULTILINE)


def settings_variables() -> set[str]:
    """The variables of every class on the settings base (its fields' validation aliases)."""
    from tileshop_pipelines.serving.settings import EnvSettings

    for module in SETTINGS_MODULES:
        importlib.import_module(module)
    names, pending = set(), [EnvSettings]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not EnvSettings:
            names |= set(cls.variables().values())
    return names


def raw_reads(source: str) -> set[str]:
    """Literal names read by `os.environ[...]`, `environ.get(...)` or `getenv(...)` in `source`
    (writes such as `os.environ[...] = ...`, `.setdefault` and `.update` are not reads)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_environ(node.value)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            func = node.func
            if (
                (isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value))
                or (isinstance(func, ast.Attribute) and func.attr == "getenv")
                or (isinstance(func, ast.Name) and func.id == "getenv")
            ):
                names.add(node.args[0].value)
    return names


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def code_variables(root: Path = PROJECT_ROOT) -> set[str]:
    names = settings_variables()
    for folder in SOURCE_DIRS:
        for path in (root / folder).rglob("*.py"):
            names |= raw_reads(path.read_text())
    return names


def documented_variables(text: str) -> set[str]:
    """The variables named in the first column of CONFIG.md's tables."""
    return set(_ROW.findall(text))


def differences(read: Iterable[str], documented: Iterable[str]) -> dict[str, list[str]]:
    read, documented = set(read), set(documented)
    return {
        "read but not in docs/CONFIG.md": sorted(read - documented),
        "in docs/CONFIG.md but read by nothing": sorted(documented - read),
    }


def test_config_md_lists_exactly_the_variables_the_code_reads():
    documented = documented_variables((PROJECT_ROOT / "docs" / "CONFIG.md").read_text())
    assert differences(code_variables(), documented) == {
        "read but not in docs/CONFIG.md": [],
        "in docs/CONFIG.md but read by nothing": [],
    }


def test_the_collectors_see_a_raw_read_and_a_stray_row():
    source = (
        "import os\nfrom os import getenv, environ\n"
        "a = os.environ['A_READ']\nb = os.environ.get('B_READ', '')\nc = getenv('C_READ')\n"
        "d = environ.get('D_READ')\nos.environ['WRITTEN'] = '1'\nos.environ.setdefault('DEFAULTED', '1')\n"
    )
    assert raw_reads(source) == {"A_READ", "B_READ", "C_READ", "D_READ"}
    table = "| variable | default | meaning |\n|---|---|---|\n| `A_READ` | 1 | a |\n| `STRAY` | 2 | b |\nnot `C_READ`\n"
    assert documented_variables(table) == {"A_READ", "STRAY"}
    assert differences({"A_READ", "B_READ"}, documented_variables(table)) == {
        "read but not in docs/CONFIG.md": ["B_READ"],
        "in docs/CONFIG.md but read by nothing": ["STRAY"],
    }


def test_every_settings_class_is_seen():
    names = settings_variables()
    assert {
        "TILESHOP_CRAWL_RATE",
        "TILESHOP_QUERY_CACHE_SIZE",
        "CRAWLER_ALLOWED_HOSTS",
        "LOG_FORMAT",
        "DATA_PATH",
    } <= names
