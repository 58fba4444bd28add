"""The executables inside images: shells, utilities, perl, python and the images' own servers.

Mirrors what a container's ``command``/``args`` can start in the images the Kubernetes docs use:
busybox 1.36 applets and GNU coreutils 9 (``echo``, ``printf``, ``sleep``, ``date``, ``cat``,
``env``, ``seq``, ``test``/``[``, ``wc``, ``head``, ``tail``, ``grep``, ``tee`` ...), the
shells of ``shell.py``, ``perl`` and ``python`` (``interpreters.py``), and ``nginx``. Messages are the
utilities' own (``sleep: invalid number 'x'``, ``cat: can't open 'f': No such file or
directory``).

Every executable is ``async def tool(sh, argv, io) -> exit status``: ``sh`` is the calling
process (its variables and the container, ``sh.host``), ``io`` its standard streams.

Simplified: no network tools (``wget``, ``nslookup``); files live in the container's own
dictionary (no volumes).
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Optional

from ..api.meta import EPOCH
from . import interpreters, web
from .shell import IO, Shell
from .shell_syntax import backslash_escapes

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def busybox(sh: Shell) -> bool:
    return sh.flavour == "ash"


# -- echo, printf ---------------------------------------------------------------------------------
async def echo(sh: Shell, argv: list, io: IO) -> int:
    args = argv[1:]
    newline = True
    escapes = sh.is_shell and sh.flavour == "dash"     # dash's builtin echo reads escapes; the others need -e
    while args and re.fullmatch(r"-[neE]+", args[0]) and not (sh.is_shell and sh.flavour == "dash" and args[0] != "-n"):
        for letter in args.pop(0)[1:]:
            if letter == "n":
                newline = False
            else:
                escapes = letter == "e"
    text = " ".join(args)
    if escapes:
        text, stop = backslash_escapes(text)
        newline = newline and not stop
    io.stdout.write(text + ("\n" if newline else ""))
    return 0


def _printf_once(fmt: str, args: list) -> tuple[str, int]:
    """One pass of the format; returns (text, arguments used)."""
    out, used, i = [], 0, 0
    spec = re.compile(r"%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([sdiouxXfeEgGcb%])")
    while i < len(fmt):
        if fmt[i] == "%":
            m = spec.match(fmt, i)
            if m:
                flags, width, precision, conv = m.groups()
                i = m.end()
                if conv == "%":
                    out.append("%")
                    continue
                arg = args[used] if used < len(args) else ""
                used += 1
                if conv in "di":
                    value = _int_arg(arg)
                    text = f"%{flags}{width or ''}d" % value
                elif conv in "ouxX":
                    text = f"%{flags}{width or ''}{conv}" % _int_arg(arg)
                elif conv in "feEgG":
                    text = f"%{flags}{width or ''}{'.' + precision if precision else ''}{conv}" % float(arg or 0)
                elif conv == "c":
                    text = arg[:1]
                elif conv == "b":
                    text = backslash_escapes(arg)[0]
                else:
                    value = arg[:int(precision)] if precision else arg
                    text = f"%{flags.replace('0', '')}{width or ''}s" % value
                out.append(text)
                continue
        if fmt[i] == "\\":
            piece, _ = backslash_escapes(fmt[i:i + 2] if fmt[i + 1:i + 2] != "0" else fmt[i:i + 5])
            step = 2 if fmt[i + 1:i + 2] != "0" else len(re.match(r"\\0[0-7]{0,3}", fmt[i:]).group(0))
            out.append(piece)
            i += step
            continue
        out.append(fmt[i])
        i += 1
    return "".join(out), used


def _int_arg(arg: str) -> int:
    try:
        return int(arg or "0", 0)
    except ValueError:
        return int(float(arg)) if re.fullmatch(r"-?\d+\.\d*", arg) else 0


async def printf(sh: Shell, argv: list, io: IO) -> int:
    if len(argv) < 2:
        io.stderr.write("printf: usage: printf format [arguments]\n" if sh.flavour == "bash" else
                        "Usage: printf FORMAT [ARGUMENT]...\n")
        return 2 if sh.flavour == "bash" else 1
    fmt, args = argv[1], argv[2:]
    while True:
        text, used = _printf_once(fmt, args)
        io.stdout.write(text)
        args = args[used:]
        if not args or not used:
            return 0


# -- time ----------------------------------------------------------------------------------------
async def sleep(sh: Shell, argv: list, io: IO) -> int:
    if len(argv) < 2:
        io.stderr.write("sleep: missing operand\n")
        return 1
    total = 0.0
    for arg in argv[1:]:
        if arg in ("inf", "infinity"):
            await sh.host.forever()
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if not m:
            io.stderr.write(f"sleep: invalid number '{arg}'\n" if busybox(sh) else
                            f"sleep: invalid time interval '{arg}'\n")
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    await sh.host.sleep(total)
    return 0


def strftime(seconds: float, fmt: str) -> str:
    """C-locale strftime of virtual time, as date(1) prints it (no host locale or clock involved)."""
    whole = int(seconds // 1)
    t = EPOCH + timedelta(seconds=whole)
    fields = {"a": DAYS[t.weekday()], "A": DAY_NAMES[t.weekday()], "b": MONTHS[t.month - 1],
              "h": MONTHS[t.month - 1], "B": MONTH_NAMES[t.month - 1], "d": f"{t.day:02d}", "e": f"{t.day:2d}",
              "H": f"{t.hour:02d}", "M": f"{t.minute:02d}", "S": f"{t.second:02d}", "Y": str(t.year),
              "y": f"{t.year % 100:02d}", "m": f"{t.month:02d}", "j": f"{t.timetuple().tm_yday:03d}",
              "s": str(int((t - EPOCH.replace(year=1970)).total_seconds())), "Z": "UTC", "z": "+0000",
              "N": f"{int(round((seconds - whole) * 1e9)):09d}", "n": "\n", "t": "\t", "%": "%",
              "p": "AM" if t.hour < 12 else "PM", "u": str(t.isoweekday())}
    fields.update({"T": f"{fields['H']}:{fields['M']}:{fields['S']}", "F": f"{fields['Y']}-{fields['m']}-{fields['d']}",
                   "D": f"{fields['m']}/{fields['d']}/{fields['y']}", "R": f"{fields['H']}:{fields['M']}"})
    return re.sub(r"%([A-Za-z%])", lambda m: fields.get(m.group(1), m.group(0)), fmt)


async def date(sh: Shell, argv: list, io: IO) -> int:
    fmt = "%a %b %e %H:%M:%S %Z %Y"
    for arg in argv[1:]:
        if arg.startswith("+"):
            fmt = arg[1:]
        elif arg in ("-R", "--rfc-email"):
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif arg in ("-I", "--iso-8601"):
            fmt = "%Y-%m-%d"
        elif arg not in ("-u", "--utc", "--universal"):
            io.stderr.write(f"date: invalid date '{arg}'\n")
            return 1
    io.stdout.write(strftime(sh.host.now, fmt) + "\n")
    return 0


# -- files and text ----------------------------------------------------------------------------
def _no_file(sh: Shell, tool: str, path: str) -> str:
    return (f"{tool}: can't open '{path}': No such file or directory\n" if busybox(sh)
            else f"{tool}: {path}: No such file or directory\n")


def _inputs(sh: Shell, tool: str, paths: list, io: IO) -> tuple[list[str], int]:
    if not paths:
        return [io.stdin], 0
    texts, status = [], 0
    for path in paths:
        if path == "-":
            texts.append(io.stdin)
        elif path in sh.host.fs:
            texts.append(sh.host.fs[path])
        else:
            io.stderr.write(_no_file(sh, tool, path))
            status = 1
    return texts, status


async def cat(sh: Shell, argv: list, io: IO) -> int:
    texts, status = _inputs(sh, "cat", [a for a in argv[1:] if not a.startswith("-") or a == "-"], io)
    for text in texts:
        io.stdout.write(text)
    return status


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _count_option(args: list, default: int) -> tuple[int, list]:
    rest, n = [], default
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-n" and i + 1 < len(args):
            n = int(args[i + 1].lstrip("+"))
            i += 2
            continue
        if re.fullmatch(r"-n?\d+", a):
            n = int(a.lstrip("-n"))
        else:
            rest.append(a)
        i += 1
    return n, rest


async def head(sh: Shell, argv: list, io: IO) -> int:
    n, paths = _count_option(argv[1:], 10)
    texts, status = _inputs(sh, "head", paths, io)
    for text in texts:
        io.stdout.write("".join(_lines(text)[:n]))
    return status


async def tail(sh: Shell, argv: list, io: IO) -> int:
    n, paths = _count_option([a for a in argv[1:] if a != "-f"], 10)
    texts, status = _inputs(sh, "tail", paths, io)
    for text in texts:
        io.stdout.write("".join(_lines(text)[-n:] if n else []))
    if "-f" in argv[1:]:
        await sh.host.forever()
    return status


async def wc(sh: Shell, argv: list, io: IO) -> int:
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and a != "-") or "lwc"
    texts, status = _inputs(sh, "wc", [a for a in argv[1:] if not a.startswith("-") or a == "-"], io)
    text = "".join(texts)
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
    values = [counts[f] for f in "lwc" if f in flags]
    io.stdout.write((" ".join(str(v) for v in values) if len(values) == 1 else
                     " ".join(f"{v:7d}" for v in values)) + "\n")
    return status


async def grep(sh: Shell, argv: list, io: IO) -> int:
    args = argv[1:]
    flags = set()
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flags.update(args.pop(0)[1:])
    if not args:
        io.stderr.write("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
        return 2
    pattern = args.pop(0)
    try:
        regex = re.compile(re.escape(pattern) if "F" in flags else pattern, re.I if "i" in flags else 0)
    except re.error:
        regex = re.compile(re.escape(pattern))
    texts, status = _inputs(sh, "grep", args, io)
    matches = [line for text in texts for line in _lines(text)
               if bool(regex.search(line.rstrip("\n"))) != ("v" in flags)]
    if "q" not in flags:
        if "c" in flags:
            io.stdout.write(f"{len(matches)}\n")
        else:
            io.stdout.write("".join(m if m.endswith("\n") else m + "\n" for m in matches))
    return status or (0 if matches else 1)


async def tee(sh: Shell, argv: list, io: IO) -> int:
    append = "-a" in argv[1:]
    streams = [sh.open_for_write(p, append) for p in argv[1:] if p != "-a"]
    io.stdout.write(io.stdin)
    for stream in streams:
        stream.write(io.stdin)
    return 0


async def touch(sh: Shell, argv: list, io: IO) -> int:
    for path in argv[1:]:
        if not path.startswith("-"):
            sh.host.fs.setdefault(path, "")
    return 0


async def rm(sh: Shell, argv: list, io: IO) -> int:
    force = any(a.startswith("-") and "f" in a for a in argv[1:])
    status = 0
    for path in argv[1:]:
        if path.startswith("-"):
            continue
        if sh.host.fs.pop(path, None) is None and not force:
            io.stderr.write(f"rm: can't remove '{path}': No such file or directory\n" if busybox(sh)
                            else f"rm: cannot remove '{path}': No such file or directory\n")
            status = 1
    return status


ROOT = ("bin", "dev", "etc", "home", "lib", "proc", "root", "sys", "tmp", "usr", "var")


async def ls(sh: Shell, argv: list, io: IO) -> int:
    """The files written in the container (and the top directories of ``/``), one per line (no tty)."""
    status = 0
    for path in [a for a in argv[1:] if not a.startswith("-")] or [sh.vars.get("PWD", "/")]:
        if path in sh.host.fs:
            io.stdout.write(path + "\n")
            continue
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix):].split("/", 1)[0] for p in sh.host.fs if p.startswith(prefix)}
        if prefix == "/":
            names.update(ROOT)
        if not names and prefix.strip("/") not in ROOT:
            io.stderr.write(f"ls: {path}: No such file or directory\n" if busybox(sh) else
                            f"ls: cannot access '{path}': No such file or directory\n")
            status = 2 if not busybox(sh) else 1
            continue
        io.stdout.write("".join(name + "\n" for name in sorted(names)))
    return status


async def nothing(sh: Shell, argv: list, io: IO) -> int:
    return 0


async def true(sh: Shell, argv: list, io: IO) -> int:
    return 0


async def false(sh: Shell, argv: list, io: IO) -> int:
    return 1


async def env(sh: Shell, argv: list, io: IO) -> int:
    for name in sh.vars:
        if name in sh.exported:
            io.stdout.write(f"{name}={sh.vars[name]}\n")
    return 0


async def printenv(sh: Shell, argv: list, io: IO) -> int:
    if len(argv) == 1:
        return await env(sh, argv, io)
    status = 0
    for name in argv[1:]:
        if name in sh.vars and name in sh.exported:
            io.stdout.write(sh.vars[name] + "\n")
        else:
            status = 1
    return status


async def hostname(sh: Shell, argv: list, io: IO) -> int:
    io.stdout.write(sh.host.hostname + "\n")
    return 0


async def pwd(sh: Shell, argv: list, io: IO) -> int:
    io.stdout.write(sh.vars.get("PWD", "/") + "\n")
    return 0


async def whoami(sh: Shell, argv: list, io: IO) -> int:
    io.stdout.write("root\n")
    return 0


async def uname(sh: Shell, argv: list, io: IO) -> int:
    full = "-a" in argv[1:]
    io.stdout.write(f"Linux {sh.host.hostname} 6.1.0-k8slite #1 SMP x86_64 GNU/Linux\n" if full else "Linux\n")
    return 0


async def seq(sh: Shell, argv: list, io: IO) -> int:
    nums = argv[1:]
    try:
        values = [float(x) for x in nums]
    except ValueError:
        io.stderr.write(f"seq: invalid floating point argument: '{next(x for x in nums if not _is_number(x))}'\n")
        return 1
    if not values or len(values) > 3:
        io.stderr.write("seq: missing operand\n")
        return 1
    first, step, last = (1.0, 1.0, values[0]) if len(values) == 1 else \
        (values[0], 1.0, values[1]) if len(values) == 2 else tuple(values)
    out, x = [], first
    while (step > 0 and x <= last + 1e-9) or (step < 0 and x >= last - 1e-9):
        out.append(f"{x:g}" if x != int(x) else str(int(x)))
        x += step
        if len(out) > 1_000_000:
            break
    io.stdout.write("".join(v + "\n" for v in out))
    return 0


def _is_number(x: str) -> bool:
    try:
        float(x)
        return True
    except ValueError:
        return False


async def test(sh: Shell, argv: list, io: IO) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            io.stderr.write(f"{sh.arg0}: [: missing ]\n" if sh.flavour != "bash" else "[: missing `]'\n")
            return 2
        args = args[:-1]
    try:
        return 0 if _test(sh, args) else 1
    except ValueError as error:
        io.stderr.write(f"{sh.arg0}: {argv[0]}: {error}\n")
        return 2


def _test(sh: Shell, args: list) -> bool:
    if not args:
        return False
    for i, a in enumerate(args):                      # lowest precedence first: -o, then -a
        if a == "-o" and 0 < i < len(args) - 1:
            return _test(sh, args[:i]) or _test(sh, args[i + 1:])
    for i, a in enumerate(args):
        if a == "-a" and 0 < i < len(args) - 1:
            return _test(sh, args[:i]) and _test(sh, args[i + 1:])
    if args[0] == "!":
        return not _test(sh, args[1:])
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, x = args
        if op == "-z":
            return x == ""
        if op == "-n":
            return x != ""
        if op in ("-f", "-e", "-r", "-s"):
            return x in sh.host.fs and (op != "-s" or sh.host.fs[x] != "")
        if op == "-d":
            return x in ("/", "/tmp", "/etc", "/var", "/root", "/usr", "/bin")
        raise ValueError(f"{op}: unexpected operator")
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {"-eq": lambda x, y: x == y, "-ne": lambda x, y: x != y, "-lt": lambda x, y: x < y,
                "-le": lambda x, y: x <= y, "-gt": lambda x, y: x > y, "-ge": lambda x, y: x >= y}
        if op in ints:
            try:
                return ints[op](int(a), int(b))
            except ValueError:
                bad = a if not re.fullmatch(r"\s*-?\d+\s*", a) else b
                raise ValueError(f"Illegal number: {bad}" if sh.flavour != "bash"
                                 else f"{bad}: integer expression expected") from None
        if op in ("<", ">"):
            return a < b if op == "<" else a > b
    raise ValueError("unexpected operator")


async def expr(sh: Shell, argv: list, io: IO) -> int:
    """``expr 3 + 2``: integer arithmetic and comparison of two operands; status 1 when the result is 0."""
    args = argv[1:]
    ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: int(a / b), "%": lambda a, b: a - b * int(a / b),
           "<": lambda a, b: int(a < b), "<=": lambda a, b: int(a <= b), ">": lambda a, b: int(a > b),
           ">=": lambda a, b: int(a >= b), "=": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b)}
    try:
        if len(args) == 1:
            result = args[0]
        elif len(args) == 3 and args[1] in ops:
            result = str(ops[args[1]](int(args[0]), int(args[2])))
        else:
            raise ValueError("syntax error")
    except ZeroDivisionError:
        io.stderr.write("expr: division by zero\n")
        return 2
    except ValueError:
        io.stderr.write("expr: non-numeric argument\n" if len(args) == 3 else "expr: syntax error\n")
        return 2
    io.stdout.write(result + "\n")
    return 1 if result in ("0", "") else 0


async def basename(sh: Shell, argv: list, io: IO) -> int:
    io.stdout.write((argv[1].rstrip("/").rsplit("/", 1)[-1] if len(argv) > 1 else "") + "\n")
    return 0


async def dirname(sh: Shell, argv: list, io: IO) -> int:
    path = argv[1].rstrip("/") if len(argv) > 1 else "."
    io.stdout.write((path.rsplit("/", 1)[0] or "/" if "/" in path else ".") + "\n")
    return 0


# -- shells ----------------------------------------------------------------------------------------
def shell_program(flavour: str):
    """``sh``/``ash``/``dash``/``bash`` as a command: ``-c script [arg0 [args]]``, a script file, or no input."""
    async def run(sh: Shell, argv: list, io: IO) -> int:
        args = argv[1:]
        errexit = xtrace = command_mode = False
        while args and args[0][:1] in "-+" and args[0] not in ("-", "--"):
            flag = args.pop(0)
            if flag.startswith("--"):
                continue                         # --login, --norc, ...
            letters = flag[1:]
            for letter in letters:
                if letter == "c":
                    command_mode = True
                elif letter == "e":
                    errexit = flag[0] == "-"
                elif letter == "x":
                    xtrace = flag[0] == "-"
                elif letter == "o" and args:
                    args.pop(0)
        if args and args[0] in ("-", "--"):
            args.pop(0)
        name = argv[0]
        if command_mode:
            if not args:
                io.stderr.write(f"{name}: -c requires an argument\n" if flavour != "dash"
                                else f"{name}: 0: -c requires an argument\n")
                return 2
            script = args.pop(0)
            arg0 = args.pop(0) if args else name
        elif args:
            path = args.pop(0)
            if path not in sh.host.fs:
                if flavour == "bash":
                    io.stderr.write(f"{name}: {path}: No such file or directory\n")
                    return 127
                io.stderr.write(f"{name}: 0: cannot open {path}: No such file\n" if flavour == "dash" else
                                f"{name}: can't open '{path}': No such file or directory\n")
                return 2
            script, arg0 = sh.host.fs[path], path
        else:
            script, arg0 = io.stdin, name         # no terminal and nothing on stdin: the shell just exits
        child = Shell(sh.host, sh.lookup, flavour, arg0, tuple(args), errexit, xtrace)
        child.vars = {k: v for k, v in sh.vars.items() if k in sh.exported}
        child.exported = set(child.vars)
        return await child.run_script(script, io)
    return run


# -- the images' own servers -----------------------------------------------------------------
NGINX_STARTUP = ("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                 "/docker-entrypoint.sh: Configuration complete; ready for start up",
                 "nginx: [notice] start worker processes")


async def nginx(sh: Shell, argv: list, io: IO) -> int:
    for line in NGINX_STARTUP:
        io.stdout.write(line + "\n")
    if hasattr(sh.host, "listen"):           # a container (not a bare shell in the tests)
        web.nginx_site(sh.host)
    await sh.host.forever()
    return 0


async def serve_forever(sh: Shell, argv: list, io: IO) -> int:
    """An image's own long-running program (redis-server, mysqld, ...): it runs until stopped."""
    await sh.host.forever()
    return 0


