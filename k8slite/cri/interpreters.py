"""perl and python in images: just enough of them for the manifests in the Kubernetes docs.

Mirrors ``perl`` 5 (``-e``/``-E``, ``-l``, ``-w``, ``-M``; ``print``/``say``, ``sleep``, ``exit``,
``die``; ``bignum``'s ``bpi``, as the Job example ``perl -Mbignum=bpi -wle 'print bpi(2000)'``
uses it, printing π to 2000 significant digits rounded as Math::BigFloat does) and CPython 3
(``-c`` with ``print``, ``time.sleep`` and ``sys.exit``; ``-m http.server``, which serves
until stopped). Messages are the interpreters' own (``Undefined subroutine &main::bpi called
at -e line 1.``, ``Can't open perl script "x": No such file or directory``).

Simplified: anything else is reported in the log as beyond the simulation (exit status 255
for perl, 1 for python); computing π costs ``(digits / 1000)²`` virtual seconds, 4 s for the
Job example.
"""
from __future__ import annotations

import ast
import re
from typing import Optional

from .shell import IO, Shell
from .shell_syntax import backslash_escapes


# -- perl ---------------------------------------------------------------------------------------
def pi_digits(digits: int) -> str:
    """π to ``digits`` significant digits, rounded half to even, as Math::BigFloat's bpi(digits) prints it."""
    guard = 10
    scale = 10 ** (digits - 1 + guard)

    def arctan_inv(x: int) -> int:            # arctan(1/x) * scale, by its Taylor series
        total = term = scale // x
        x2, n, sign = x * x, 1, 1
        while term:
            term //= x2
            n += 2
            sign = -sign
            total += sign * (term // n)
        return total
    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))            # Machin's formula
    value, rest = divmod(pi, 10 ** guard)
    half = 5 * 10 ** (guard - 1)
    if rest > half or (rest == half and value % 2):
        value += 1
    text = str(value)
    return text[0] + "." + text[1:]


PERL_ONLY = "k8slite: the simulated perl runs print, say, sleep, exit and die statements only"


def _split_statements(code: str, separators: str = ";") -> list[str]:
    out, current, quote = [], [], ""
    for c in code:
        if quote:
            current.append(c)
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            current.append(c)
        elif c in separators:
            out.append("".join(current))
            current = []
        else:
            current.append(c)
    out.append("".join(current))
    return [s.strip() for s in out if s.strip()]


def _split_commas(text: str) -> list[str]:
    out, current, quote, depth = [], [], "", 0
    for c in text:
        if quote:
            current.append(c)
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            current.append(c)
        elif c in "([":
            depth += 1
            current.append(c)
        elif c in ")]":
            depth -= 1
            current.append(c)
        elif c == "," and depth == 0:
            out.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    if "".join(current).strip():
        out.append("".join(current).strip())
    return out


async def perl(sh: Shell, argv: list, io: IO) -> int:
    args = argv[1:]
    code: Optional[str] = None
    modules: list[str] = []
    autonewline = False
    while args and args[0].startswith("-") and code is None:
        flag = args.pop(0)
        if flag == "--":
            break
        if flag.startswith(("-M", "-m")):
            modules.append(flag[2:] or (args.pop(0) if args else ""))
            continue
        letters = flag[1:]
        for j, letter in enumerate(letters):
            if letter == "l":
                autonewline = True
            elif letter in "eE":
                code = letters[j + 1:] or (args.pop(0) if args else "")
                break
    if code is None:
        if not args:
            return 0                                   # perl reading an empty stdin
        path = args[0]
        if path not in sh.host.fs:
            io.stderr.write(f'Can\'t open perl script "{path}": No such file or directory\n')
            return 2
        code = sh.host.fs[path]
    bpi = any(m.split("=")[0] in ("bignum", "bigrat", "Math::BigFloat") and "bpi" in m for m in modules)
    for stmt in _split_statements(code):
        if stmt.startswith("use "):
            bpi = bpi or ("bignum" in stmt and "bpi" in stmt)
            continue
        m = re.fullmatch(r"(print|say)\b\s*(.*)", stmt, re.S)
        if m:
            pieces = []
            for item in _split_commas(m.group(2)):
                value = await _perl_value(sh, item, bpi, io)
                if value is None:
                    return 255
                pieces.append(value)
            end = "\n" if (autonewline or m.group(1) == "say") else ""
            io.stdout.write("".join(pieces) + end)
            continue
        m = re.fullmatch(r"sleep\s*\(?\s*(\d+(?:\.\d+)?)\s*\)?", stmt)
        if m:
            await sh.host.sleep(float(m.group(1)))
            continue
        m = re.fullmatch(r"exit\s*\(?\s*(\d*)\s*\)?", stmt)
        if m:
            return int(m.group(1) or 0) & 255
        m = re.fullmatch(r"die\b\s*(.*)", stmt, re.S)
        if m:
            text = "".join(await _perl_value(sh, item, bpi, io) or "" for item in _split_commas(m.group(1))) or "Died"
            io.stderr.write(text if text.endswith("\n") else f"{text} at -e line 1.\n")
            return 255
        io.stderr.write(PERL_ONLY + "\n")
        return 255
    return 0


