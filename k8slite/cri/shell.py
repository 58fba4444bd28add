"""A small POSIX shell: what runs as PID 1 when a manifest says ``command: ["sh", "-c", "…"]``.

Mirrors the shells container images ship: busybox ``ash`` (busybox, alpine), ``dash`` as
``/bin/sh`` on Debian-based images, and ``bash``, in the behaviour a manifest can see: the
grammar of POSIX.1-2017 "Shell Command Language" (sequences, ``&&``/``||``, pipelines, ``!``,
``while``/``until``/``for``/``if``/``case``-less compound commands, ``{ }`` and ``( )``,
functions, ``&`` and ``wait``), word expansion (parameters, ``${x:-y}``, ``$(( ))``,
``$( )`` and backquotes, quote removal, field splitting), redirections to the container log,
``/dev/null`` and files, the special builtins (``exit``, ``break``, ``continue``, ``export``,
``set -e``/``-x``, ``exec``, ``shift``, ``:``) and "not found" with exit status 127 in each
shell's own words (``sh: foo: not found``, ``sh: 1: foo: not found``,
``bash: line 1: foo: command not found``).

The utilities (``echo``, ``sleep``, ``date``, ...) live in ``programs.py``; a command runs one
of them, a builtin, a function, or the image's own program.

Simplified: no globbing (a pattern stays literal), no ``case``, ``(( ))``,
arrays or ``[[`` beyond what ``test`` does; ``trap`` and ``ulimit`` are accepted and do
nothing; a loop iteration that took no virtual time costs ``LOOP_COST`` seconds, so a busy
loop cannot stop the simulated world.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .shell_syntax import (NAME, AndOr, Compound, Pipeline, Sequence, ShellSyntaxError, Simple, arithmetic,
                           balanced, end_of_double, parse)

LOOP_COST = 0.01                    # virtual seconds charged to a loop iteration that did not sleep


# -- control flow -------------------------------------------------------------------------
class ExitShell(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class _Break(Exception):
    def __init__(self, n: int):
        self.n = n


class _Continue(Exception):
    def __init__(self, n: int):
        self.n = n


class _Return(Exception):
    def __init__(self, code: int):
        self.code = code


# -- output streams ------------------------------------------------------------------------
class Stream:
    """Where a command's output goes: the container log, a captured string, a file, or nowhere."""

    def write(self, text: str) -> None:
        raise NotImplementedError


class Capture(Stream):
    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


class Null(Stream):
    def write(self, text: str) -> None:
        pass


class FileStream(Stream):
    def __init__(self, fs: dict, path: str, append: bool):
        self.fs, self.path = fs, path
        if not append or path not in fs:
            fs[path] = ""

    def write(self, text: str) -> None:
        self.fs[self.path] += text


@dataclass
class IO:
    stdin: str
    stdout: Stream
    stderr: Stream


# -- the interpreter ---------------------------------------------------------------------------
Command = Callable[["Shell", list, IO], Any]      # async (shell, argv, io) -> exit status


