"""A typed formula f(x, y) → an expression graph, by a small hand-written parser.

The text is untrusted. It is never handed to eval, exec, compile, ast or sympy: a tokenizer
accepts only numbers, the names x, y, pi, e, a fixed list of functions and the operators
+ − * / ** ^ ( ) ,; a recursive-descent parser builds the graph from those tokens. Bounds are
checked as it goes, so a hostile text is refused in microseconds, before anything is computed:
length, nesting depth, the size of number literals, constant exponents (9**9**9 is refused at
its outer ^, never computed), and constants that are not finite (1/0, exp(1000)).

Grammar (ordinary precedence; ^ and ** bind right and tighter than unary minus, so
-x^2 = −(x²) and 2^3^2 = 2^9; 2x and 2(x+1) and (x+1)(x−1) are products):

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary | <implicit> power)*
    unary   := ("+" | "-") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := number | x | y | pi | e | function "(" sum ("," sum)? ")" | "(" sum ")"

Every refusal is a `FormulaError` with a template (translated by the page), its values and the
1-based position in the text.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from .expr import Graph, TooComplex

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_LITERAL = 1e15
MAX_EXPONENT = 100
MAX_NODES = 5_000  # the formula and its two partial derivatives together

FUNCTIONS = {"sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "ln": 1, "log10": 1, "sqrt": 1, "abs": 1,
             "tanh": 1, "sinh": 1, "cosh": 1, "arctan": 1, "atan": 1, "min": 2, "max": 2}
ALIASES = {"ln": "log", "arctan": "atan"}
NAMES = ("x", "y", "pi", "e")
# Ordinary math signs people paste from notes: the same meaning, so they are read as such.
FRIENDLY = {"−": "-", "×": "*", "·": "*", "⋅": "*", "π": "pi", "²": "^2", "³": "^3"}

MESSAGES = {  # the page shows tr(template, **values); keep placeholders in the translations
    "empty": "enter a formula in x and y, e.g. x^2 + 10*y^2",
    "long": "the formula has {n} characters; at most {max} are allowed",
    "control": "position {pos}: control character {code} is not allowed",
    "unicode": "position {pos}: the character {char} ({code} {name}) is not allowed; type plain ASCII letters and digits",
    "char": "position {pos}: the character {char} is not allowed; use numbers, x, y, pi, e, functions and + - * / ^ ( ) ,",
    "quote": "position {pos}: text in quotes is not allowed",
    "bracket": "position {pos}: brackets {char} are not allowed; use ( ) for grouping",
    "equals": "position {pos}: type only the right-hand side of f(x, y) = …, without =",
    "bang": "position {pos}: ! (factorial) is not allowed",
    "dot": "position {pos}: a dot that is not part of a number (attribute access) is not allowed",
    "bar": "position {pos}: write abs(…) instead of |…|",
    "literal": "position {pos}: the number {number} is too large; numbers up to {max} are allowed",
    "name": "position {pos}: unknown name {name}; use x, y, pi, e or one of the functions {functions}",
    "product": "position {pos}: unknown name {name}; write a product with *, e.g. {hint}",
    "call": "position {pos}: {name} is not a function; only {functions} can be called",
    "paren": "position {pos}: {name} must be followed by (",
    "arity": "position {pos}: {name} takes {n} argument(s)",
    "depth": "position {pos}: nested more than {max} levels deep",
    "exponent": "position {pos}: the exponent {value} is too large; constant exponents up to {max} in size are allowed",
    "constant": "position {pos}: this part is a constant that is not a finite number ({value})",
    "expected": "position {pos}: expected {what} here, found {found}",
    "end": "position {pos}: unexpected {found} after a complete formula",
    "domain": "the view must be [[x from, x to], [y from, y to]] with finite numbers up to {max} in size and from < to; got {given}",
    "complex": "the formula is too complex: it and its gradient need more than {max} parts",
}


END, OPERAND, CLOSING = "the end of the formula", "a number, x, y, a function or (", "a closing )"
WORDS = (END, OPERAND, CLOSING)  # values placed in MESSAGES that a page translates too


class FormulaError(ValueError):
    """A refused formula: str() is the English line; `template`/`values` let a page translate it."""

    def __init__(self, kind: str, position: int | None = None, **values):
        self.kind, self.position = kind, position
        self.template = MESSAGES[kind]
        self.values = dict(values, **({"pos": position} if position is not None else {}))
        super().__init__(self.in_language())

    def in_language(self, tr=None) -> str:
        """The refusal in the page's language (tr: its translator), the WORDS among the values too."""
        if tr is None:
            return self.template.format(**self.values)
        return tr(self.template, **{k: tr(v) if isinstance(v, str) and v in WORDS else v for k, v in self.values.items()})


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int  # 1-based position in the typed text
    value: float = 0.0


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFUSED = {"'": "quote", '"': "quote", "[": "bracket", "]": "bracket", "{": "bracket", "}": "bracket",
            "=": "equals", "!": "bang", ".": "dot", "|": "bar"}


