"""Label and field selectors: parse, match, print, and the fields each kind can be selected by.

Mirrors kubernetes v1.31 staging/src/k8s.io/apimachinery/pkg/labels/selector.go (lexer,
parser, Requirement, canonical String), apimachinery/pkg/apis/meta/v1/helpers.go
(LabelSelectorAsSelector), apimachinery/pkg/apis/meta/v1/validation/validation.go
(ValidateLabelSelector), apimachinery/pkg/fields/selector.go, and the field sets of
pkg/registry/core/pod/strategy.go (ToSelectableFields) and
pkg/registry/core/event/strategy.go.

Simplified: parse errors are plain strings in the pre-1.27 form ("unable to parse
requirement: ...") rather than field.ErrorList paths; field selectors support only
``=``, ``==`` and ``!=`` with no escaping of ``,`` ``=`` ``!`` in values.
"""
from __future__ import annotations

import json
from typing import Optional

from .errors import Cause
from .meta import is_qualified_name, is_valid_label_value

# Selector operators, as selection.Operator spells them.
EXISTS, DOES_NOT_EXIST = "exists", "!"
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN = "in", "notin"
GREATER_THAN, LESS_THAN = "gt", "lt"

_SPECIAL = "=!(),><"
_WHITESPACE = " \t\r\n"
_KEYWORDS = {")": "CLOSE", ",": "COMMA", "!": "NOT", "==": "DEQ", "=": "EQ", ">": "GT",
             "in": "IN", "<": "LT", "!=": "NEQ", "notin": "NOTIN", "(": "OPEN"}


def _lex(s: str) -> list[tuple[str, str]]:
    """Tokens as (type, literal), ending with ("END", "")."""
    out, i = [], 0
    while True:
        while i < len(s) and s[i] in _WHITESPACE:
            i += 1
        if i >= len(s):
            out.append(("END", ""))
            return out
        if s[i] in _SPECIAL:
            buf, last = "", None
            while i < len(s) and s[i] in _SPECIAL:
                buf += s[i]
                if buf in _KEYWORDS:
                    last = (_KEYWORDS[buf], buf)
                    i += 1
                elif last is not None:
                    break
                else:
                    i += 1
            out.append(last or ("ERROR", f"error expected: keyword found '{buf}'"))
        else:
            j = i
            while j < len(s) and s[j] not in _SPECIAL and s[j] not in _WHITESPACE:
                j += 1
            word = s[i:j]
            i = j
            out.append((_KEYWORDS.get(word, "ID"), word) if word in ("in", "notin") else ("ID", word))


def _check_key(key: str) -> None:
    errs = is_qualified_name(key)
    if errs:
        raise ValueError(f"invalid label key {_q(key)}: {'; '.join(errs)}")


def _q(s: str) -> str:
    return json.dumps(s)


def new_requirement(key: str, op: str, values) -> tuple[str, str, tuple]:
    """NewRequirement: validate the key, the operator's value count and each value."""
    _check_key(key)
    values = tuple(values)
    if op in (IN, NOT_IN):
        if not values:
            raise ValueError("for 'in', 'notin' operators, values set can't be empty")
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            raise ValueError("exact-match compatibility requires one single value")
    elif op in (EXISTS, DOES_NOT_EXIST):
        if values:
            raise ValueError("values set must be empty for exists and does not exist")
    elif op in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            raise ValueError("for 'Gt', 'Lt' operators, exactly one value is required")
        try:
            int(values[0])
        except ValueError:
            raise ValueError("for 'Gt', 'Lt' operators, the value must be an integer") from None
    else:
        raise ValueError(f"operator '{op}' is not recognized")
    for v in values:
        errs = is_valid_label_value(v)
        if errs:
            raise ValueError(f"invalid label value: {_q(v)}: at key: {_q(key)}: {'; '.join(errs)}")
    return (key, op, tuple(sorted(set(values))))


def _req_matches(req, labels: dict) -> bool:
    key, op, values = req
    if op in (IN, EQUALS, DOUBLE_EQUALS):
        return key in labels and labels[key] in values
    if op in (NOT_IN, NOT_EQUALS):
        return key not in labels or labels[key] not in values
    if op == EXISTS:
        return key in labels
    if op == DOES_NOT_EXIST:
        return key not in labels
    if op in (GREATER_THAN, LESS_THAN):
        try:
            have = int(labels[key])
        except (KeyError, ValueError):
            return False
        want = int(values[0])
        return have > want if op == GREATER_THAN else have < want
    return False


