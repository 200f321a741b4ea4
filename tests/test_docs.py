"""Every page in docs/ runs as written: its Python blocks, top to bottom, as a notebook would.

Each page is one test. Its ```python blocks run in order in one shared namespace, with the
working directory set to a temporary folder that holds links to the repository's top-level
folders (so ``examples/…`` or ``docs/img/…`` resolve, and files a page writes land in the
temporary folder), matplotlib on the Agg backend and every figure closed afterwards.

Blocks that need an optional extra carry an HTML comment on the line just above the fence,
invisible in the rendered site::

    <!-- requires: pyspark -->
    ```python
    from pyspark.sql import SparkSession
    ```

Several modules are separated by commas (``<!-- requires: pyspark, pyarrow -->``). A marked
block is left out when one of its modules cannot be imported: the page's other blocks still
run, then the test is reported as skipped, naming the lines left out and the missing
modules. Mark every block that needs the extra, including those that only use names an
earlier marked block defined. An unmarked block that fails on a missing module fails the
test and says to add the marker. Pages run in a few seconds each, except the Spark page
when pyspark is installed (a local Spark session: about a minute).
"""

from __future__ import annotations

import importlib.util
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_REQUIRES = re.compile(r"^\s*<!--\s*requires:\s*(?P<modules>[\w.,\s]+?)\s*-->\s*$")
_PYTHON = {"python", "py", "python3"}


@dataclass(frozen=True)
class Block:
    """One fenced Python block of a page: its source, first line and required modules."""

    code: str
    line: int
    requires: tuple[str, ...]


def python_blocks(text: str) -> list[Block]:
    """The fenced Python blocks of a Markdown page, in order, dedented."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening["fence"]
        indent = len(opening["indent"])
        end = index + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
                and len(closing["indent"]) <= indent
            ):
                break
            end += 1
        language = opening["info"].strip().strip("{}").lstrip(".").split(" ")[0].lower()
        if language in _PYTHON:
            body = textwrap.dedent("\n".join(lines[index + 1 : end]))
            blocks.append(Block(body, index + 2, _requirements(lines, index)))
        index = end + 1
    return blocks


def _requirements(lines: list[str], fence_index: int) -> tuple[str, ...]:
    """Modules named by a ``<!-- requires: … -->`` comment above a fence (blank lines skipped)."""
    above = fence_index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    marker = _REQUIRES.match(lines[above]) if above >= 0 else None
    if marker is None:
        return ()
    return tuple(name.strip() for name in marker["modules"].split(",") if name.strip())


def _missing(modules: tuple[str, ...]) -> list[str]:
    """The modules in ``modules`` that cannot be imported here."""
    return [name for name in modules if importlib.util.find_spec(name.split(".")[0]) is None]


@pytest.fixture
def page_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working directory whose top-level folders link to the repository's."""
    for entry in ROOT.iterdir():
        if entry.is_dir() and not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_runs_as_written(page: Path, page_workdir: Path) -> None:
    """The page's Python blocks run top to bottom in one namespace without error."""
    plt = None
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    namespace: dict[str, object] = {"__name__": "__docs__"}
    skipped: list[str] = []
    environ = dict(os.environ)  # a page may set variables (the Spark page: PYSPARK_PYTHON)
    try:
        for block in python_blocks(page.read_text(encoding="utf-8")):
            missing = _missing(block.requires)
            if missing:
                skipped.append(f"line {block.line} needs {', '.join(missing)}")
                continue
            # Leading newlines keep the page's line numbers in tracebacks.
            code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
            try:
                exec(code, namespace)
            except ModuleNotFoundError as error:
                if block.requires or (error.name or "behaviorseg").startswith("behaviorseg"):
                    raise
                pytest.fail(
                    f"{page.name} line {block.line}: no module {error.name!r}; if it comes "
                    f"from an optional extra, put <!-- requires: {error.name} --> above the "
                    f"block"
                )
    finally:
        if plt is not None:
            plt.close("all")
        os.environ.clear()
        os.environ.update(environ)
    if skipped:
        pytest.skip(f"ran the other blocks; skipped {'; '.join(skipped)}")


def test_python_blocks_are_found_in_nested_fences() -> None:
    """A fence indented under a list item is a block, dedented; other languages are not."""
    text = (
        "1. Step\n\n"
        "    <!-- requires: pyspark, pyarrow -->\n"
        "    ```python\n"
        "    x = 1\n"
        "    ```\n\n"
        "```text\nnot code\n```\n"
        "```python\ny = x + 1\n```\n"
    )
    blocks = python_blocks(text)
    assert [b.code for b in blocks] == ["x = 1", "y = x + 1"]
    assert [b.line for b in blocks] == [5, 12]
    assert blocks[0].requires == ("pyspark", "pyarrow")
    assert blocks[1].requires == ()


def test_every_page_is_checked() -> None:
    """The glob finds the guide pages, so a new page is covered without anyone listing it."""
    assert DOCS / "getting-started.md" in PAGES
    assert len(PAGES) >= 10