def tokenize(text: str) -> list[Token]:
    if not isinstance(text, str):
        raise FormulaError("empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError("long", n=len(text), max=MAX_LENGTH)
    tokens, i = [], 0
    while i < len(text):
        ch, pos = text[i], i + 1
        if ch in " \t\r\n":
            i += 1
            continue
        if ord(ch) < 32 or 127 <= ord(ch) < 160:
            raise FormulaError("control", pos, code=f"U+{ord(ch):04X}")
        if ch in FRIENDLY:
            sub = FRIENDLY[ch]
            if sub == "pi":
                tokens.append(Token("name", "pi", pos))
            elif sub.startswith("^"):
                tokens += [Token("op", "^", pos), Token("num", sub[1:], pos, float(sub[1:]))]
            else:
                tokens.append(Token("op", sub, pos))
            i += 1
            continue
        if ord(ch) > 127:
            raise FormulaError("unicode", pos, char=repr(ch), code=f"U+{ord(ch):04X}",
                               name=unicodedata.name(ch, "unnamed character"))
        m = _NUMBER.match(text, i)
        if m:
            literal = m.group(0)
            value = float(literal) if len(literal) <= 40 else math.inf
            if not value <= MAX_LITERAL:
                raise FormulaError("literal", pos, number=literal[:20] + ("…" if len(literal) > 20 else ""), max=f"{MAX_LITERAL:g}")
            tokens.append(Token("num", literal, pos, value))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            tokens.append(Token("name", m.group(0), pos))
            i = m.end()
            continue
        if text.startswith("**", i):
            tokens.append(Token("op", "^", pos))
            i += 2
            continue
        if ch in "+-*/^(),":
            tokens.append(Token("op", ch, pos))
            i += 1
            continue
        raise FormulaError(_REFUSED.get(ch, "char"), pos, char=repr(ch))
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _describe(tok: Token) -> str:
    return END if tok.kind == "end" else repr(tok.text)


class Parser:
    def __init__(self, text: str, graph: Graph):
        self.tokens = tokenize(text)
        if len(self.tokens) == 1:
            raise FormulaError("empty")
        self.g, self.i, self.depth = graph, 0, 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _is(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def _enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("depth", pos, max=MAX_DEPTH)

    def parse(self) -> int:
        node = self.sum()
        if self.tok.kind != "end":
            raise FormulaError("end", self.tok.pos, found=_describe(self.tok))
        return node

    def _checked(self, node: int, pos: int) -> int:
        """A part that depends on neither x nor y must be a finite number (1/0, exp(1000) are not)."""
        if not self.g.depends(node):
            value = self.g.constant_value(node)
            if not math.isfinite(value):
                raise FormulaError("constant", pos, value=str(value))
        return node

    def sum(self) -> int:
        node = self.product()
        while self._is("+", "-"):
            op = self._take()
            node = self._checked(self.g.apply("add" if op.text == "+" else "sub", node, self.product()), op.pos)
        return node

    def _starts_factor(self) -> bool:
        return self.tok.kind == "name" or self._is("(")

    def product(self) -> int:
        node = self.unary()
        while self._is("*", "/") or self._starts_factor():
            if self._starts_factor():  # 2x, 2(x + 1), (x + 1)(x − 1), x y
                pos = self.tok.pos
                node = self._checked(self.g.apply("mul", node, self.power()), pos)
                continue
            op = self._take()
            node = self._checked(self.g.apply("mul" if op.text == "*" else "div", node, self.unary()), op.pos)
        return node

    def unary(self) -> int:
        if self._is("+", "-"):
            op = self._take()
            self._enter(op.pos)
            inner = self.unary()
            self.depth -= 1
            return inner if op.text == "+" else self.g.apply("neg", inner)
        return self.power()

    def power(self) -> int:
        base = self.atom()
        if not self._is("^"):
            return base
        op = self._take()
        self._enter(op.pos)
        exponent = self.unary()
        self.depth -= 1
        if not self.g.depends(exponent):
            value = self.g.constant_value(exponent)
            if not abs(value) <= MAX_EXPONENT:  # also NaN
                raise FormulaError("exponent", op.pos, value=f"{value:.6g}", max=MAX_EXPONENT)
        return self._checked(self.g.apply("pow", base, exponent), op.pos)

    def atom(self) -> int:
        tok = self.tok
        if tok.kind == "num":
            self._take()
            return self.g.num(tok.value)
        if self._is("("):
            self._take()
            self._enter(tok.pos)
            node = self.sum()
            self._expect(")", CLOSING)
            self.depth -= 1
            return node
        if tok.kind == "name":
            return self._name(self._take())
        raise FormulaError("expected", tok.pos, what=OPERAND, found=_describe(tok))

    def _expect(self, op: str, what: str) -> None:
        if not self._is(op):
            raise FormulaError("expected", self.tok.pos, what=what, found=_describe(self.tok))
        self._take()

    def _name(self, tok: Token) -> int:
        name, functions = tok.text, ", ".join(sorted(FUNCTIONS))
        if name in ("x", "y"):  # x(2) reads as a product, like 2(x)
            return self.g.var(name)
        if name in NAMES:
            return self.g.const(name)
        if name not in FUNCTIONS:
            if self._is("("):
                raise FormulaError("call", tok.pos, name=repr(name[:30]), functions=functions)
            if len(name) <= 8 and set(name) <= set("xye") and "_" not in name:
                raise FormulaError("product", tok.pos, name=repr(name), hint="*".join(name))
            raise FormulaError("name", tok.pos, name=repr(name[:30]), functions=functions)
        if not self._is("("):
            raise FormulaError("paren", tok.pos, name=name)
        self._take()
        self._enter(tok.pos)
        args = [self.sum()]
        while self._is(","):
            self._take()
            args.append(self.sum())
        self._expect(")", CLOSING)
        self.depth -= 1
        if len(args) != FUNCTIONS[name]:
            raise FormulaError("arity", tok.pos, name=name, n=FUNCTIONS[name])
        op = ALIASES.get(name, name)
        return self._checked(self.g.apply(op, *args), tok.pos)


def parse_formula(text: str, graph: Graph | None = None) -> tuple[Graph, int]:
    """(graph, root) for a typed formula, or FormulaError."""
    graph = graph or Graph(max_nodes=MAX_NODES)
    try:
        return graph, Parser(text, graph).parse()
    except TooComplex:
        raise FormulaError("complex", max=MAX_NODES) from None
