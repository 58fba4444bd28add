"""Resource quantities ("500m", "1Gi", "1e3") as exact fractions.

Mirrors kubernetes v1.31 staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
(ParseQuantity, MilliValue, Value, CanonicalizeBytes) and suffix.go.

Simplified: a quantity is a ``fractions.Fraction`` rather than an int64-or-inf.Dec with a
remembered format; ``format_quantity`` takes the format (binary or decimal) as an
argument and never emits the DecimalExponent form ("1e3" prints as "1k"). Values are not
limited to int64 and are not rounded to nano on parse (only when formatted).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_RE}'"
ERR_NUMERIC = "unable to parse quantity's numeric part"
ERR_SUFFIX = "unable to parse quantity's suffix"

_split = re.compile(SPLIT_RE)
_number = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")

DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12,
                    "P": 15, "E": 18}
BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_BY_EXP = {v: k for k, v in DECIMAL_SUFFIXES.items()}
_BIN_BY_EXP = {v: k for k, v in BINARY_SUFFIXES.items()}


def parse_quantity(s) -> Fraction:
    """ParseQuantity: "1.5Gi" -> Fraction(1610612736). Numbers (from YAML) are accepted too."""
    if isinstance(s, bool):
        raise ValueError(ERR_FORMAT_WRONG)
    if isinstance(s, Fraction):
        return s
    if isinstance(s, int):
        return Fraction(s)
    if isinstance(s, float):
        if not math.isfinite(s):
            raise ValueError(ERR_FORMAT_WRONG)
        return Fraction(repr(s))
    if not isinstance(s, str) or not s:
        raise ValueError(ERR_FORMAT_WRONG)
    m = _split.match(s)
    if not m:
        raise ValueError(ERR_FORMAT_WRONG)
    num, suffix = m.group(1), m.group(2)
    if not _number.match(num):
        raise ValueError(ERR_NUMERIC)
    value = Fraction(num)
    if suffix in DECIMAL_SUFFIXES:
        return value * Fraction(10) ** DECIMAL_SUFFIXES[suffix]
    if suffix in BINARY_SUFFIXES:
        return value * (1 << BINARY_SUFFIXES[suffix])
    if len(suffix) > 1 and suffix[0] in "eE":
        exp = suffix[1:]
        if re.match(r"^[-+]?[0-9]+$", exp):
            return value * Fraction(10) ** int(exp)
    raise ValueError(ERR_SUFFIX)


def milli_value(q) -> int:
    """MilliValue: the value times 1000, rounded up."""
    return math.ceil(parse_quantity(q) * 1000)


def value(q) -> int:
    """Value: the value rounded up to an integer."""
    return math.ceil(parse_quantity(q))


def format_quantity(q, binary: bool = False) -> str:
    """The canonical string: the largest suffix that keeps the mantissa an integer.

    Binary format only applies to integers of at least 1024 (1536Mi, not 1.5Gi); anything
    smaller or fractional prints in decimal SI, as upstream CanonicalizeBytes does.
    Decimal values are rounded up to a whole nano first (0.1n -> "1n").
    """
    f = parse_quantity(q)
    sign = "-" if f < 0 else ""
    f = abs(f)
    if binary and f.denominator == 1 and f >= 1024:
        n = f.numerator
        exp = 0
        while exp < 60 and n % 1024 == 0:
            n //= 1024
            exp += 10
        return f"{sign}{n}{_BIN_BY_EXP.get(exp, '')}" if exp else f"{sign}{n}"
    nanos = math.ceil(f * 10**9)
    if nanos == 0:
        return "0"
    mantissa, exp = nanos, -9
    while mantissa % 10 == 0 and exp < 18:
        mantissa //= 10
        exp += 1
    exp3 = (exp // 3) * 3
    mantissa *= 10 ** (exp - exp3)
    return f"{sign}{mantissa}{_DEC_BY_EXP[exp3]}"
