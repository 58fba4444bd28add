"""The API server's handler chain as a picture: how far each request got, and which stage answered it.

Mirrors nothing upstream: this is the book's picture of the order in which kube-apiserver
handles a write, after kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/server/config.go``
(``DefaultBuildHandlerChain``: authentication, then authorization) and
``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go`` with
``registry/generic/registry/store.go`` (mutating admission, then ``BeforeCreate``'s
validation, then validating admission, then the etcd transaction). In k8slite the same
order is ``APIServer._serve`` and ``Registry.create``.

``stopped_at`` tells the stage from the answer alone, as a client would:

- 401 comes only from authentication;
- a 403 whose message is ``responsewriters.forbiddenMessage`` (``User "…" cannot …``) comes
  from authorization; any other 403 from an admission plugin, validating unless its message
  is one only a mutating plugin writes (``MUTATING_REFUSALS``);
- 422 Invalid comes from validation;
- a success, or 404 and 409 (the object is missing, or etcd's compare-and-swap failed),
  means the request reached storage.

``chain_table`` is the text twin of ``chain_diagram``: nbval compares text, not images.

Simplified: the stages are k8slite's, which runs NamespaceLifecycle and NodeRestriction with
the validating plugins, so their refusals are drawn as validating admission (upstream calls
them in the mutating phase; the answer is the same). Decoding errors (400) are not a stage
of their own: ``outcome`` needs an explicit ``stage=`` for them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Optional, Sequence

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

STAGES = ("authentication", "authorization", "mutating admission", "validation", "validating admission", "etcd")
# Refusals written by plugins in the mutating phase (Priority's Admit resolves priorityClassName).
MUTATING_REFUSALS = ("no PriorityClass with name",)
STORAGE_CODES = (404, 409)
READ_METHODS = ("GET", "HEAD")
AUTHORIZED = STAGES.index("authorization")     # a read goes from here straight to storage
PASSED_COLOR = "#4c72b0"
STORED_COLOR = "#2e7d32"
REFUSED_COLOR = "#c62828"
STAGE_FILL = "#eef2f7"


class Outcome(NamedTuple):
    """One request and the stage that answered it."""
    label: str           # what was asked, e.g. "alice: list pods in dev"
    code: int            # the HTTP status code of the answer
    reason: str          # the Status reason ("Forbidden", "Invalid", ...); "" for a success
    stage: str           # one of STAGES
    message: str = ""    # the Status message, "" for a success
    method: str = "POST"  # reads (GET) skip admission and validation: they change nothing


def stopped_at(code: int, status: Optional[dict] = None) -> str:
    """The stage that answered a request with ``code`` and (for a failure) the Status ``status``."""
    status = status or {}
    message = str(status.get("message", ""))
    if code < 300 or code in STORAGE_CODES:
        return "etcd"
    if code == 401:
        return "authentication"
    if code == 403:
        # forbiddenMessage: `<resource> "<name>" is forbidden: User "<user>" cannot <verb> ...`
        # (for a path: `forbidden: User "<user>" cannot get path "/logs"`)
        after = message.split("is forbidden: ", 1)[-1] if "is forbidden: " in message else \
            message.removeprefix("forbidden: ")
        if after.startswith("User ") and " cannot " in after:
            return "authorization"
        if any(text in message for text in MUTATING_REFUSALS):
            return "mutating admission"
        return "validating admission"
    if code == 422:
        return "validation"
    raise ValueError(f"cannot tell which stage answers with {code} {status.get('reason', '')}: pass stage=")


def outcome(label: str, answer: Any, stage: Optional[str] = None, method: str = "POST") -> Outcome:
    """An Outcome from a ``Response`` (``.code``, ``.body``) or a ``StatusError`` (``.code``, ``.status``)
    to a request with HTTP ``method``."""
    code = int(answer.code)
    body = getattr(answer, "status", None)
    if body is None:
        body = getattr(answer, "body", None)
    status = body if isinstance(body, dict) and body.get("kind") == "Status" else {}
    if stage is None:
        stage = stopped_at(code, status)
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    reason = status.get("reason", "") if code >= 300 else ""
    return Outcome(label, code, reason, stage, status.get("message", "") if code >= 300 else "", method.upper())


def _answer(o: Outcome) -> str:
    from ..apiserver.request import REASONS
    return f"{o.code} {o.reason or REASONS.get(o.code, '')}".rstrip()


def chain_table(outcomes: Iterable[Outcome]) -> str:
    """One line per request: what was asked, the answer, and the stage that gave it (columns padded
    to the widest entry, no trailing spaces)."""
    outcomes = list(outcomes)
    label_w = max([len("REQUEST")] + [len(o.label) for o in outcomes])
    answer_w = max([len("ANSWER")] + [len(_answer(o)) for o in outcomes])
    stage_w = max([len("ANSWERED BY")] + [len(o.stage) for o in outcomes])
    lines = [f"{'REQUEST':<{label_w}}  {'ANSWER':<{answer_w}}  {'ANSWERED BY':<{stage_w}}"]
    for o in outcomes:
        lines.append(f"{o.label:<{label_w}}  {_answer(o):<{answer_w}}  {o.stage:<{stage_w}}")
    return "\n".join(line.rstrip() for line in lines)


def chain_diagram(outcomes: Sequence[Outcome], title: Optional[str] = None,
                  ax: Optional["Axes"] = None) -> "Figure":
    """A column per stage, a row per request: a line through every stage the request passed,
    ending at the stage that answered it (a red cross for a refusal, a green disc for a
    request that reached etcd), with the answer written at the right. A read (GET) has no
    admission or validation: its line crosses those columns dashed, without stops.

    Each end mark is a ``Line2D`` with ``gid="stop-<row>"``; its x is the stage's index."""
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("no requests to draw")
    n = len(outcomes)
    height = 0.42 * n + 1.6
    if ax is None:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(12, height))
        ax = fig.add_axes((0.25, 0.25 / height, 0.6, (0.42 * n + 0.95) / height))
    else:
        fig = ax.figure
    from matplotlib.patches import Rectangle
    for x, stage in enumerate(STAGES):
        ax.add_patch(Rectangle((x - 0.42, -0.6), 0.84, n + 0.2, fc=STAGE_FILL, ec="#c5cfdb", lw=0.8, zorder=0))
        ax.text(x, -0.75, stage.replace(" ", "\n"), ha="center", va="bottom", fontsize=8.5, fontweight="bold",
                color="#1f2f3f")
        if x:
            ax.annotate("", xy=(x - 0.44, -1.25), xytext=(x - 0.56, -1.25),
                        arrowprops=dict(arrowstyle="->", color="#7a8a9a", lw=0.9), annotation_clip=False)
    for row, o in enumerate(outcomes):
        end = STAGES.index(o.stage)
        refused = o.code >= 400
        passed = list(range(end))
        if o.method in READ_METHODS and end > AUTHORIZED:
            ax.plot([-0.5, AUTHORIZED], [row, row], color=PASSED_COLOR, lw=1.6, zorder=2, solid_capstyle="butt")
            ax.plot([AUTHORIZED, end], [row, row], color=PASSED_COLOR, lw=1.2, ls=(0, (3, 3)), zorder=2)
            passed = [x for x in passed if x <= AUTHORIZED]
        else:
            ax.plot([-0.5, end], [row, row], color=PASSED_COLOR, lw=1.6, zorder=2, solid_capstyle="butt")
        if passed:
            ax.plot(passed, [row] * len(passed), "o", ms=4, color=PASSED_COLOR, zorder=3)
        if refused:
            mark = ax.plot([end], [row], "X", ms=11, color=REFUSED_COLOR, mec="white", mew=0.8, zorder=4)[0]
        else:
            mark = ax.plot([end], [row], "o", ms=10, color=STORED_COLOR, mec="white", mew=0.8, zorder=4)[0]
        mark.set_gid(f"stop-{row}")
        ax.text(len(STAGES) - 0.45, row, _answer(o), ha="left", va="center", fontsize=8.5,
                color=REFUSED_COLOR if refused else STORED_COLOR, fontweight="bold")
    ax.set_yticks(range(n), [o.label for o in outcomes], fontsize=8.5)
    ax.set_ylim(n - 0.4, -1.45)
    ax.set_xlim(-0.6, len(STAGES) - 0.5)
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", pad=8)
    return fig
