"""The request pipeline: how far each request got through kube-apiserver, and the hops it cost.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/server/config.go``
(``DefaultBuildHandlerChain``: authentication, then authorization, then the REST handler),
``pkg/endpoints/handlers/create.go``, ``update.go``, ``patch.go`` and ``delete.go``
(decode the body, mutating admission, the strategy's validation, validating admission,
then the registry's call into storage) and ``pkg/storage/cacher/cacher.go`` (a read with
``resourceVersion=0`` and every watch are answered from the watch cache; a write comes
back from etcd as one event that the cache fans out to the watchers it matches).

A row is read from the trace alone, from the request's hop (its summary is the request
line, ``POST /api/v1/...?query``) and what that hop caused: the API server's answer (its
summary starts with the status line and, for a failure, the Status ``reason: message``),
the requests the API server sent to etcd for it, and the watch events that its write
caused. Where a refused request stopped follows from its Status, as the chain produces
them: 401 authentication; 403 with the authorizer's ``User "…" cannot …``
authorization, any other 403 admission; 400, 405, 413, 415, and a 422 on a read
(``ListOptions``), decoding; a 422 on a write validation; anything else (404, 409, 410,
5xx) storage, which is etcd when the request sent etcd something and the watch cache
when it did not.

Simplified: a refusal by a mutating admission plugin is drawn in the validating
column (the Status does not say which phase refused); the steps inside the API server
take no virtual time, so the picture counts hops, not milliseconds.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple, Optional, Sequence

from k8slite.apiserver.request import REASONS

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.figure import Figure

AUTHN, AUTHZ, DECODE, MUTATE, VALIDATE, ADMIT, ETCD, CACHE = (
    "authentication", "authorization", "decode", "mutating admission", "validation", "validating admission",
    "etcd", "watch cache")
STAGES = (AUTHN, AUTHZ, DECODE, MUTATE, VALIDATE, ADMIT, ETCD, CACHE)
HEADERS = ("AUTHN", "AUTHZ", "DECODE", "MUTATE", "VALIDATE", "ADMIT", "ETCD", "WATCH CACHE")

PASSED, STOPPED, UNREACHED, SKIPPED = "passed", "stopped", "unreached", "skipped"
MARK = {PASSED: "✓", STOPPED: "✗", UNREACHED: "·", SKIPPED: "-"}
COLOR = {PASSED: "#d8ead2", STOPPED: "#f4c7c3", UNREACHED: "#f2f2f2", SKIPPED: "#ffffff"}
EDGE = "#9a9a9a"
LABEL_PT, MONO_EM = 6.5, 0.6                # DejaVu Sans Mono advance width, in ems

# What each verb goes through before storage (handlers/*.go): reads decode only their query.
WRITES = ("create", "update", "patch")
READS = ("get", "list")


class Cell(NamedTuple):
    state: str                  # PASSED, STOPPED, UNREACHED or SKIPPED (the verb has no such step)
    text: str = ""              # what happened there, beyond the state: "Range, Txn", "3 events"


class Row(NamedTuple):
    request: str                # the request line, as the client sent it
    verb: str                   # RequestInfo's verb: get, list, watch, create, update, patch, delete, ...
    code: int                   # the HTTP status code of the answer
    answer: str                 # "201 Created", "409 Conflict: Operation cannot be fulfilled on ..."
    stopped: Optional[str]      # the stage that refused it, None if it succeeded
    etcd: tuple                 # the API server's requests to etcd, in order: "Range", "Txn", "Txn✗" (failed)
    events: int                 # watch events sent because of it (fan-out of its write, or a watch's replay)
    cells: tuple                # one Cell per stage in STAGES


def _verb(method: str, path: str, query: str) -> str:
    """The verb of RequestInfo (``endpoints/request/requestinfo.go``), from the request line."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        rest = parts[2:]
    elif parts[:1] == ["apis"]:
        rest = parts[3:]
    else:
        return method.lower()
    if rest[:1] == ["namespaces"] and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        rest = rest[2:]
    collection = len(rest) == 1
    if method == "GET":
        watch = any(p in ("watch=true", "watch=1") for p in query.split("&"))
        return "watch" if watch else "list" if collection else "get"
    if method == "DELETE" and collection:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


