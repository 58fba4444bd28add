"""The cron schedule parser that CronJob validation and the CronJob controller share.

Mirrors github.com/robfig/cron v3.0.1 (the version kubernetes v1.31 vendors): ``parser.go``
(ParseStandard: five fields with lists, ranges, steps, month and weekday names, ``*`` and ``?``;
the descriptors ``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight``,
``@hourly`` and ``@every <duration>``; a ``TZ=``/``CRON_TZ=`` prefix), ``spec.go``
(SpecSchedule.Next, with its day-of-month/day-of-week OR rule and its daylight-saving
corrections) and ``constantdelay.go``; Go's ``time.LoadLocation``, ``time.Date`` and
``time.ParseDuration`` as far as the parser needs them. Error messages are the library's, so
``kubectl apply`` of a bad schedule reads as it does against a real API server.

Times here are Unix seconds.

Simplified: the process's local time zone ("Local") is UTC; Go's ``time.Date`` normalisation
across a zone transition is approximated by comparing offsets; zone data is Python's
``zoneinfo`` (the system tz database) rather than Go's embedded copy.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from typing import Optional, Union

ZERO_TIME = -62135596800         # Go's zero time.Time (year 1) as Unix seconds: "no such time"


class CronError(ValueError):
    """A schedule robfig/cron would not parse; the message is the library's."""


STAR_BIT = 1 << 63               # the field was "*" or "?": day-of-month/day-of-week then AND
MONTH_NAMES = {n: i + 1 for i, n in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                               "sep", "oct", "nov", "dec"))}
DOW_NAMES = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


@dataclass(frozen=True)
class Bounds:
    min: int
    max: int
    names: Optional[dict] = None


SECONDS, MINUTES, HOURS = Bounds(0, 59), Bounds(0, 59), Bounds(0, 23)
DOM, MONTHS, DOW = Bounds(1, 31), Bounds(1, 12, MONTH_NAMES), Bounds(0, 6, DOW_NAMES)


def _bits(lo: int, hi: int, step: int) -> int:
    return sum(1 << i for i in range(lo, hi + 1, step))


def _all(r: Bounds) -> int:
    return _bits(r.min, r.max, 1) | STAR_BIT


def load_location(name: str) -> tzinfo:
    """time.LoadLocation: "" and "UTC" are UTC, "Local" is the process's zone (UTC here)."""
    if name in ("", "UTC", "Local"):
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise CronError(f"unknown time zone {name}") from None
    except (ValueError, OSError):
        raise CronError("time: invalid location name") from None


@dataclass(frozen=True)
class SpecSchedule:
    """Bit sets of the times a schedule fires (bit i of ``minute`` set: fires at minute i)."""
    second: int
    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    location: tzinfo

    def _day_matches(self, t: datetime) -> bool:
        dom_match = bool(1 << t.day & self.dom)
        dow_match = bool(1 << (t.weekday() + 1) % 7 & self.dow)
        if self.dom & STAR_BIT or self.dow & STAR_BIT:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, t: float) -> int:
        """The first time after ``t`` the schedule fires, or ZERO_TIME if none within five years.
        Walks month, day, hour, minute, second, restarting ("WRAP") whenever a field wraps."""
        if t <= ZERO_TIME:
            return ZERO_TIME
        loc = self.location
        u = math.floor(t) + 1                           # the upcoming whole second
        added = False
        year_limit = to_local(u, loc).year + 5
        while True:
            f = to_local(u, loc)
            if f.year > year_limit:
                return ZERO_TIME
            wrapped = False
            while not 1 << f.month & self.month:
                if not added:
                    added = True
                    u = go_date(f.year, f.month, 1, 0, 0, 0, loc)
                    f = to_local(u, loc)
                u = go_date(f.year, f.month + 1, f.day, f.hour, f.minute, f.second, loc)
                f = to_local(u, loc)
                if f.month == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not self._day_matches(f):
                if not added:
                    added = True
                    u = go_date(f.year, f.month, f.day, 0, 0, 0, loc)
                    f = to_local(u, loc)
                u = go_date(f.year, f.month, f.day + 1, f.hour, f.minute, f.second, loc)
                f = to_local(u, loc)
                if f.hour != 0:                         # daylight saving moved midnight
                    u += (24 - f.hour) * 3600 if f.hour > 12 else -f.hour * 3600
                    f = to_local(u, loc)
                if f.day == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not 1 << f.hour & self.hour:
                if not added:
                    added = True
                    u = go_date(f.year, f.month, f.day, f.hour, 0, 0, loc)
                u += 3600
                f = to_local(u, loc)
                if f.hour == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not 1 << f.minute & self.minute:
                if not added:
                    added = True
                    u -= u % 60
                u += 60
                f = to_local(u, loc)
                if f.minute == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not 1 << f.second & self.second:
                added = True
                u += 1
                f = to_local(u, loc)
                if f.second == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            return u


@dataclass(frozen=True)
class ConstantDelaySchedule:
    """``@every <duration>``: fires every ``delay`` whole seconds after the time it is asked about."""
    delay: int

    def next(self, t: float) -> int:
        return math.floor(t) + self.delay