def _req_string(req) -> str:
    key, op, values = req
    if op == DOES_NOT_EXIST:
        return "!" + key
    if op == EXISTS:
        return key
    if op in (IN, NOT_IN):
        return f"{key} {op} ({','.join(values)})"
    sym = {GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
    return f"{key}{sym}{','.join(values)}"


class Selector:
    """A label selector: every requirement must hold (labels.internalSelector)."""

    def __init__(self, requirements=(), nothing: bool = False):
        # Invariant: requirements are sorted by key (stable), values within each sorted.
        self.requirements: list[tuple[str, str, tuple]] = sorted(requirements, key=lambda r: r[0])
        self._nothing = nothing

    @classmethod
    def everything(cls) -> "Selector":
        return cls()

    @classmethod
    def nothing(cls) -> "Selector":
        return cls(nothing=True)

    @classmethod
    def from_set(cls, labels: Optional[dict]) -> "Selector":
        """SelectorFromSet: key=value for each label."""
        return cls([(k, EQUALS, (v,)) for k, v in sorted((labels or {}).items())])

    @classmethod
    def parse(cls, text: str) -> "Selector":
        toks = _lex(text)
        pos = 0

        def look(values_ctx=True):
            t, lit = toks[pos]
            if values_ctx and t in ("IN", "NOTIN"):
                t = "ID"
            return t, lit

        def take(values_ctx=True):
            nonlocal pos
            t, lit = look(values_ctx)
            pos += 1
            return t, lit

        def requirement():
            op = None
            t, lit = take()
            if t == "NOT":
                op = DOES_NOT_EXIST
                t, lit = take()
            if t != "ID":
                raise ValueError(f"found '{lit}', expected: identifier")
            key = lit
            _check_key(key)
            if op == DOES_NOT_EXIST or look()[0] in ("END", "COMMA"):
                # "!a=b" parses "!a" and then fails on "=" in the outer loop, as upstream
                return new_requirement(key, op or EXISTS, ())
            t, lit = take(False)
            ops = {"IN": IN, "EQ": EQUALS, "DEQ": DOUBLE_EQUALS, "GT": GREATER_THAN,
                   "LT": LESS_THAN, "NOTIN": NOT_IN, "NEQ": NOT_EQUALS}
            if t not in ops:
                raise ValueError(f"found '{lit}', expected: '=', '!=', '==', 'in', notin'")
            op = ops[t]
            if op in (IN, NOT_IN):
                values = value_list()
            else:
                t, lit = look()
                if t in ("END", "COMMA"):
                    values = {""}
                else:
                    t, lit = take()
                    if t != "ID":
                        raise ValueError(f"found '{lit}', expected: identifier")
                    values = {lit}
            return new_requirement(key, op, sorted(values))

        def value_list():
            t, lit = take()
            if t != "OPEN":
                raise ValueError(f"found '{lit}' expected: '('")
            t, lit = look()
            if t == "CLOSE":
                take()
                return {""}
            if t not in ("ID", "COMMA"):
                raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")
            values: set[str] = set()
            while True:
                t2, lit2 = take()
                if t2 == "ID":
                    values.add(lit2)
                    t3, lit3 = look()
                    if t3 == "COMMA":
                        take()
                        if look()[0] == "CLOSE":
                            values.add("")
                        continue
                    if t3 == "CLOSE":
                        take()
                        return values
                    raise ValueError(f"found '{lit3}', expected: ',' or ')'")
                if t2 == "COMMA":
                    values.add("")
                    continue
                if t2 == "CLOSE":
                    values.add("")
                    return values
                raise ValueError(f"found '{lit2}', expected: ',', or identifier")

        reqs = []
        while True:
            t, lit = look()
            if t == "END":
                break
            if t not in ("ID", "NOT"):
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(requirement())
            except ValueError as e:
                raise ValueError(f"unable to parse requirement: {e}") from None
            t, lit = take()
            if t == "END":
                break
            if t != "COMMA":
                raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
            t2, lit2 = look()
            if t2 not in ("ID", "NOT"):
                raise ValueError(f"found '{lit2}', expected: identifier after ','")
        return cls(reqs)

    @classmethod
    def from_label_selector(cls, d: Optional[dict]) -> "Selector":
        """LabelSelectorAsSelector: None selects nothing, {} selects everything."""
        if d is None:
            return cls.nothing()
        labels = d.get("matchLabels") or {}
        exprs = d.get("matchExpressions") or []
        if not labels and not exprs:
            return cls.everything()
        reqs = [new_requirement(k, EQUALS, (v,)) for k, v in sorted(labels.items())]
        ops = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}
        for e in exprs:
            op = e.get("operator")
            if op not in ops:
                raise ValueError(f'"{op}" is not a valid label selector operator')
            reqs.append(new_requirement(e.get("key", ""), ops[op], e.get("values") or ()))
        return cls(reqs)

    def matches(self, labels: Optional[dict]) -> bool:
        if self._nothing:
            return False
        labels = labels or {}
        return all(_req_matches(r, labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self._nothing and not self.requirements

    def exact_match(self, key: str) -> Optional[str]:
        """RequiresExactMatch: the one value the selector demands for key, if any."""
        for k, op, values in self.requirements:
            if k == key:
                if op in (EQUALS, DOUBLE_EQUALS, IN) and len(values) == 1:
                    return values[0]
                return None
        return None

    def __str__(self) -> str:
        return "" if self._nothing else ",".join(_req_string(r) for r in self.requirements)

    def __repr__(self) -> str:
        return "Selector.nothing()" if self._nothing else f"Selector({str(self)!r})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Selector) and self._nothing == other._nothing
                and self.requirements == other.requirements)


def validate_label_selector(d: Optional[dict], field_path: str) -> list[Cause]:
    """ValidateLabelSelector (metav1 validation): operators, value counts, keys, values."""
    if d is None:
        return []
    causes: list[Cause] = []
    for i, e in enumerate(d.get("matchExpressions") or []):
        p = f"{field_path}.matchExpressions[{i}]"
        op = e.get("operator")
        values = e.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                causes.append(Cause("Required", f"{p}.values",
                                    "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                causes.append(Cause("Forbidden", f"{p}.values",
                                    "may not be specified when `operator` is 'Exists' or "
                                    "'DoesNotExist'"))
        else:
            causes.append(Cause("Invalid", f"{p}.operator", "not a valid selector operator", op))
        key = e.get("key", "")
        causes += [Cause("Invalid", f"{p}.key", m, key) for m in is_qualified_name(key)]
        for j, v in enumerate(values):
            causes += [Cause("Invalid", f"{p}.values[{j}]", m, v) for m in is_valid_label_value(v)]
    labels = d.get("matchLabels") or {}
    for k in sorted(labels):
        causes += [Cause("Invalid", f"{field_path}.matchLabels", m, k) for m in is_qualified_name(k)]
        causes += [Cause("Invalid", f"{field_path}.matchLabels", m, labels[k])
                   for m in is_valid_label_value(str(labels[k]))]
    return causes


# ---- field selectors ---------------------------------------------------------------------

class FieldSelector:
    """A field selector (fields.Selector): terms "field=value" or "field!=value", all must hold."""

    def __init__(self, terms=()):
        self.terms: list[tuple[str, str, str]] = sorted(terms, key=lambda t: (t[0], t[1], t[2]))

    @classmethod
    def everything(cls) -> "FieldSelector":
        return cls()

    @classmethod
    def parse(cls, text: str) -> "FieldSelector":
        terms = []
        for part in (text or "").split(","):
            if not part:
                continue
            for op in ("!=", "==", "="):
                if op in part:
                    field, _, val = part.partition(op)
                    terms.append((field.strip(), "!=" if op == "!=" else "=", val.strip()))
                    break
            else:
                raise ValueError(f"invalid selector: '{text}'; can't understand '{part}'")
        return cls(terms)

    def matches(self, fields: dict) -> bool:
        for field, op, val in self.terms:
            have = fields.get(field, "")
            if (op == "=") != (have == val):
                return False
        return True

    def empty(self) -> bool:
        return not self.terms

    def exact_match(self, field: str) -> Optional[str]:
        for f, op, val in self.terms:
            if f == field and op == "=":
                return val
        return None

    def fields(self) -> list[str]:
        return [t[0] for t in self.terms]

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{v}" for f, op, v in self.terms)


def _s(v) -> str:
    return "" if v is None else str(v)


def object_fields(obj: dict) -> dict:
    """The fields any object can be selected by, plus Event's and Pod's own."""
    m = obj.get("metadata") or {}
    fields = {"metadata.name": _s(m.get("name")), "metadata.namespace": _s(m.get("namespace"))}
    kind = obj.get("kind")
    if kind == "Pod":
        return pod_fields(obj)
    if kind == "Event":
        io = obj.get("involvedObject") or {}
        for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"):
            fields[f"involvedObject.{f}"] = _s(io.get(f))
        fields["reason"] = _s(obj.get("reason"))
        fields["reportingComponent"] = _s(obj.get("reportingComponent"))
        fields["source"] = _s((obj.get("source") or {}).get("component"))
        fields["type"] = _s(obj.get("type"))
    elif kind == "Secret":
        fields["type"] = _s(obj.get("type"))
    elif kind == "Node":
        fields["spec.unschedulable"] = "true" if (obj.get("spec") or {}).get("unschedulable") else "false"
    elif kind == "Namespace":
        fields["status.phase"] = _s((obj.get("status") or {}).get("phase"))
    return fields


def pod_fields(pod: dict) -> dict:
    """pod.ToSelectableFields."""
    m = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    ips = status.get("podIPs") or []
    return {
        "metadata.name": _s(m.get("name")),
        "metadata.namespace": _s(m.get("namespace")),
        "spec.nodeName": _s(spec.get("nodeName")),
        "spec.restartPolicy": _s(spec.get("restartPolicy")),
        "spec.schedulerName": _s(spec.get("schedulerName")),
        "spec.serviceAccountName": _s(spec.get("serviceAccountName")),
        "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
        "status.phase": _s(status.get("phase")),
        "status.podIP": _s(ips[0].get("ip") if ips else status.get("podIP")),
        "status.nominatedNodeName": _s(status.get("nominatedNodeName")),
    }