async def entrypoint_script(sh: Shell, argv: list, io: IO) -> int:
    """``docker-entrypoint.sh "$@"``: prepare, then exec the arguments (or the image's server)."""
    if len(argv) == 1:
        return await serve_forever(sh, argv, io)
    command = sh.lookup(argv[1])
    if command is None:
        return sh.not_found(io, argv[1])
    return await command(sh, argv[1:], io)


UTILITIES = {
    "echo": echo, "printf": printf, "sleep": sleep, "date": date, "cat": cat, "head": head, "tail": tail, "wc": wc,
    "grep": grep, "tee": tee, "ls": ls, "touch": touch, "mkdir": nothing, "rm": rm, "true": true, "false": false,
    "env": env, "printenv": printenv, "hostname": hostname, "pwd": pwd, "whoami": whoami, "uname": uname,
    "seq": seq, "test": test, "[": test, "expr": expr, "basename": basename, "dirname": dirname, "chmod": nothing,
    "sync": nothing,
}
SHELLS = {"sh", "ash", "dash", "bash"}


def tool(name: str, shell_flavour: str):
    """The executable called ``name`` in an image whose ``/bin/sh`` is ``shell_flavour``, or None."""
    if name in UTILITIES:
        return UTILITIES[name]
    if name in ("sh", "ash"):
        return shell_program(shell_flavour)
    if name in ("dash", "bash"):
        return shell_program(name)
    return {"perl": interpreters.perl, "python": interpreters.python, "python3": interpreters.python,
            "nginx": nginx, "docker-entrypoint.sh": entrypoint_script, "wget": web.wget,
            "apache2-foreground": web.hpa_example}.get(name)

