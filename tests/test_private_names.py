"""perfeval uses other libraries through their public names only, and leaves their state alone.

A name that starts with "_" is a library's own business: it changes in any release, without
notice. So no module under perfeval/ may
- import such a name from another library (`from xlsxwriter.utility import _preserve_whitespace`);
- read, set or call such an attribute on anything (`fmt._get_xf_index()`, `url._text = …`),
  unless perfeval itself defines that name (its own private helpers and attributes);
- subclass another library's class and override or call one of that class's private methods
  (`def _write_rows(self)` in a Worksheet subclass, `self._check_dimensions(…)`);
- assign to an attribute of another library's module or object it imported (monkey-patching:
  `xlsxwriter.workbook.ZipFile = …`, `setattr(module, …)`).
Documented names that merely start with "_" (a namedtuple's `_replace`, `os._exit`) are allowed.
"""

from __future__ import annotations

import ast
import builtins
import importlib
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "perfeval"
# public despite the underscore: namedtuple's documented methods, os._exit, sys._getframe
DOCUMENTED = frozenset(("_replace", "_asdict", "_fields", "_field_defaults", "_make", "_exit", "_getframe"))


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in DOCUMENTED


def defined_names(trees: list[ast.AST]) -> set[str]:
    """Every name perfeval defines itself: functions, classes, assignments (to names, and to
    attributes of `self` or `cls`: `self._wb = …`), arguments, imports of its own modules."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
            elif isinstance(node, (ast.Tuple, ast.List)) and any(isinstance(e, ast.Constant) for e in node.elts):
                # __slots__ = ("_x", …) and the like
                names.update(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return names


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _imports(tree: ast.AST, module: str = "") -> tuple[dict[str, str], dict[str, str]]:
    """Local name → dotted path of what it is: for imports from outside perfeval, and for all
    imports (perfeval's own made absolute, `module` being the importing module's name)."""
    foreign: dict[str, str] = {}
    every: dict[str, str] = {}
    package = module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                local, path = (a.asname, a.name) if a.asname else (a.name.split(".")[0],) * 2
                every[local] = path
                if a.name.split(".")[0] != "perfeval":
                    foreign[local] = path
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            for a in node.names:
                every[a.asname or a.name] = f"{base}.{a.name}"
                if node.level == 0 and base.split(".")[0] != "perfeval":
                    foreign[a.asname or a.name] = f"{base}.{a.name}"
    return foreign, every


def _resolve(dotted: str) -> object | None:
    """The object a dotted path names (importing its module), or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _library_privates(cls: type) -> set[str]:
    """The private attributes `cls` has from classes of other libraries (not perfeval's)."""
    out: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] not in ("perfeval", "builtins"):
            out |= {a for a in vars(klass) if is_private(a)}
    return out


def _foreign_bases(tree: ast.AST, imported: dict[str, str]) -> dict[str, set[str]]:
    """Class name → the private attributes of other libraries' classes it derives from
    (directly, through a class of the same module, or through one of perfeval's imported)."""
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}

    def privates_of(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if name in seen or name not in classes:
            return set()
        out: set[str] = set()
        for base in classes[name].bases:
            if isinstance(base, ast.Name) and base.id in classes:
                out |= privates_of(base.id, seen | {name})
                continue
            root = _root(base)
            if isinstance(root, ast.Name) and root.id in imported:
                cls = _resolve(imported[root.id] + ast.unparse(base)[len(root.id) :])
                if isinstance(cls, type):
                    out |= _library_privates(cls)
        return out

    return {name: privates_of(name) for name in classes}


def private_uses(source: str, ours: set[str], module: str = "") -> list[str]:
    """What `source` (perfeval's module `module`) uses of other libraries' private names or
    state; `ours`: the names perfeval defines itself."""
    tree = ast.parse(source)
    foreign, every = _imports(tree, module)
    bases = _foreign_bases(tree, every)
    hits: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] != "perfeval":
            hits += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names if is_private(a.name)]
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            root = _root(node.value)
            if (isinstance(root, ast.Name) and root.id in foreign) or node.attr not in ours:
                hits.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Attribute) and isinstance(_root(sub.value), ast.Name) and _root(sub.value).id in foreign:
                        hits.append(f"line {node.lineno}: assigns {ast.unparse(sub)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") and node.args:
            root = _root(node.args[0])
            if isinstance(root, ast.Name) and root.id in foreign and node.func.id not in foreign:
                hits.append(f"line {node.lineno}: {ast.unparse(node)}")
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        inherited = bases.get(cls.name, set())
        if not inherited:
            continue
        own = {n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for n in cls.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in inherited:
                hits.append(f"line {n.lineno}: {cls.name} overrides {n.name}")
        for sub in ast.walk(cls):
            if isinstance(sub, ast.Attribute) and sub.attr in inherited and sub.attr not in own:
                hits.append(f"line {sub.lineno}: {cls.name} uses {ast.unparse(sub)}")
    return sorted(set(hits), key=lambda h: int(h.split()[1].rstrip(":")))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_uses_in(package: Path) -> dict[str, list[str]]:
    """Module → what it uses of other libraries' private names, for a package folder."""
    sources = {p: p.read_text(encoding="utf-8") for p in sorted(package.rglob("*.py"))}
    ours = defined_names([ast.parse(s) for s in sources.values()]) - set(dir(builtins))
    found = {}
    for path, source in sources.items():
        name = module_name(path, package.parent)
        if hits := private_uses(source, ours, name):
            found[name] = hits
    return found


def test_perfeval_uses_no_private_name_of_another_library():
    assert private_uses_in(PACKAGE) == {}


# what perfeval/outputs/xlsxfast.py, fastbook.py and summary.py did before they were rewritten
OLD_WAYS = """
import functools
from xlsxwriter.utility import _preserve_whitespace, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.workbook import Workbook
from xlsxwriter.url import Url

class FastSheet(Worksheet):
    def _write_rows(self):
        if self._check_dimensions(0, 0):
            super()._write_rows()

class Mine(Workbook):
    def _store_workbook(self):
        import xlsxwriter.workbook as module
        module.ZipFile = functools.partial(module.ZipFile, compresslevel=1)

def pin(fmt, link):
    fmt._get_xf_index()
    url = Url(link)
    url._text = "x"
    return url._tip
"""


def test_the_check_finds_the_old_ways():
    hits = private_uses(OLD_WAYS, ours={"pin", "FastSheet", "Mine"})
    text = "\n".join(hits)
    for expected in (
        "import _preserve_whitespace",
        "FastSheet overrides _write_rows",
        "uses self._check_dimensions",
        "Mine overrides _store_workbook",
        "assigns module.ZipFile",
        "fmt._get_xf_index",
        "url._tip",
        "url._text",
    ):
        assert expected in text, (expected, hits)
    assert "xl_rowcol_to_cell_fast" not in text  # public names pass


def test_own_private_names_pass():
    source = (
        "import zipfile\nclass A:\n    def _helper(self):\n        return self._x\n\ndef f(a):\n    return a._helper(), zipfile.ZipFile\n"
    )
    assert private_uses(source, ours={"_helper", "_x", "A", "f"}) == []
