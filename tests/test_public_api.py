"""The public API: every exported name exists, is documented with an example, and the
package imports without its optional extras."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import behaviorseg

PUBLIC_MODULES = [
    "behaviorseg",
    "behaviorseg.summaries",
    "behaviorseg.segmenters",
    "behaviorseg.models",
    "behaviorseg.kpi",
    "behaviorseg.datasets",
    "behaviorseg.exceptions",
    "behaviorseg.plotting",
    "behaviorseg.profiling",
]


def _public_objects() -> list[tuple[str, object]]:
    found = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.append((f"{module_name}.{name}", obj))
    return found


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_name_in_all_exists(module_name):
    """Each ``__all__`` lists only names the module defines."""
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize(("qualname", "obj"), _public_objects(), ids=lambda v: str(v))
def test_public_callables_have_a_docstring_with_an_example(qualname, obj):
    """Every public function and class has a numpy-style docstring with an Examples section."""
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc, f"{qualname} has no Examples section"


def test_top_level_exports_every_segmenter():
    """The segmenters are importable from the package root, as DESIGN.md promises."""
    for name in behaviorseg.segmenters.__all__:
        assert getattr(behaviorseg, name) is getattr(behaviorseg.segmenters, name)


def test_importing_the_package_does_not_import_matplotlib():
    """matplotlib is an optional extra: a bare import must not load it."""
    code = "import sys, behaviorseg, behaviorseg.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
