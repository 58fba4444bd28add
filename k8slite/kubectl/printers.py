"""kubectl's printers: server-side Tables laid out as kubectl does, and the -o formats.

Mirrors kubernetes v1.31 staging/src/k8s.io/cli-runtime/pkg/printers/tableprinter.go
(HumanReadablePrinter.PrintObj for a Table: headers once per column set, decorateTable's
NAMESPACE, -L label and LABELS columns and ``kind.group/`` prefix on the first "name"
column, printTable's upper-cased headers, priority-0 columns unless ``-o wide``, cells cut
at their first newline), tabwriter.go (minwidth 6, tabwidth 4, padding 3, pad char ' ')
over Go's text/tabwriter (elastic tabstops), name.go (``kind.group/name``), json.go and
yaml.go (JSONPrinter, YAMLPrinter), jsonpath.go with k8s.io/client-go/util/jsonpath (a
subset), kubectl/pkg/cmd/get/customcolumn.go (``-o custom-columns``, RelaxedJSONPathExpression),
kubectl/pkg/cmd/get/sorter.go (``--sort-by`` on a Table's rows) and
apimachinery/pkg/util/duration (HumanDuration, shared with the API server's printers).

The columns and cells themselves come from the API server (k8slite/apiserver/tables.py,
printers.go): kubectl asks for ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...``
and only lays the Table out.

Simplified: a cell that is not a string prints as Go's ``fmt.Sprint`` would for JSON
numbers, booleans, null, maps and lists; no Go templates; jsonpath knows field paths,
``[n]``, ``[*]``, ``..``-free paths, ``range``/``end`` and quoted text; ``--sort-by`` compares
numbers numerically and everything else as text, and keeps equal rows in server order
(Go's sort.Sort is not stable).
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from typing import Any, Optional

import yaml

from ..apiserver.tables import format_label_selector, format_labels, human_duration, selector_string

__all__ = [
    "EPOCH", "TABLE_ACCEPT", "PrintOptions", "parse_time", "human_duration", "translate_timestamp_since",
    "tabwrite", "tabulate", "go_sprint", "print_tables", "name_line", "format_labels",
    "format_label_selector", "selector_string", "to_yaml", "to_json", "jsonpath", "jsonpath_values",
    "custom_columns", "PrinterError",
]

# Virtual time zero: every `now` is seconds since this instant.
EPOCH = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)

# get.go transformRequests: a Table (v1, else v1beta1), else the plain object.
TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")


class PrinterError(Exception):
    """An error a printer reports; kubectl prints it as ``error: <message>``."""


# --- time ------------------------------------------------------------------------------

def parse_time(ts: str | None) -> float | None:
    """RFC 3339 timestamp -> seconds since EPOCH (None for a missing or empty timestamp)."""
    if not ts:
        return None
    text = ts.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    date_part, _, rest = text.partition("T")
    # Split off the zone offset, then any fractional seconds.
    zone = "+00:00"
    for sign in ("+", "-"):
        idx = rest.rfind(sign)
        if idx > 0:
            rest, zone = rest[:idx], rest[idx:]
            break
    clock, _, frac = rest.partition(".")
    year, month, day = (int(p) for p in date_part.split("-"))
    hour, minute, second = (int(p) for p in clock.split(":"))
    off_h, off_m = int(zone[1:3]), int(zone[4:6])
    offset = (off_h * 3600 + off_m * 60) * (1 if zone[0] == "+" else -1)
    moment = _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)
    seconds = (moment - EPOCH).total_seconds() - offset
    if frac:
        seconds += int(frac) / (10 ** len(frac))
    return seconds


def translate_timestamp_since(ts: str | None, now: float) -> str:
    """Age of an RFC 3339 timestamp at virtual time `now`; "<unknown>" when unset."""
    t = parse_time(ts)
    if t is None:
        return "<unknown>"
    return human_duration(now - t)


# --- Go text/tabwriter ---------------------------------------------------------------

def tabwrite(text: str, minwidth: int = 6, padding: int = 3) -> str:
    """Lay out tab-separated text as Go's text/tabwriter does (pad char ' ', flags 0).

    Elastic tabstops: a cell is text terminated by a tab; the text after a line's last tab
    belongs to no column. A column block is a run of consecutive lines that all have a
    cell in that column, and every cell in a block is padded to
    max(minwidth, widest cell + padding). A line with fewer cells ends the block, so
    `kubectl describe` aligns "Name:  x" pairs only between section headers.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = [""] * len(lines)

    def write_lines(widths: list[int], line0: int, line1: int) -> None:
        for i in range(line0, line1):
            parts = []
            for j, cell in enumerate(lines[i]):
                parts.append(cell)
                if j < len(widths):
                    parts.append(" " * (widths[j] - len(cell)))
            out[i] = "".join(parts)

    def fmt(widths: list[int], line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            # A cell exists in this column: lines before it are done at this depth.
            write_lines(widths, line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(widths, line0, this)
            widths.pop()
            line0 = this
        write_lines(widths, line0, line1)

    fmt([], 0, len(lines))
    return "\n".join(out)


def tabulate(rows: list[list[str]]) -> str:
    """Rows of cells laid out with kubectl's tabwriter settings; no trailing newline."""
    if not rows:
        return ""
    return tabwrite("\n".join("\t".join(row) for row in rows), minwidth=6, padding=3)


# --- cells as Go prints them ------------------------------------------------------------

def go_sprint(value: Any) -> str:
    """fmt.Sprint of a value decoded from JSON: 3, 2.5, true, map[a:b], [x y], "" for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))            # a JSON number without a fraction decodes as int64
        return repr(value)                    # shortest form, as Go's %v
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    return str(value)


def _cell(value: Any) -> str:
    """printTable: a cell is cut at its first newline, carriage return or form feed."""
    text = go_sprint(value)
    for i, ch in enumerate(text):
        if ch in "\n\r\f":
            return text[:i] + "..."
    return text


# --- server-side Tables -------------------------------------------------------------------

@dataclass(frozen=True)
class PrintOptions:
    """printers.PrintOptions as get sets them: ``kind`` is the GroupKind ("Deployment.apps")
    whose lower case prefixes each name when several kinds print together."""
    wide: bool = False
    with_namespace: bool = False
    kind: str = ""
    show_labels: bool = False
    column_labels: tuple = ()
    no_headers: bool = False


def _row_meta(row: dict) -> Optional[dict]:
    obj = row.get("object")
    return (obj.get("metadata") or {}) if isinstance(obj, dict) else None


def _decorate(columns: list[dict], row: dict, options: PrintOptions) -> list[str]:
    """decorateTable and printTable for one row: the cells kubectl writes, in order."""
    cells = list(row.get("cells") or [])
    name_column = next((i for i, c in enumerate(columns)
                        if c.get("format") == "name" and c.get("type") == "string"), -1)
    if options.kind and name_column >= 0 and name_column < len(cells):
        cells[name_column] = f"{options.kind.lower()}/{go_sprint(cells[name_column])}"
    shown = [_cell(cells[i]) if i < len(cells) else "" for i, c in enumerate(columns)
             if options.wide or not c.get("priority")]
    meta = _row_meta(row)
    labels = (meta or {}).get("labels") or {}
    if options.with_namespace:
        shown.insert(0, (meta or {}).get("namespace", ""))
    if meta is None:
        shown += [""] * (len(options.column_labels) + (1 if options.show_labels else 0))
        return shown
    shown += [labels.get(key, "") for key in options.column_labels]
    if options.show_labels:
        shown.append(format_labels(labels))
    return shown


def _header(columns: list[dict], options: PrintOptions) -> list[str]:
    header = [c["name"].upper() for c in columns if options.wide or not c.get("priority")]
    if options.with_namespace:
        header.insert(0, "NAMESPACE")
    header += [label.rpartition("/")[2].upper() for label in options.column_labels]
    if options.show_labels:
        header.append("LABELS")
    return header


class TablePrinter:
    """HumanReadablePrinter over a tabwriter with RememberWidths, as ``get --watch`` prints: the
    header once, before the first row (a Table without column definitions reuses the last
    ones), and each flush pads a column to the widest it has been, so later rows may
    outgrow earlier ones but never shrink a column."""

    def __init__(self, options: PrintOptions):
        self.options = options
        self.columns: list[dict] = []
        self.printed_headers = False
        self.widths: list[int] = []

    def lines(self, table: dict) -> list[list[str]]:
        if table.get("columnDefinitions"):
            if table["columnDefinitions"] != self.columns:
                self.columns, self.printed_headers = table["columnDefinitions"], False
        rows = table.get("rows") or []
        lines = []
        if rows and not self.printed_headers and not self.options.no_headers:
            lines.append(_header(self.columns, self.options))
        if rows:
            self.printed_headers = True
        return lines + [_decorate(self.columns, row, self.options) for row in rows]

    def flush(self, lines: list[list[str]]) -> str:
        """Lay out ``lines`` as one tabwriter flush, remembering the column widths."""
        if not lines:
            return ""
        count = max(len(line) for line in lines) - 1
        for column in range(count):
            width = max([6] + [len(line[column]) + 3 for line in lines if column < len(line) - 1])
            if column < len(self.widths):
                self.widths[column] = width = max(width, self.widths[column])
            else:
                self.widths.append(width)
        return "".join("".join(cell.ljust(self.widths[i]) if i < len(line) - 1 else cell
                               for i, cell in enumerate(line)) + "\n" for line in lines)


def print_tables(tables: list[dict], options: PrintOptions) -> str:
    """What kubectl prints for the Tables of one resource (a list, or one GET per name), laid
    out together in one flush: the header once, before the first row; "" when there are no rows."""
    printer = TablePrinter(options)
    lines = [line for table in tables for line in printer.lines(table)]
    return tabulate(lines) + "\n" if lines else ""


def sort_table_rows(tables: list[dict], field_spec: str) -> None:
    """TableSorter: each Table's rows by a jsonpath into the row's object (``includeObject=Object``)."""
    template = relaxed_jsonpath(field_spec)

    def key(row: dict):
        values = jsonpath_values(template, row.get("object") or {})
        if not values:
            return (0, 0, "")
        value = values[0]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (1, value, "")
        return (2, 0, go_sprint(value))

    for table in tables:
        if table.get("rows"):
            table["rows"] = sorted(table["rows"], key=key)


def name_line(prefix: str, obj: dict) -> str:
    """One line of `kubectl get -o name`: "pod/web-1", "deployment.apps/nginx"."""
    return f"{prefix}{(obj.get('metadata') or {}).get('name', '')}"


# --- YAML and JSON as kubectl prints them ---------------------------------------------------

class _GoYAMLDumper(yaml.SafeDumper):
    """go-yaml's choices: strings that would read back as another type are double-quoted,
    multi-line strings are literal blocks, list items sit at their key's indentation."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    tag = dumper.resolve(yaml.ScalarNode, value, (True, False))
    style = '"' if value == "" or tag != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_GoYAMLDumper.add_representer(str, _represent_str)


def to_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_GoYAMLDumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=1 << 30)


def to_json(obj: Any) -> str:
    """json.MarshalIndent with four spaces, keys sorted, HTML characters escaped."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- jsonpath (k8s.io/client-go/util/jsonpath, a subset) ------------------------------------

def _jsonpath_tokens(template: str) -> list[tuple[str, str]]:
    tokens, i = [], 0
    while i < len(template):
        start = template.find("{", i)
        if start < 0:
            tokens.append(("text", template[i:]))
            break
        if start > i:
            tokens.append(("text", template[i:start]))
        end = template.find("}", start)
        if end < 0:
            raise PrinterError(f'error parsing jsonpath {template}, unclosed action')
        tokens.append(("expr", template[start + 1:end].strip()))
        i = end + 1
    return tokens


def _jsonpath_eval(path: str, data: Any) -> list:
    values = [data]
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == ".":
            j = i + 1
            while j < len(path) and path[j] not in ".[":
                j += 1
            key = path[i + 1:j]
            if key == "*":
                values = [v for d in values if isinstance(d, dict) for v in d.values()]
            elif key:
                values = [d[key] for d in values if isinstance(d, dict) and key in d]
            i = j
        elif ch == "[":
            j = path.index("]", i)
            index = path[i + 1:j].strip()
            if index == "*":
                values = [v for d in values if isinstance(d, list) for v in d] + \
                         [v for d in values if isinstance(d, dict) for v in d.values()]
            else:
                n = int(index)
                values = [d[n] for d in values if isinstance(d, list) and -len(d) <= n < len(d)]
            i = j + 1
        else:
            raise PrinterError(f"unrecognized character in action: {ch}")
    return values


def _jsonpath_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return "" if value is None else str(value)


def jsonpath_values(template: str, data: Any) -> list:
    """The values of the template's first action (``{.spec.replicas}``) in ``data``."""
    exprs = [text for kind, text in _jsonpath_tokens(template) if kind == "expr"]
    return _jsonpath_eval(exprs[0].lstrip("$"), data) if exprs else []


def jsonpath(template: str, data: Any) -> str:
    tokens = _jsonpath_tokens(template)

    def run(tokens: list, data: Any) -> tuple[str, int]:
        out, i = [], 0
        while i < len(tokens):
            kind, text = tokens[i]
            if kind == "text":
                out.append(text)
            elif text == "end":
                return "".join(out), i
            elif text.startswith("range "):
                body = tokens[i + 1:]
                length = 0
                for item in _jsonpath_eval(text[6:].strip(), data):
                    chunk, length = run(body, item)
                    out.append(chunk)
                if length == 0:
                    _, length = run(body, {})
                i += length + 1
            elif text.startswith('"') and text.endswith('"'):
                out.append(json.loads(text))
            else:
                out.append(" ".join(_jsonpath_str(v) for v in _jsonpath_eval(text.lstrip("$"), data)))
            i += 1
        return "".join(out), i

    return run(tokens, data)[0]


# --- custom columns -------------------------------------------------------------------------

_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed_jsonpath(expression: str) -> str:
    """RelaxedJSONPathExpression: "a.b", ".a.b", "{a.b}" and "{.a.b}" all mean "{.a.b}"."""
    if not expression:
        return expression
    match = _RELAXED.match(expression)
    if match is None:
        raise PrinterError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                           "'{name1.name2}' or '{.name1.name2}'")
    return "{." + (match.group(1) or match.group(2)) + "}"


def custom_columns(spec: str, objects: list[dict], no_headers: bool = False) -> str:
    """``-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName``: one row per object,
    "<none>" where the path finds nothing, several values comma-joined."""
    if not spec:
        raise PrinterError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise PrinterError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header, relaxed_jsonpath(path)))
    rows = [] if no_headers else [[h for h, _ in columns]]
    for obj in objects:
        row = []
        for _, template in columns:
            values = jsonpath_values(template, obj)
            row.append(",".join(go_sprint(v) for v in values) if values else "<none>")
        rows.append(row)
    return tabulate(rows) + "\n" if rows else ""
