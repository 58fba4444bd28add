"""The grammar of the shell: tokens, the syntax tree, the parser, and ``$(( ))`` arithmetic.

Mirrors POSIX.1-2017 "Shell Command Language" sections 2.3 (token recognition: quotes,
``$( )``, ``${ }`` and backquotes inside words, operators, ``[n]>&m`` redirections), 2.9
(simple commands with assignments and redirections, here-documents, pipelines and ``!``, lists with ``;``,
``&``, ``&&`` and ``||``, ``while``/``until``/``for``/``if`` and ``{ }``/``( )``, function
definitions) and 2.6.4 (arithmetic expansion with C's integer semantics); syntax errors in
dash's words (``Syntax error: "done" unexpected``).

Simplified: no ``case``, aliases or ``[[ ]]``/``(( ))`` compound commands.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Optional

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)\Z", re.S)
REDIRECT = re.compile(r"(\d*)(>>|>&|<&|>\||<<-|<<|>|<)\Z|&>\Z")


class ShellSyntaxError(Exception):
    """The script does not parse; the shell reports it in its own words and exits 2.

    ``token`` is what came unexpectedly (None: the end of the script), ``expecting`` what the
    grammar wanted there, ``quote`` the quote left open."""

    def __init__(self, token: Optional[str] = None, expecting: str = "", quote: str = "", line: int = 1):
        super().__init__(token, expecting, quote)
        self.token, self.expecting, self.quote, self.line = token, expecting, quote, line

    def message(self, flavour: str) -> str:
        token = "newline" if self.token == "\n" else self.token
        if flavour == "bash":
            if self.quote:
                return f"unexpected EOF while looking for matching `{self.quote}'"
            if token is None:
                return "syntax error: unexpected end of file"
            return f"syntax error near unexpected token `{token}'"
        wanted = f' (expecting "{self.expecting}")' if self.expecting else ""
        if flavour == "dash":
            if self.quote:
                return "Syntax error: Unterminated quoted string"
            what = "end of file" if token is None else ("newline" if token == "newline" else f'"{token}"')
            return f"Syntax error: {what} unexpected{wanted}"
        if self.quote:
            return "syntax error: unterminated quoted string"
        what = "end of file" if token is None else ("newline" if token == "newline" else f'"{token}"')
        return f"syntax error: unexpected {what}{wanted}"


# -- tokens and syntax tree --------------------------------------------------------------
@dataclass
class Tok:
    kind: str           # "word" or "op"
    text: str
    line: int


@dataclass
class Simple:
    assigns: list[str]
    words: list[str]
    redirects: list[tuple[str, str]]
    line: int


@dataclass
class Compound:
    kind: str                       # while, until, for, if, group, subshell, function
    parts: list = field(default_factory=list)
    redirects: list = field(default_factory=list)
    name: str = ""
    items: Optional[list] = None    # for: the words after "in"
    line: int = 1


@dataclass
class Pipeline:
    commands: list
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list              # [(op, Pipeline)]


@dataclass
class Sequence:
    items: list             # [(AndOr, background)]


# -- the tokenizer -------------------------------------------------------------------------
def balanced(s: str, i: int, open_: str = "(", close: str = ")") -> int:
    """Index just past the ``close`` that matches the ``open_`` at ``s[i]``, skipping quoted text."""
    depth, j = 0, i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "'":
            k = s.find("'", j + 1)
            if k < 0:
                raise ShellSyntaxError(quote="'")
            j = k + 1
            continue
        if c == '"':
            j = end_of_double(s, j + 1)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ShellSyntaxError(None, close)


def end_of_double(s: str, j: int) -> int:
    """Index just past the closing quote of a double-quoted string whose body starts at ``j``."""
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
        elif c == '"':
            return j + 1
        elif c == "$" and s.startswith("$(", j):
            j = balanced(s, j + 1)
        elif c == "`":
            k = s.find("`", j + 1)
            j = (k if k >= 0 else len(s)) + 1
        else:
            j += 1
    raise ShellSyntaxError(quote="'")


def tokenize(script: str) -> list[Tok]:
    tokens: list[Tok] = []
    word: list[str] = []
    line = 1
    i, n = 0, len(script)
    heredocs: list[tuple[Tok, str, bool]] = []     # bodies to read after this line: (token, delimiter, strip tabs)

    def end_word() -> None:
        if word:
            tokens.append(Tok("word", "".join(word), line))
            word.clear()
    while i < n:
        c = script[i]
        if c in " \t\r":
            end_word()
            i += 1
        elif c == "\n":
            end_word()
            tokens.append(Tok("op", "\n", line))
            line += 1
            i += 1
            for tok, delimiter, strip in heredocs:        # here-documents start on the next line
                body = []
                while i < n:
                    end = script.find("\n", i)
                    end = n if end < 0 else end
                    text = script[i:end]
                    i, line = end + 1, line + 1
                    if (text.lstrip("\t") if strip else text) == delimiter:
                        break
                    body.append((text.lstrip("\t") if strip else text) + "\n")
                tok.text = "".join(body)
            heredocs.clear()
        elif c == "#" and not word:
            while i < n and script[i] != "\n":
                i += 1
        elif c == "\\":
            if script[i + 1:i + 2] == "\n":
                i += 2
                line += 1
            else:
                word.append(script[i:i + 2])
                i += 2
        elif c == "'":
            k = script.find("'", i + 1)
            if k < 0:
                raise ShellSyntaxError(quote="'")
            word.append(script[i:k + 1])
            line += script.count("\n", i, k)
            i = k + 1
        elif c == '"':
            k = end_of_double(script, i + 1)
            word.append(script[i:k])
            line += script.count("\n", i, k)
            i = k
        elif c == "`":
            k = script.find("`", i + 1)
            if k < 0:
                raise ShellSyntaxError(quote="'")
            word.append(script[i:k + 1])
            i = k + 1
        elif c == "$" and script.startswith("$(", i):
            k = balanced(script, i + 1)
            word.append(script[i:k])
            i = k
        elif c == "$" and script.startswith("${", i):
            k = balanced(script, i + 1, "{", "}")
            word.append(script[i:k])
            i = k
        elif c in ";&|()<>":
            two = script[i:i + 2]
            if c in "<>" and word and "".join(word).isdigit():
                prefix = "".join(word)           # 2>&1: the descriptor is part of the operator
                word.clear()
            else:
                prefix = ""
                end_word()
            if script.startswith(("<<-", "<<"), i):
                op = "<<-" if script.startswith("<<-", i) else "<<"
                i += len(op)
                while i < n and script[i] in " \t":
                    i += 1
                j = i
                while j < n and script[j] not in " \t\n;&|()<>":
                    j += 1
                raw = script[i:j]
                i = j
                delimiter = raw.replace("'", "").replace('"', "").replace("\\", "")
                quoted = delimiter != raw
                tokens.append(Tok("op", prefix + op, line))
                heredoc = Tok("heredoc-quoted" if quoted else "heredoc", "", line)
                tokens.append(heredoc)
                heredocs.append((heredoc, delimiter, op == "<<-"))
                continue
            if two in ("&&", "||", ";;", ">>", ">&", "<&", "&>", ">|"):
                op, i = two, i + 2
            else:
                op, i = c, i + 1
            tokens.append(Tok("op", prefix + op, line))
        else:
            word.append(c)
            i += 1
    end_word()
    return tokens


# -- the parser ----------------------------------------------------------------------------
class Parser:
    def __init__(self, tokens: list[Tok]):
        self.tokens, self.i = tokens, 0

    def peek(self) -> Optional[Tok]:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise ShellSyntaxError(None, line=self.tokens[-1].line if self.tokens else 1)
        self.i += 1
        return tok

    def is_word(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text in texts

    def is_op(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in texts

    def skip_newlines(self) -> None:
        while self.is_op("\n"):
            self.i += 1

    def expect_word(self, text: str) -> None:
        self.skip_newlines()
        tok = self.peek()
        if tok is None:
            raise ShellSyntaxError(None, text, line=self.tokens[-1].line if self.tokens else 1)
        self.i += 1
        if tok.kind != "word" or tok.text != text:
            raise ShellSyntaxError(tok.text, text, line=tok.line)

    def parse_program(self) -> Sequence:
        seq = self.parse_sequence(())
        if self.peek() is not None:
            raise ShellSyntaxError(self.peek().text, line=self.peek().line)
        return seq

    def parse_sequence(self, stop: tuple) -> Sequence:
        items = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None or (tok.kind == "word" and tok.text in stop) or (tok.kind == "op" and tok.text == ")"):
                return Sequence(items)
            and_or = self.parse_and_or()
            background = False
            if self.is_op("&"):
                background = True
                self.i += 1
            elif self.is_op(";", "\n"):
                self.i += 1
            items.append((and_or, background))

    def parse_and_or(self) -> AndOr:
        first = self.parse_pipeline()
        rest = []
        while self.is_op("&&", "||"):
            op = self.next().text
            self.skip_newlines()
            rest.append((op, self.parse_pipeline()))
        return AndOr(first, rest)

    def parse_pipeline(self) -> Pipeline:
        negate = False
        if self.is_word("!"):
            self.i += 1
            negate = True
        commands = [self.parse_command()]
        while self.is_op("|"):
            self.i += 1
            self.skip_newlines()
            commands.append(self.parse_command())
        return Pipeline(commands, negate)

    def parse_command(self):
        tok = self.peek()
        if tok is None:
            raise ShellSyntaxError(None, line=self.tokens[-1].line if self.tokens else 1)
        line = tok.line
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            body = self.parse_sequence(())
            if not self.is_op(")"):
                raise ShellSyntaxError(None, ")", line=line)
            self.i += 1
            return self.redirects_of(Compound("subshell", [body], line=line))
        if tok.kind == "op":
            raise ShellSyntaxError(tok.text, line=tok.line)
        word = tok.text
        if word in ("while", "until"):
            self.i += 1
            cond = self.parse_sequence(("do",))
            self.expect_word("do")
            body = self.parse_sequence(("done",))
            self.expect_word("done")
            return self.redirects_of(Compound(word, [cond, body], line=line))
        if word == "for":
            self.i += 1
            name = self.next().text
            items = None
            self.skip_newlines()
            if self.is_word("in"):
                self.i += 1
                items = []
                while self.peek() is not None and self.peek().kind == "word":
                    items.append(self.next().text)
            if self.is_op(";", "\n"):
                self.i += 1
            self.expect_word("do")
            body = self.parse_sequence(("done",))
            self.expect_word("done")
            return self.redirects_of(Compound("for", [body], name=name, items=items, line=line))
        if word == "if":
            self.i += 1
            parts = []
            cond = self.parse_sequence(("then",))
            self.expect_word("then")
            parts.append((cond, self.parse_sequence(("elif", "else", "fi"))))
            otherwise = None
            while True:
                self.skip_newlines()
                keyword = self.next().text
                if keyword == "elif":
                    cond = self.parse_sequence(("then",))
                    self.expect_word("then")
                    parts.append((cond, self.parse_sequence(("elif", "else", "fi"))))
                elif keyword == "else":
                    otherwise = self.parse_sequence(("fi",))
                    self.expect_word("fi")
                    break
                elif keyword == "fi":
                    break
                else:
                    raise ShellSyntaxError(keyword, "fi", line=line)
            return self.redirects_of(Compound("if", [parts, otherwise], line=line))
        if word == "{":
            self.i += 1
            body = self.parse_sequence(("}",))
            self.expect_word("}")
            return self.redirects_of(Compound("group", [body], line=line))
        if word in ("do", "done", "then", "fi", "elif", "else", "}", "in"):
            raise ShellSyntaxError(word, line=tok.line)
        # A function definition: name() compound
        nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        after = self.tokens[self.i + 2] if self.i + 2 < len(self.tokens) else None
        if NAME.match(word) and nxt and nxt.kind == "op" and nxt.text == "(" and after and after.text == ")":
            self.i += 3
            self.skip_newlines()
            return Compound("function", [self.parse_command()], name=word, line=line)
        return self.parse_simple()

    def redirects_of(self, node: Compound) -> Compound:
        while self.peek() is not None and self.peek().kind == "op" and REDIRECT.match(self.peek().text):
            node.redirects.append(self.redirect())
        return node

    def redirect(self) -> tuple[str, str]:
        """An operator and its target; a here-document's operator says whether its body expands."""
        op = self.next().text
        target = self.next()
        if target.kind == "heredoc-quoted":
            return op.replace("<<", "<<'"), target.text
        if target.kind not in ("word", "heredoc"):
            raise ShellSyntaxError(target.text, line=target.line)
        return op, target.text

    def parse_simple(self) -> Simple:
        assigns, words, redirects = [], [], []
        line = self.peek().line
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok.kind == "op":
                if REDIRECT.match(tok.text):
                    redirects.append(self.redirect())
                    continue
                break
            if not words and ASSIGNMENT.match(tok.text):
                assigns.append(tok.text)
            else:
                words.append(tok.text)
            self.i += 1
        return Simple(assigns, words, redirects, line)