def stopped_at(verb: str, code: int, message: str) -> Optional[str]:
    """The stage whose refusal produced this answer (see the module docstring); None below 400.

    ``ETCD`` stands for storage: ``pipeline_row`` moves it to the watch cache for a read
    that never reached etcd.
    """
    if code < 400:
        return None
    if code == 401:
        return AUTHN
    if code == 403:
        return AUTHZ if 'User "' in message and " cannot " in message else ADMIT
    if code in (400, 405, 413, 415) or (code == 422 and verb not in WRITES):
        return DECODE
    if code == 422:
        return VALIDATE
    return ETCD


def _stages(verb: str) -> tuple:
    """The stages a request of this verb passes when nothing refuses it."""
    if verb in WRITES:
        return STAGES
    if verb in ("delete", "deletecollection"):
        return (AUTHN, AUTHZ, DECODE, ADMIT, ETCD, CACHE)
    if verb == "watch":
        return (AUTHN, AUTHZ, DECODE, CACHE)
    return (AUTHN, AUTHZ, DECODE, ETCD, CACHE)       # get, list: etcd or the cache, see below


def pipeline_row(trace, root: int, server: str = "kube-apiserver", etcd: str = "etcd") -> Row:
    """The row of the request whose hop is ``root`` (a hop to ``server``) in ``trace``."""
    hop = trace[root]
    method, _, line = hop.summary.partition(" ")
    path, _, query = line.partition("?")
    verb = _verb(method, path, query)
    kids = [trace[i] for i in trace.children.get(root, ())]
    reply = next((h for h in kids if h.kind == "reply" and h.src == server), None)
    if reply is None:
        raise ValueError(f"hop {root} has no answer from {server} yet")
    code = int(reply.summary.split(" ", 1)[0])
    status_line = f"{code} {REASONS.get(code, '')}".rstrip()
    failure = ""
    answer = reply.summary
    if code >= 400:                     # "<status line> <Status reason>: <message>"
        failure = reply.summary[len(status_line):].lstrip().partition(": ")[2]
        answer = f"{status_line}: {failure}" if failure else status_line

    calls = [h for h in kids if h.src == server and h.dst == etcd]
    etcd_ops, watch_events = [], []
    for call in calls:
        answers = [trace[i] for i in trace.children.get(call.id, ())]
        failed = any(a.kind == "reply" and a.summary.startswith("failed") for a in answers)
        etcd_ops.append(call.kind + ("✗" if failed else ""))
        watch_events += [a for a in answers if a.kind == "WatchResponse"]
    fanout = [trace[i] for w in watch_events for i in trace.children.get(w.id, ())
              if trace[i].src == server and trace[i].kind == "WATCH"]
    replayed = [h for h in kids if h.src == server and h.kind == "WATCH" and h.dst == hop.src]
    events = len(replayed) if verb == "watch" else len(fanout)

    stop = stopped_at(verb, code, failure)
    if calls:
        from_cache = False
    elif stop in (None, ETCD):          # reached storage without asking etcd
        from_cache = verb in READS
    else:                               # refused before storage: where it would have gone
        from_cache = verb in READS and "resourceVersion=0" in query.split("&")
    passes = _stages(verb)
    if verb in READS:
        passes = tuple(s for s in passes if s != (ETCD if from_cache else CACHE))
    if stop == ETCD and ETCD not in passes:
        stop = CACHE                    # storage, for a request served by the watch cache
    cells, reached = [], True
    for stage in STAGES:
        if stage not in passes:
            cells.append(Cell(SKIPPED))
            continue
        if not reached:
            cells.append(Cell(UNREACHED))
            continue
        text = ""
        if stage == ETCD:
            text = ", ".join(etcd_ops)
        elif stage == CACHE:
            text = "served" if verb in READS else f"{events} event{'s' if events != 1 else ''}"
        if stage == stop:
            cells.append(Cell(STOPPED, text if stage in (ETCD, CACHE) else ""))
            reached = False
        else:
            cells.append(Cell(PASSED, text))
    return Row(hop.summary, verb, code, answer, stop, tuple(etcd_ops), events, tuple(cells))


def _cell_text(cell: Cell) -> str:
    mark = MARK[cell.state]
    return f"{mark} {cell.text}" if cell.text else mark