async def _perl_value(sh: Shell, item: str, bpi: bool, io: IO) -> Optional[str]:
    item = item.strip()
    if len(item) >= 2 and item[0] == item[-1] == '"':
        return backslash_escapes(item[1:-1])[0]
    if len(item) >= 2 and item[0] == item[-1] == "'":
        return item[1:-1]
    if re.fullmatch(r"-?\d+(\.\d+)?", item):
        return item
    m = re.fullmatch(r"bpi\s*\(\s*(\d+)\s*\)", item)
    if m:
        if not bpi:
            io.stderr.write("Undefined subroutine &main::bpi called at -e line 1.\n")
            return None
        digits = int(m.group(1))
        await sh.host.sleep((digits / 1000) ** 2)
        return pi_digits(digits)
    io.stderr.write(PERL_ONLY + "\n")
    return None


# -- python ------------------------------------------------------------------------------------
PYTHON_ONLY = "k8slite: the simulated python runs print, time.sleep and sys.exit statements only"


async def python(sh: Shell, argv: list, io: IO) -> int:
    args = argv[1:]
    code: Optional[str] = None
    while args and args[0].startswith("-") and code is None:
        flag = args.pop(0)
        if flag == "-c":
            code = args.pop(0) if args else ""
        elif flag == "-m":
            module = args.pop(0) if args else ""
            if module == "http.server":
                port = next((a for a in args if a.isdigit()), "8000")
                io.stdout.write(f"Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...\n")
                await sh.host.forever()
            io.stderr.write(f"{argv[0]}: No module named {module}\n")
            return 1
    if code is None:
        if not args:
            return 0                                  # the REPL, with nothing on stdin
        io.stderr.write(f"{argv[0]}: can't open file '/{args[0].lstrip('/')}': [Errno 2] No such file or directory\n")
        return 2
    for stmt in _split_statements(code, ";\n"):
        if re.fullmatch(r"(import|from)\s.*", stmt):
            continue
        m = re.fullmatch(r"print\((.*)\)", stmt, re.S)
        if m:
            try:
                values = [_py_literal(x) for x in _split_commas(m.group(1))]
            except ValueError:
                io.stderr.write(PYTHON_ONLY + "\n")
                return 1
            io.stdout.write(" ".join(values) + "\n")
            continue
        m = re.fullmatch(r"(?:time\.)?sleep\(\s*(\d+(?:\.\d+)?)\s*\)", stmt)
        if m:
            await sh.host.sleep(float(m.group(1)))
            continue
        m = re.fullmatch(r"(?:sys\.exit|exit|quit|raise SystemExit)\(\s*(\d*)\s*\)", stmt)
        if m:
            return int(m.group(1) or 0) & 255
        io.stderr.write(PYTHON_ONLY + "\n")
        return 1
    return 0


def _py_literal(text: str) -> str:
    """The printed form of a literal or of arithmetic on literals (``print(6 * 7)``)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(text) from None
    return str(_py_value(node))


def _py_value(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_py_value(node.operand)
    if isinstance(node, ast.BinOp):
        a, b = _py_value(node.left), _py_value(node.right)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
               ast.FloorDiv: lambda: a // b, ast.Mod: lambda: a % b, ast.Pow: lambda: a ** b}
        if type(node.op) in ops:
            try:
                return ops[type(node.op)]()
            except (TypeError, ZeroDivisionError, OverflowError):
                raise ValueError("unsupported") from None
    raise ValueError("unsupported")