def parse(script: str) -> Sequence:
    return Parser(tokenize(script)).parse_program()


# -- arithmetic: $(( )) ------------------------------------------------------------------------
def _c_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: _c_div, ast.FloorDiv: _c_div, ast.Mod: lambda a, b: a - b * _c_div(a, b),
           ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b, ast.BitAnd: lambda a, b: a & b,
           ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b, ast.Pow: lambda a, b: a ** b}
_COMPARE = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}


def arithmetic(expr: str, variables: dict) -> int:
    """Evaluate a shell arithmetic expression; ``variables`` is read and written (``i=i+1``, ``i++``)."""
    expr = expr.strip()
    if not expr:
        return 0
    m = re.fullmatch(r"([A-Za-z_]\w*)\s*(\+\+|--)", expr) or re.fullmatch(r"(\+\+|--)\s*([A-Za-z_]\w*)", expr)
    if m:
        name, op = (m.group(1), m.group(2)) if m.group(1)[0] not in "+-" else (m.group(2), m.group(1))
        old = _number(variables.get(name, "0"))
        variables[name] = str(old + (1 if op == "++" else -1))
        return old if m.group(1) == name else int(variables[name])
    m = re.fullmatch(r"([A-Za-z_]\w*)\s*([-+*/%]?)=(?!=)(.*)", expr, re.S)
    if m:
        value = arithmetic(m.group(3), variables)
        if m.group(2):
            value = _arith_binop(m.group(2), _number(variables.get(m.group(1), "0")), value)
        variables[m.group(1)] = str(value)
        return value
    text = re.sub(r"&&", " and ", expr)
    text = re.sub(r"\|\|", " or ", text)
    text = re.sub(r"!(?!=)", " not ", text)
    text = text.replace("/", "//")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(f"arithmetic syntax error: \"{expr}\"") from None
    return int(_eval(tree.body, variables))