class Shell:
    """One shell process. ``host`` is the container (clock, log, files, environment); ``lookup``
    finds an executable in the image: ``lookup(name) -> Command | None``."""

    def __init__(self, host, lookup: Callable[[str], Optional[Command]], flavour: str, arg0: str,
                 positional: tuple = (), errexit: bool = False, xtrace: bool = False, is_shell: bool = True):
        self.host, self.lookup, self.flavour, self.arg0 = host, lookup, flavour, arg0
        self.is_shell = is_shell        # False: a process exec'd directly (its echo is /bin/echo, not a builtin)
        self.vars: dict[str, str] = dict(host.env)
        self.exported: set[str] = set(host.env)
        self.positional = list(positional)
        self.functions: dict[str, Compound] = {}
        self.status = 0
        self.errexit, self.xtrace = errexit, xtrace
        self.conditional = 0            # >0 while running an if/while condition or a non-final &&/|| part
        self.jobs: list = []
        self.line = 1

    # -- diagnostics in each shell's words --------------------------------------------------
    def error(self, io: IO, message: str) -> None:
        if self.flavour == "dash":
            io.stderr.write(f"{self.arg0}: {self.line}: {message}\n")
        elif self.flavour == "bash":
            io.stderr.write(f"{self.arg0}: line {self.line}: {message}\n")
        else:
            io.stderr.write(f"{self.arg0}: {message}\n")

    def syntax_error(self, io: IO, error: ShellSyntaxError) -> int:
        self.line = error.line
        if self.flavour == "bash":
            io.stderr.write(f"{self.arg0}: -c: line {error.line}: {error.message('bash')}\n")
        else:
            self.error(io, error.message(self.flavour))
        return 2

    def not_found(self, io: IO, name: str) -> int:
        self.error(io, f"{name}: command not found" if self.flavour == "bash" else f"{name}: not found")
        return 127

    # -- running -------------------------------------------------------------------------------
    async def run_script(self, script: str, io: IO) -> int:
        try:
            tree = parse(script)
        except ShellSyntaxError as error:
            return self.syntax_error(io, error)
        try:
            self.status = await self.run_sequence(tree, io)
        except ExitShell as exit_:
            self.status = exit_.code
        except (_Break, _Continue):
            pass
        return self.status & 255

    async def run_sequence(self, seq: Sequence, io: IO) -> int:
        for and_or, background in seq.items:
            if background:
                self.jobs.append(self.host.spawn(self._background(and_or, io), "sh &"))
                self.status = 0
            else:
                self.status = await self.run_and_or(and_or, io)
        return self.status

    async def _background(self, and_or: AndOr, io: IO) -> int:
        child = self.subshell()
        try:
            return await child.run_and_or(and_or, io)
        except ExitShell as exit_:
            return exit_.code

    async def run_and_or(self, node: AndOr, io: IO) -> int:
        """``a && b || c``: every part but the last is a condition, where ``set -e`` does not apply."""
        if not node.rest:
            self.status = await self.run_pipeline(node.first, io)
            return self.status
        self.conditional += 1
        try:
            status = await self.run_pipeline(node.first, io)
            for i, (op, pipeline) in enumerate(node.rest):
                if (op == "&&") != (status == 0):
                    continue
                if i < len(node.rest) - 1:
                    status = await self.run_pipeline(pipeline, io)
                    continue
                self.conditional -= 1
                try:
                    status = await self.run_pipeline(pipeline, io)
                finally:
                    self.conditional += 1
        finally:
            self.conditional -= 1
        self.status = status
        return status

    async def run_pipeline(self, node: Pipeline, io: IO) -> int:
        if node.negate:
            self.conditional += 1
        try:
            stdin = io.stdin
            status = 0
            for i, command in enumerate(node.commands):
                last = i == len(node.commands) - 1
                out = io.stdout if last else Capture()
                status = await self.run_command(command, IO(stdin, out, io.stderr))
                if not last:
                    stdin = out.text()
        finally:
            if node.negate:
                self.conditional -= 1
        if node.negate:
            return int(status == 0)
        if status != 0 and self.errexit and not self.conditional:
            raise ExitShell(status)
        return status

    async def run_command(self, node, io: IO) -> int:
        if isinstance(node, Simple):
            return await self.run_simple(node, io)
        io = await self.apply_redirects(node.redirects, io)
        if io is None:
            return 1
        if node.kind == "function":
            self.functions[node.name] = node.parts[0]
            return 0
        if node.kind == "group":
            return await self.run_sequence(node.parts[0], io)
        if node.kind == "subshell":
            child = self.subshell()
            try:
                return await child.run_sequence(node.parts[0], io)
            except ExitShell as exit_:
                return exit_.code
        if node.kind in ("while", "until"):
            return await self.run_loop(node, io)
        if node.kind == "for":
            return await self.run_for(node, io)
        if node.kind == "if":
            parts, otherwise = node.parts
            for cond, body in parts:
                if await self.condition(cond, io) == 0:
                    return await self.run_sequence(body, io)
            return await self.run_sequence(otherwise, io) if otherwise is not None else 0
        raise ShellSyntaxError(node.kind, line=node.line)

    async def condition(self, seq: Sequence, io: IO) -> int:
        self.conditional += 1
        try:
            return await self.run_sequence(seq, io)
        finally:
            self.conditional -= 1

    async def _iteration(self, body: Sequence, io: IO, began: float) -> Optional[str]:
        """Run one loop body; returns "break" or "continue" to the loop that should act on it."""
        try:
            await self.run_sequence(body, io)
        except _Break as b:
            if b.n > 1:
                raise _Break(b.n - 1) from None
            return "break"
        except _Continue as c:
            if c.n > 1:
                raise _Continue(c.n - 1) from None
        finally:
            if self.host.now == began:
                await self.host.sleep(LOOP_COST)
        return None

    async def run_loop(self, node: Compound, io: IO) -> int:
        cond, body = node.parts
        status = 0
        while True:
            began = self.host.now
            ok = await self.condition(cond, io) == 0
            if ok != (node.kind == "while"):
                if self.host.now == began:
                    await self.host.sleep(LOOP_COST)
                break
            if await self._iteration(body, io, began) == "break":
                break
            status = self.status
        return status

    async def run_for(self, node: Compound, io: IO) -> int:
        if node.items is None:
            values = list(self.positional)
        else:
            values = []
            for word in node.items:
                values.extend(await self.expand(word, io))
        for value in values:
            began = self.host.now
            self.vars[node.name] = value
            if await self._iteration(node.parts[0], io, began) == "break":
                break
        return self.status

    def subshell(self) -> "Shell":
        child = Shell(self.host, self.lookup, self.flavour, self.arg0, tuple(self.positional), self.errexit,
                      self.xtrace)
        child.vars, child.exported = dict(self.vars), set(self.exported)
        child.functions = dict(self.functions)
        child.line = self.line
        return child

    async def run_simple(self, node: Simple, io: IO) -> int:
        self.line = node.line
        argv: list[str] = []
        for word in node.words:
            argv.extend(await self.expand(word, io))
        assigned = {}
        for a in node.assigns:
            name, _, value = a.partition("=")
            assigned[name] = await self.expand_one(value, io)
        io = await self.apply_redirects(node.redirects, io)
        if io is None:
            return 1
        if self.xtrace:
            shown = [f"{k}={v}" for k, v in assigned.items()] + argv
            io.stderr.write("+ " + " ".join(shown) + "\n")
        if not argv:
            self.vars.update(assigned)
            return self.status if node.words else 0
        name = argv[0]
        if name in BUILTINS:
            self.vars.update(assigned)
            return await BUILTINS[name](self, argv, io)
        if name in self.functions:
            saved = self.positional
            self.positional = argv[1:]
            try:
                return await self.run_command(self.functions[name], io)
            except _Return as r:
                return r.code
            finally:
                self.positional = saved
        command = self.lookup(name)
        if command is None:
            return self.not_found(io, name)
        env_before = dict(self.vars)
        self.vars.update(assigned)
        try:
            return await command(self, argv, io)
        finally:
            if assigned:
                self.vars = env_before

    async def apply_redirects(self, redirects: list, io: IO) -> Optional[IO]:
        for op, target_word in redirects:
            fd_text, kind = re.match(r"(\d*)(.*)", op).groups()
            if kind.startswith("<<"):                      # a here-document: quoted delimiter, no expansion
                body = target_word if "'" in kind else "".join(t for t, _ in await self._double(target_word, io))
                io = IO(body, io.stdout, io.stderr)
                continue
            target = await self.expand_one(target_word, io)
            if kind in (">&", "<&") and target in ("1", "2"):
                stream = io.stdout if target == "1" else io.stderr
                if (fd_text or "1") == "2":
                    io = IO(io.stdin, io.stdout, stream)
                else:
                    io = IO(io.stdin, stream, io.stderr)
                continue
            if kind == "<":
                if target not in self.host.fs:
                    self.error(io, f"cannot open {target}: No such file" if self.flavour != "bash"
                               else f"{target}: No such file or directory")
                    return None
                io = IO(self.host.fs[target], io.stdout, io.stderr)
                continue
            stream = self.open_for_write(target, kind == ">>")
            if kind == "&>":
                io = IO(io.stdin, stream, stream)
            elif (fd_text or "1") == "2":
                io = IO(io.stdin, io.stdout, stream)
            else:
                io = IO(io.stdin, stream, io.stderr)
        return io

    def open_for_write(self, path: str, append: bool) -> Stream:
        if path == "/dev/null":
            return Null()
        if path in ("/dev/stdout", "/proc/1/fd/1", "/proc/self/fd/1"):
            return self.host.stdout
        if path in ("/dev/stderr", "/proc/1/fd/2", "/proc/self/fd/2"):
            return self.host.stderr
        return FileStream(self.host.fs, path, append)

    # -- word expansion ----------------------------------------------------------------------
    async def expand_one(self, word: str, io: IO) -> str:
        """Expand without field splitting (assignments, redirection targets)."""
        pieces = await self._pieces(word, io)
        return "".join(text for text, _ in pieces)

    async def expand(self, word: str, io: IO) -> list[str]:
        """Expand a word into fields: unquoted expansions split on blanks; an empty unquoted result vanishes."""
        pieces = await self._pieces(word, io)
        fields: list[str] = []
        current: Optional[str] = None
        for text, splittable in pieces:
            if not splittable:
                current = (current or "") + text
                continue
            parts = re.split(r"[ \t\n]+", text)
            if len(parts) == 1:
                if text:
                    current = (current or "") + text
                continue
            head, *middle, tail = parts
            if head or current is not None:
                fields.append((current or "") + head)
            fields.extend(middle)
            current = tail if tail else None
        if current is not None:
            fields.append(current)
        return fields

    async def _pieces(self, word: str, io: IO) -> list[tuple[str, bool]]:
        """(text, splittable) pieces of a word after parameter, command and arithmetic expansion."""
        out: list[tuple[str, bool]] = []
        i, n = 0, len(word)
        while i < n:
            c = word[i]
            if c == "'":
                k = word.find("'", i + 1)
                out.append((word[i + 1:k], False))
                out.append(("", False))          # '' still makes a field
                i = k + 1
            elif c == '"':
                k = end_of_double(word, i + 1)
                out.append(("", False))
                out.extend(await self._double(word[i + 1:k - 1], io))
                i = k
            elif c == "\\":
                out.append((word[i + 1:i + 2], False))
                i += 2
            elif c == "$" or c == "`":
                text, i = await self._dollar(word, i, io)
                out.append((text, True))
            else:
                j = i
                while j < n and word[j] not in "'\"\\$`":
                    j += 1
                out.append((word[i:j], False))
                i = j
        return out

    async def _double(self, body: str, io: IO) -> list[tuple[str, bool]]:
        out = []
        i, n = 0, len(body)
        while i < n:
            c = body[i]
            if c == "\\" and i + 1 < n and body[i + 1] in '$`"\\\n':
                out.append((body[i + 1] if body[i + 1] != "\n" else "", False))
                i += 2
            elif c == "$" or c == "`":
                text, i = await self._dollar(body, i, io)
                out.append((text, False))
            else:
                j = i + 1
                while j < n and body[j] not in "\\$`":
                    j += 1
                out.append((body[i:j], False))
                i = j
        return out

    async def _dollar(self, s: str, i: int, io: IO) -> tuple[str, int]:
        """Expand the ``$…`` or backquote at ``s[i]``; returns (text, index after it)."""
        if s[i] == "`":
            k = s.find("`", i + 1)
            return await self.substitute(s[i + 1:k], io), k + 1
        if s.startswith("$((", i):
            k = balanced(s, i + 1)
            inner = await self.expand_one(s[i + 3:k - 2], io)
            try:
                return str(arithmetic(inner, self.vars)), k
            except ZeroDivisionError:
                self.error(io, "arithmetic expression: division by zero: \"" + inner + "\"")
                raise ExitShell(2) from None
            except ValueError as error:
                self.error(io, str(error))
                raise ExitShell(2) from None
        if s.startswith("$(", i):
            k = balanced(s, i + 1)
            return await self.substitute(s[i + 2:k - 1], io), k
        if s.startswith("${", i):
            k = balanced(s, i + 1, "{", "}")
            return await self.parameter(s[i + 2:k - 1], io), k
        m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9?#$!@*-])", s[i:])
        if not m:
            return "$", i + 1
        return self.special(m.group(1)), i + len(m.group(0))

    def special(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return "1"
        if name == "!":
            return str(len(self.jobs) + 1) if self.jobs else ""
        if name == "#":
            return str(len(self.positional))
        if name in ("@", "*"):
            return " ".join(self.positional)
        if name == "-":
            return ("e" if self.errexit else "") + ("x" if self.xtrace else "")
        if name.isdigit():
            index = int(name)
            if index == 0:
                return self.arg0
            return self.positional[index - 1] if index <= len(self.positional) else ""
        return self.vars.get(name, "")

    async def parameter(self, body: str, io: IO) -> str:
        if body.startswith("#") and len(body) > 1:
            return str(len(self.special(body[1:])))
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9?#$!@*])(:?[-=+?])?(.*)\Z", body, re.S)
        if not m:
            self.error(io, f"${{{body}}}: bad substitution")
            raise ExitShell(2)
        name, op, rest = m.groups()
        value = self.special(name)
        is_set = name in self.vars or not NAME.match(name)
        if op is None:
            return value
        empty = (not is_set) or (op.startswith(":") and value == "")
        kind = op[-1]
        if kind == "-":
            return await self.expand_one(rest, io) if empty else value
        if kind == "=":
            if empty:
                self.vars[name] = await self.expand_one(rest, io)
            return self.vars.get(name, "")
        if kind == "+":
            return "" if empty else await self.expand_one(rest, io)
        if empty:
            self.error(io, f"{name}: {await self.expand_one(rest, io) or 'parameter not set'}")
            raise ExitShell(2)
        return value

    async def substitute(self, script: str, io: IO) -> str:
        child = self.subshell()
        out = Capture()
        try:
            await child.run_sequence(parse(script), IO("", out, io.stderr))
        except ExitShell:
            pass
        except ShellSyntaxError as error:
            child.status = self.syntax_error(io, error)
        self.status = child.status
        return out.text().rstrip("\n")


# -- builtins -------------------------------------------------------------------------------------
async def _exit(sh: Shell, argv: list, io: IO) -> int:
    if len(argv) > 1:
        try:
            raise ExitShell(int(argv[1]) & 255)
        except ValueError:
            sh.error(io, f"exit: Illegal number: {argv[1]}" if sh.flavour != "bash"
                     else f"exit: {argv[1]}: numeric argument required")
            raise ExitShell(2) from None
    raise ExitShell(sh.status)


async def _colon(sh: Shell, argv: list, io: IO) -> int:
    return 0


async def _break(sh: Shell, argv: list, io: IO) -> int:
    raise _Break(int(argv[1]) if len(argv) > 1 else 1)


async def _continue(sh: Shell, argv: list, io: IO) -> int:
    raise _Continue(int(argv[1]) if len(argv) > 1 else 1)


async def _return(sh: Shell, argv: list, io: IO) -> int:
    raise _Return(int(argv[1]) if len(argv) > 1 else sh.status)


async def _export(sh: Shell, argv: list, io: IO) -> int:
    for arg in argv[1:]:
        name, eq, value = arg.partition("=")
        if eq:
            sh.vars[name] = value
        sh.exported.add(name)
    return 0


async def _unset(sh: Shell, argv: list, io: IO) -> int:
    for name in argv[1:]:
        sh.vars.pop(name, None)
        sh.functions.pop(name, None)
    return 0


async def _set(sh: Shell, argv: list, io: IO) -> int:
    args = argv[1:]
    while args and args[0][:1] in "-+" and args[0] not in ("-", "--"):
        flag = args.pop(0)
        on = flag[0] == "-"
        letters = flag[1:]
        if letters == "o" and args:
            args.pop(0)                  # set -o pipefail: accepted
            continue
        for letter in letters:
            if letter == "e":
                sh.errexit = on
            elif letter == "x":
                sh.xtrace = on
    if args and args[0] in ("-", "--"):
        args.pop(0)
    if args or (len(argv) > 1 and argv[1] == "--"):
        sh.positional = args
    return 0


async def _shift(sh: Shell, argv: list, io: IO) -> int:
    n = int(argv[1]) if len(argv) > 1 else 1
    if n > len(sh.positional):
        return 1
    sh.positional = sh.positional[n:]
    return 0


async def _exec(sh: Shell, argv: list, io: IO) -> int:
    if len(argv) == 1:
        return 0
    command = sh.lookup(argv[1])
    if command is None and argv[1] not in BUILTINS:
        raise ExitShell(sh.not_found(io, argv[1]))
    status = await (BUILTINS.get(argv[1]) or command)(sh, argv[1:], io)
    raise ExitShell(status)


async def _wait(sh: Shell, argv: list, io: IO) -> int:
    status = 0
    while sh.jobs:
        status = await sh.jobs.pop(0)
    return status


async def _cd(sh: Shell, argv: list, io: IO) -> int:
    sh.vars["PWD"] = argv[1] if len(argv) > 1 else sh.vars.get("HOME", "/")
    return 0


async def _eval_builtin(sh: Shell, argv: list, io: IO) -> int:
    try:
        return await sh.run_sequence(parse(" ".join(argv[1:])), io)
    except ShellSyntaxError as error:
        return sh.syntax_error(io, error)


async def _source(sh: Shell, argv: list, io: IO) -> int:
    if len(argv) < 2 or argv[1] not in sh.host.fs:
        sh.error(io, f"{argv[0]}: can't open '{argv[1] if len(argv) > 1 else ''}'")
        return 2
    return await sh.run_sequence(parse(sh.host.fs[argv[1]]), io)


BUILTINS: dict[str, Command] = {
    "exit": _exit, ":": _colon, "break": _break, "continue": _continue, "return": _return,
    "export": _export, "readonly": _export, "local": _export, "unset": _unset, "set": _set, "shift": _shift,
    "exec": _exec, "wait": _wait, "cd": _cd, "eval": _eval_builtin, ".": _source, "source": _source,
    "trap": _colon, "ulimit": _colon, "umask": _colon,
}