Schedule = Union[SpecSchedule, ConstantDelaySchedule]


def to_local(u: int, loc: tzinfo) -> datetime:
    return datetime.fromtimestamp(u, loc)


def _offset(u: int, loc: tzinfo) -> int:
    return int(to_local(u, loc).utcoffset().total_seconds())


def go_date(year: int, month: int, day: int, hour: int, minute: int, second: int, loc: tzinfo) -> int:
    """time.Date: the wall-clock time in ``loc`` as Unix seconds, out-of-range fields normalised
    (month 13 is January of the next year, day 32 the first of the next month)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    days = (date(year, month, 1) - date(1970, 1, 1)).days + day - 1
    unix = days * 86400 + hour * 3600 + minute * 60 + second
    offset = _offset(unix, loc)
    if offset:
        utc = unix - offset
        if _offset(utc, loc) != offset:             # near a transition: use the zone in effect then
            offset = _offset(utc, loc)
        unix -= offset
    return unix


_INT = re.compile(r"[+-]?[0-9]+\Z")


def _parse_int(expr: str) -> int:
    if not _INT.match(expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    num = int(expr)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _parse_int_or_name(expr: str, names: Optional[dict]) -> int:
    if names is not None and expr.lower() in names:
        return names[expr.lower()]
    return _parse_int(expr)


def _get_range(expr: str, r: Bounds) -> int:
    """``number | number "-" number [ "/" number ]``, or ``*``/``?`` [ "/" number ]."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = r.min, r.max, STAR_BIT
    else:
        start = _parse_int_or_name(low_and_high[0], r.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _parse_int_or_name(low_and_high[1], r.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:                                  # "N/step" means "N-max/step"
            end = r.max
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < r.min:
        raise CronError(f"beginning of range ({start}) below minimum ({r.min}): {expr}")
    if end > r.max:
        raise CronError(f"end of range ({end}) above maximum ({r.max}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return _bits(start, end, step) | extra


def _get_field(text: str, r: Bounds) -> int:
    bits = 0
    for expr in (e for e in text.split(",") if e):
        bits |= _get_range(expr, r)
    return bits


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration ("1h30m", "90s", "1.5h"), in seconds."""
    s, sign = text, 1.0
    if s[:1] in ("-", "+"):
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise CronError(f'time: invalid duration "{text}"')
    total = 0.0
    while s:
        m = _DURATION_PART.match(s)
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if not whole and not frac:
            raise CronError(f'time: invalid duration "{text}"')
        if not unit:
            raise CronError(f'time: missing unit in duration "{text}"')
        if unit not in _DURATION_UNITS:
            raise CronError(f'time: unknown unit "{unit}" in duration "{text}"')
        total += float(f"{whole or 0}.{frac or 0}") * _DURATION_UNITS[unit]
        s = s[m.end():]
    return sign * total


def _parse_descriptor(descriptor: str, loc: tzinfo) -> Schedule:
    one = lambda r: 1 << r.min                      # noqa: E731 - the field's first value only
    if descriptor in ("@yearly", "@annually"):
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), one(DOM), one(MONTHS), _all(DOW), loc)
    if descriptor == "@monthly":
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), one(DOM), _all(MONTHS), _all(DOW), loc)
    if descriptor == "@weekly":
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), _all(DOM), _all(MONTHS), one(DOW), loc)
    if descriptor in ("@daily", "@midnight"):
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), _all(DOM), _all(MONTHS), _all(DOW), loc)
    if descriptor == "@hourly":
        return SpecSchedule(one(SECONDS), one(MINUTES), _all(HOURS), _all(DOM), _all(MONTHS), _all(DOW), loc)
    every = "@every "
    if descriptor.startswith(every):
        try:
            delay = parse_duration(descriptor[len(every):])
        except CronError as error:
            raise CronError(f"failed to parse duration {descriptor}: {error}") from None
        return ConstantDelaySchedule(max(1, int(delay)))     # at least a second, whole seconds
    raise CronError(f"unrecognized descriptor: {descriptor}")


def parse_standard(spec: str) -> Schedule:
    """cron.ParseStandard: minute hour day-of-month month day-of-week, or a descriptor."""
    if not spec:
        raise CronError("empty spec string")
    loc: tzinfo = timezone.utc
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        space, eq = spec.find(" "), spec.find("=")
        if space < 0:
            raise CronError(f"expected exactly 5 fields, found 0: {spec}")
        name = spec[eq + 1:space]
        try:
            loc = load_location(name)
        except CronError as error:
            raise CronError(f"provided bad location {name}: {error}") from None
        spec = spec[space:].strip()
    if spec.startswith("@"):
        return _parse_descriptor(spec, loc)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    minute, hour, dom, month, dow = (_get_field(text, r) for text, r in zip(fields, (MINUTES, HOURS, DOM, MONTHS, DOW)))
    return SpecSchedule(1 << SECONDS.min, minute, hour, dom, month, dow, loc)
