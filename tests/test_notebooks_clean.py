"""Every chapter notebook is stored clean: executed, and free of anything machine- or run-specific.

Strict nbval checks that outputs are reproduced; this checks what nbval cannot see or
does not compare: wall-clock timestamps, memory addresses and local paths that would
differ on a reader's machine (or leak into the web book), cells that were never run,
the kernel, and widget state left behind by an earlier session.

The cluster's clock is virtual, starting at 2024-01-01T00:00:00Z, so its timestamps all
fall in January 2024; any other date-time in an output came from a wall clock.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))

VIRTUAL_MONTH = "2024-01-"
DATE_TIME = re.compile(r"\b20\d\d-\d\d-\d\d(?:[T ]\d\d:\d\d)")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b|\bat 0x[0-9a-fA-F]+")
LOCAL_PATHS = ("/work/", "/root/", "/tmp/", "/home/", str(ROOT) + "/")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_REF = re.compile(r"IPY_MODEL_([0-9a-zA-Z_-]+)")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _texts(cell: dict):
    """(where, text) for every textual output of a code cell; binary images are skipped."""
    for n, output in enumerate(cell.get("outputs", ())):
        where = f"output {n}"
        kind = output.get("output_type")
        if kind == "stream":
            yield where, "".join(output.get("text", ""))
        elif kind == "error":
            yield where, "\n".join([output.get("ename", ""), output.get("evalue", "")] + output.get("traceback", []))
        elif kind in ("execute_result", "display_data"):
            for mime, data in output.get("data", {}).items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    continue                      # base64: "0x…" and dates can occur by chance
                if mime == WIDGET_VIEW:
                    continue                      # model ids, checked by the widget test
                text = data if isinstance(data, str) else "".join(data) if isinstance(data, list) else json.dumps(data)
                yield f"{where} {mime}", text


def _code_cells(nb: dict):
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            yield index, cell


def _problems(nb: dict, check) -> list[str]:
    found = []
    for index, cell in _code_cells(nb):
        for where, text in _texts(cell):
            for problem in check(text):
                found.append(f"cell {index}, {where}: {problem}")
    return found


pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no chapters/*.ipynb yet")
params = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])


@params
def test_outputs_hold_no_wall_clock_time(path):
    def check(text):
        for match in DATE_TIME.finditer(text):
            if not match.group().startswith(VIRTUAL_MONTH):
                yield f"wall-clock timestamp {match.group()!r} (virtual time is in {VIRTUAL_MONTH}…)"
    problems = _problems(_load(path), check)
    assert not problems, "\n".join(problems)


@params
def test_outputs_hold_no_memory_address(path):
    def check(text):
        for match in ADDRESS.finditer(text):
            yield f"memory address {match.group()!r}: give the object a __repr__ or print a field"
    problems = _problems(_load(path), check)
    assert not problems, "\n".join(problems)


@params
def test_outputs_hold_no_path_of_this_machine(path):
    def check(text):
        for local in LOCAL_PATHS:
            if local in text:
                start = text.index(local)
                yield f"local path {text[start:start + 60]!r}: print a path relative to the repository"
                break
    problems = _problems(_load(path), check)
    assert not problems, "\n".join(problems)


@params
def test_every_code_cell_was_executed(path):
    nb = _load(path)
    unrun = [index for index, cell in _code_cells(nb)
             if cell["source"] and cell.get("execution_count") is None]
    assert not unrun, f"code cells never executed (run the notebook top to bottom and save): {unrun}"
    counts = [cell["execution_count"] for _, cell in _code_cells(nb) if cell.get("execution_count") is not None]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), \
        f"cells were run out of order (execution counts {counts}): restart the kernel and run all"


@params
def test_kernel_is_python3(path):
    kernelspec = _load(path)["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"kernelspec is {kernelspec!r}, not python3"
    assert kernelspec.get("language", "python") == "python"


@params
def test_no_stale_widget_state(path):
    """Saved widget state, if any, belongs to widgets that the stored outputs show.

    A widget-view output whose model is missing from the saved state renders as an
    error in the web book; saved models connected to no shown widget (directly, or
    through `IPY_MODEL_…` references such as layouts and jslinks) were left by an
    earlier session.
    """
    nb = _load(path)
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = []
    for index, cell in _code_cells(nb):
        for output in cell.get("outputs", ()):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                shown.append((index, view.get("model_id")))
    if not state:
        return                                  # no saved state: nothing can be stale
    missing = [f"cell {index}: model {model}" for index, model in shown if model not in state]
    assert not missing, f"widget outputs without saved state: {missing}"
    neighbours: dict[str, set[str]] = {model: set() for model in state}
    for model, saved in state.items():
        for ref in MODEL_REF.findall(json.dumps(saved)):
            if ref in neighbours:
                neighbours[model].add(ref)
                neighbours[ref].add(model)
    live, stack = set(), [model for _, model in shown]
    while stack:
        model = stack.pop()
        if model not in live:
            live.add(model)
            stack.extend(neighbours.get(model, ()))
    stale = sorted(set(state) - live)
    assert not stale, (f"{len(stale)} saved widget models belong to no widget the outputs show; "
                       "re-execute the notebook from a fresh kernel (or clear the widget state) and save")