def pipeline_table(rows: Iterable[Row], width: int = 60) -> str:
    """The rows as a fixed-width table: the text twin of ``pipeline_diagram``.

    One line per request: the request line (cut to ``width``), one column per stage
    (✓ passed, ✗ stopped there, · not reached, - not a step of this verb; the etcd column
    lists the API server's requests to etcd, ✗ after a failed Txn; the watch-cache column
    says "served" for a read answered from the cache, else the watch events sent), and
    the answer.
    """
    rows = list(rows)
    if not rows:
        return "(no requests)"
    header = ["REQUEST"] + list(HEADERS) + ["ANSWER"]
    body = [[_cut(r.request, width)] + [_cell_text(c) for c in r.cells] + [_cut(r.answer, width)] for r in rows]
    widths = [max(len(line[c]) for line in [header] + body) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header] + body]
    legend = "✓ passed   ✗ refused there   · not reached   - not a step of this verb"
    return "\n".join(lines + [legend])


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def pipeline_diagram(rows: Sequence[Row], title: Optional[str] = None) -> "Figure":
    """Draw the rows as a grid: the handler chain left to right, one request per row.

    Each cell is a ``Rectangle`` with ``gid="cell-<row>-<stage>"`` coloured by its state,
    with its mark and text; the request line is cut to fit on the left, the answer on the
    right. The figure is not registered with pyplot, so it works headless and displays once.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, Rectangle

    rows = list(rows)
    label_w, cell_w, answer_w, row_h, head_h = 3.3, 0.95, 2.6, 0.42, 0.75
    chars = int(label_w * 72 / (LABEL_PT * MONO_EM)) - 2          # monospace: the cut is exact
    top = 0.3 if title else 0.0                                     # room for the title
    total_w = label_w + cell_w * len(STAGES) + answer_w
    total_h = top + head_h + row_h * max(len(rows), 1) + 0.4
    fig = Figure(figsize=(total_w, total_h))
    ax = fig.add_axes((0, 0, 1, 1))                                 # data units are inches
    ax.set_axis_off()
    ax.set_xlim(0, total_w)
    ax.set_ylim(total_h, 0)
    if title:
        ax.text(0.1, 0.2, title, fontsize=10, fontweight="bold", ha="left", va="center")
    names = {AUTHN: "authen-\ntication", AUTHZ: "authori-\nzation", DECODE: "decode", MUTATE: "mutating\nadmission",
             VALIDATE: "validation", ADMIT: "validating\nadmission", ETCD: "storage\n(etcd)", CACHE: "watch\ncache"}
    for j, stage in enumerate(STAGES):
        x = label_w + j * cell_w
        ax.text(x + cell_w / 2, top + head_h / 2, names[stage], fontsize=7, ha="center", va="center",
                fontweight="bold", color="#1f4e79")
        if j:
            ax.add_patch(FancyArrowPatch((x - 0.12, top + head_h - 0.08), (x + 0.12, top + head_h - 0.08),
                                         arrowstyle="-|>", mutation_scale=8, color="#1f4e79", lw=0.8))
    for i, row in enumerate(rows):
        y = top + head_h + i * row_h
        ax.text(0.1, y + row_h / 2, _cut(row.request, chars), fontsize=LABEL_PT, family="monospace", ha="left",
                va="center")
        for j, cell in enumerate(row.cells):
            x = label_w + j * cell_w
            ax.add_patch(Rectangle((x + 0.02, y + 0.03), cell_w - 0.04, row_h - 0.06, facecolor=COLOR[cell.state],
                                   edgecolor=EDGE if cell.state != SKIPPED else "#dddddd", lw=0.6,
                                   gid=f"cell-{i}-{STAGES[j]}"))
            text = _cell_text(cell) if cell.state != SKIPPED else ""
            ax.text(x + cell_w / 2, y + row_h / 2, _cut(text, 17), fontsize=LABEL_PT, ha="center", va="center",
                    color="#a61c1c" if cell.state == STOPPED else "#222222")
        ax.text(label_w + len(STAGES) * cell_w + 0.1, y + row_h / 2, _cut(row.answer, int(answer_w * 72 / (LABEL_PT * MONO_EM)) - 2), fontsize=LABEL_PT,
                family="monospace", ha="left", va="center", color="#a61c1c" if row.code >= 400 else "#222222")
    return fig
