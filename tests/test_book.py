"""The web book builds with warnings treated as errors, and its TOC matches the files.

The build here does not execute the notebooks: strict nbval (`make test`) already
re-runs every chapter and checks each output against the stored one, so the stored
outputs are what the book shows. This test builds from a copy of `_config.yml` with
`execute_notebooks: "off"` into a temporary directory, so it touches nothing in the
work tree.

Locally, a missing jupyter-book skips the build with the reason; in CI (CI=true) it is
a failure, because `make test` installs it.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
SUFFIXES = (".md", ".ipynb")


def _toc_files() -> list[str]:
    """Every `file:` entry of _toc.yml (root included), in TOC order, without suffix."""
    toc = yaml.safe_load(TOC.read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or ():
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", ()):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def _source(entry: str) -> Path | None:
    for suffix in SUFFIXES:
        path = ROOT / (entry + suffix)
        if path.exists():
            return path
    return None


def test_every_toc_entry_exists():
    missing = [entry for entry in _toc_files() if _source(entry) is None]
    assert not missing, f"_toc.yml lists files that do not exist (as .md or .ipynb): {missing}"


def test_every_chapter_and_front_matter_page_is_in_the_toc():
    listed = set(_toc_files())
    on_disk = sorted(
        p.relative_to(ROOT).with_suffix("").as_posix()
        for pattern in ("chapters/*.ipynb", "chapters/*.md", "book/*.md")
        for p in ROOT.glob(pattern)
    )
    unlisted = [name for name in on_disk if name not in listed]
    assert not unlisted, f"pages on disk that _toc.yml does not list (add them): {unlisted}"


def test_config_executes_notebooks_and_excludes_what_is_not_the_book():
    config = yaml.safe_load(CONFIG.read_text())
    assert config["title"] == "Kubernetes internals"
    assert config["execute"]["execute_notebooks"] == "force"
    assert config["only_build_toc_files"] is True
    excluded = set(config["exclude_patterns"])
    for pattern in (".venv", "_build", ".pytest_cache", "**/.ipynb_checkpoints",
                    "benchmarks", "tests", "k8slite", "README.md"):
        assert pattern in excluded, f"_config.yml exclude_patterns lacks {pattern!r}"


def _jupyter_book_or_skip() -> list[str]:
    if importlib.util.find_spec("jupyter_book") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("jupyter-book is not installed, but CI must build the book: run `make test`")
        pytest.skip("jupyter-book is not installed in this environment; `make test` installs it")
    # The jupyter-book command of this interpreter's environment (its module has no __main__).
    return [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> Path:
    jupyter_book = _jupyter_book_or_skip()
    tmp = tmp_path_factory.mktemp("book")
    config = yaml.safe_load(CONFIG.read_text())
    config["execute"]["execute_notebooks"] = "off"
    fast_config = tmp / "_config.yml"
    fast_config.write_text(yaml.safe_dump(config, sort_keys=False))
    out = tmp / "out"
    command = jupyter_book + ["build", str(ROOT), "--config", str(fast_config), "--toc", str(TOC),
                              "--path-output", str(out), "--builder", "html", "-W", "--quiet"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"})
    log = f"$ {' '.join(command)}\n--- stdout ---\n{result.stdout[-8000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
    assert result.returncode == 0, f"jupyter-book build -W failed:\n{log}"
    # jupyter-book 1.x reports some Sphinx failures on stdout and still exits 0.
    for marker in ("Traceback (most recent call last)", "There was an error in building your book"):
        assert marker not in result.stdout + result.stderr, f"jupyter-book build reported an error:\n{log}"
    return out / "_build" / "html"


def test_the_book_builds_with_warnings_as_errors(built_book):
    assert (built_book / "index.html").is_file()


def test_every_toc_page_is_rendered(built_book):
    missing = [entry for entry in _toc_files() if not (built_book / f"{entry}.html").is_file()]
    assert not missing, f"pages missing from the built book: {missing}"


def test_the_front_page_is_the_books_introduction(built_book):
    index = (built_book / "index.html").read_text(encoding="utf-8")
    intro = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    assert "book/intro.html" in index           # index.html redirects to the root page
    assert "Kubernetes internals" in intro
    for promise in ("Faithful", "Deterministic", "Visible"):
        assert promise in intro


def test_chapter_pages_carry_their_stored_outputs(built_book):
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    if not chapters:
        pytest.skip("no chapters yet")
    for notebook in chapters:
        page = built_book / "chapters" / f"{notebook.stem}.html"
        assert page.is_file(), f"{page.name} was not built"
        assert "cell_output" in page.read_text(encoding="utf-8"), f"{page.name} shows no cell output"