def _arith_binop(op: str, a: int, b: int) -> int:
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: _c_div(a, b),
            "%": lambda: a - b * _c_div(a, b)}[op]()


def _number(value: str) -> int:
    value = value.strip()
    if not value:
        return 0
    try:
        return int(value, 0) if value.lower().startswith(("0x", "-0x")) else int(value)
    except ValueError:
        raise ValueError(f"Illegal number: {value}") from None


def _eval(node: ast.AST, variables: dict) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name):
        return _number(variables.get(node.id, "0"))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, variables), _eval(node.right, variables))
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, variables)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        if isinstance(node.op, ast.Not):
            return int(not value)
        if isinstance(node.op, ast.Invert):
            return ~value
    if isinstance(node, ast.Compare):
        left = _eval(node.left, variables)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, variables)
            if type(op) not in _COMPARE or not _COMPARE[type(op)](left, right):
                return 0
            left = right
        return 1
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, variables) for v in node.values]
        return int(all(values)) if isinstance(node.op, ast.And) else int(any(values))
    if isinstance(node, ast.IfExp):
        return _eval(node.body, variables) if _eval(node.test, variables) else _eval(node.orelse, variables)
    raise ValueError("arithmetic syntax error")


def backslash_escapes(text: str) -> tuple[str, bool]:
    """Backslash escapes as ``echo -e``, ``printf`` and perl strings read them; True when ``\\c`` stops the output."""
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v", "e": "\x1b"}
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if nxt == "c":
                return "".join(out), True
            if nxt == "0" or nxt.isdigit():
                m = re.match(r"0?([0-7]{1,3})", text[i + 1:])
                out.append(chr(int(m.group(1), 8)))
                i += 1 + len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out), False
