"""Expressions in x and y as a hash-consed graph: exact derivatives, NumPy evaluation, LaTeX.

A `Graph` holds nodes (op, args) in creation order; equal subexpressions are one node, so a
derivative that repeats a factor costs nothing to evaluate twice. The constructors simplify as
they build (0 + a = a, 1·a = a, numbers fold, numbers first in a product), which keeps the
derivatives short enough to read. Nothing here parses text: `surfaces/parse.py` builds graphs
from a validated token stream, and nothing ever reaches eval/exec.
"""
from __future__ import annotations

import math

import numpy as np

CONSTANTS = {"pi": math.pi, "e": math.e}
_ARITHMETIC = ("neg", "add", "sub", "mul", "div", "pow")

_NUMPY = {"neg": np.negative, "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
          "log10": np.log10, "sqrt": np.sqrt, "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
          "atan": np.arctan, "sign": np.sign, "add": np.add, "sub": np.subtract, "mul": np.multiply,
          "div": np.divide, "pow": np.power, "min": np.minimum, "max": np.maximum}


def _select(a, b, p, q):
    return np.where(np.asarray(a) <= b, p, q)


class TooComplex(Exception):
    """The graph grew past its node budget (a derivative of a very long formula)."""


class Graph:
    """Nodes are ints. ("num", v) a number, ("const", name) π or e, ("var", "x"|"y"), (op, a, b…)."""

    def __init__(self, max_nodes: int = 20_000):
        self.nodes: list[tuple] = []
        self._index: dict[tuple, int] = {}
        self._vars: list[bool] = []  # depends on x or y
        self.max_nodes = max_nodes

    # ------------------------------------------------------------------ building
    def _node(self, key: tuple) -> int:
        found = self._index.get(key)
        if found is not None:
            return found
        if len(self.nodes) >= self.max_nodes:
            raise TooComplex(len(self.nodes))
        self.nodes.append(key)
        self._vars.append(key[0] == "var" or any(self._vars[a] for a in key[1:] if key[0] not in ("num", "const")))
        self._index[key] = len(self.nodes) - 1
        return len(self.nodes) - 1

    def num(self, v: float) -> int:
        v = float(v)
        return self._node(("num", 0.0 if v == 0 else v))  # one zero, not two

    def const(self, name: str) -> int:
        return self._node(("const", name))

    def var(self, name: str) -> int:
        return self._node(("var", name))

    def number(self, i: int) -> float | None:
        """The value of a plain number node, else None."""
        key = self.nodes[i]
        return key[1] if key[0] == "num" else None

    def depends(self, i: int) -> bool:
        return self._vars[i]

    def apply(self, op: str, *args: int) -> int:
        """op(args), simplified; ops: neg, sin, cos, tan, exp, log, log10, sqrt, abs, tanh, sinh, cosh, atan, sign (one argument);
        add, sub, mul, div, pow, min, max (two), plus ("select", a, b, p, q) = p if a ≤ b else q."""
        nums = [self.number(a) for a in args]
        if op in _ARITHMETIC and all(v is not None for v in nums):  # sin(1), ln 10 stay as written
            with np.errstate(all="ignore"):
                return self.num(float(_NUMPY[op](*np.float64(nums))))
        simplify = _SIMPLIFY.get(op)
        if simplify is not None:
            done = simplify(self, *args, *nums)
            if done is not None:
                return done
        return self._node((op, *args))

    def _neg(self, a, va):
        if self.nodes[a][0] == "neg":
            return self.nodes[a][1]
        if self.nodes[a][0] == "mul" and self.number(self.nodes[a][1]) is not None:  # −(c·u) = (−c)·u
            return self.apply("mul", self.num(-self.number(self.nodes[a][1])), self.nodes[a][2])
        return None

    def _add(self, a, b, va, vb):
        if va == 0:
            return b
        if vb == 0:
            return a
        if vb is not None and vb < 0:
            return self.apply("sub", a, self.num(-vb))
        kb = self.nodes[b]
        if kb[0] == "mul" and (self.number(kb[1]) or 0) < 0:  # a + (−2)·u = a − 2·u
            return self.apply("sub", a, self.apply("mul", self.num(-self.number(kb[1])), kb[2]))
        if self.nodes[b][0] == "neg":
            return self.apply("sub", a, self.nodes[b][1])
        if self.nodes[a][0] == "neg":
            return self.apply("sub", b, self.nodes[a][1])
        if va is not None:  # numbers last in a sum: x + 1
            return self._node(("add", b, a))
        return None

    def _sub(self, a, b, va, vb):
        if vb == 0:
            return a
        if va == 0:
            return self.apply("neg", b)
        if a == b:
            return self.num(0)
        if vb is not None and vb < 0:
            return self.apply("add", a, self.num(-vb))
        kb = self.nodes[b]
        if kb[0] == "mul" and (self.number(kb[1]) or 0) < 0:  # a − (−2)·u = a + 2·u
            return self.apply("add", a, self.apply("mul", self.num(-self.number(kb[1])), kb[2]))
        if kb[0] == "neg":
            return self.apply("add", a, kb[1])
        return None

    def _mul(self, a, b, va, vb):
        if va == 0 or vb == 0:
            return self.num(0)
        if va == 1:
            return b
        if vb == 1:
            return a
        if va == -1:
            return self.apply("neg", b)
        if vb == -1:
            return self.apply("neg", a)
        if vb is not None:  # numbers first in a product: 2·x
            return self.apply("mul", b, a)
        if va is not None:
            kb = self.nodes[b]
            if kb[0] == "mul" and self.number(kb[1]) is not None:  # 2·(3·x) = 6·x
                return self.apply("mul", self.num(va * self.number(kb[1])), kb[2])
            if kb[0] == "neg":
                return self.apply("mul", self.num(-va), kb[1])
        if self._is_reciprocal(b):  # u·(1/v) = u/v
            return self.apply("div", a, self.nodes[b][2])
        if self._is_reciprocal(a):
            return self.apply("div", b, self.nodes[a][2])
        if self.nodes[a][0] == "neg":
            return self.apply("neg", self.apply("mul", self.nodes[a][1], b))
        if self.nodes[b][0] == "neg":
            return self.apply("neg", self.apply("mul", a, self.nodes[b][1]))
        if self.nodes[a][0] == "mul" and self.number(self.nodes[a][1]) is not None and va is None:
            # (c·u)·v = c·(u·v): the number stays in front
            return self.apply("mul", self.nodes[a][1], self.apply("mul", self.nodes[a][2], b))
        if self.nodes[b][0] == "mul" and self.number(self.nodes[b][1]) is not None:
            return self.apply("mul", self.nodes[b][1], self.apply("mul", a, self.nodes[b][2]))
        return None

    def _is_reciprocal(self, n: int) -> bool:
        return self.nodes[n][0] == "div" and self.number(self.nodes[n][1]) == 1

    def _div(self, a, b, va, vb):
        if va == 0:
            return self.num(0)
        if vb == 1:
            return a
        ka = self.nodes[a]
        if ka[0] == "neg":  # (−u)/v = −(u/v)
            return self.apply("neg", self.apply("div", ka[1], b))
        if vb is not None and vb != 0 and ka[0] == "mul" and self.number(ka[1]) is not None:
            c = self.number(ka[1]) / vb  # (2·u)/4 = 0.5·u when the quotient is a short number
            if math.isfinite(c) and c * vb == self.number(ka[1]) and len(repr(c)) <= 8:
                return self.apply("mul", self.num(c), ka[2])
        if vb is not None and vb != 0 and va is None:
            inv = 1.0 / vb
            if math.isfinite(inv) and float(inv).is_integer():  # u/0.5 = 2·u
                return self.apply("mul", self.num(inv), a)
        return None  # x/x stays as written: it is NaN at x = 0

    def _pow(self, a, b, va, vb):
        if vb == 1:
            return a
        if vb == 0:
            return self.num(1)
        if self.nodes[a][0] == "pow" and vb is not None and self.number(self.nodes[a][2]) is not None:
            inner = self.number(self.nodes[a][2])
            if float(inner).is_integer() and float(vb).is_integer():  # (u²)³ = u⁶ only for integers
                return self.apply("pow", self.nodes[a][1], self.num(inner * vb))
        return None

    # ------------------------------------------------------------------ calculus
    def derivative(self, i: int, var: str, memo: dict | None = None) -> int:
        """∂node/∂var as a new node of this graph (every rule exact; see docs in each branch)."""
        memo = {} if memo is None else memo
        order = self._reachable([i])
        for n in order:  # creation order: children before parents
            memo[n] = self._d(n, var, memo) if self._vars[n] else self.num(0)
        return memo[i]

    def _d(self, n: int, var: str, d: dict) -> int:
        key, A = self.nodes[n], self.apply
        op, args = key[0], key[1:]
        if op == "var":
            return self.num(1.0 if key[1] == var else 0.0)
        u = args[0]
        du = d[u]
        if op == "neg":
            return A("neg", du)
        if op in ("add", "sub"):
            return A(op, du, d[args[1]])
        if op == "mul":
            v = args[1]
            return A("add", A("mul", du, v), A("mul", u, d[v]))
        if op == "div":
            v = args[1]
            if not self._vars[v]:
                return A("div", du, v)
            return A("div", A("sub", A("mul", du, v), A("mul", u, d[v])), A("pow", v, self.num(2)))
        if op == "pow":
            v = args[1]
            if not self._vars[v]:  # c·u^(c−1)·u′
                return A("mul", A("mul", v, A("pow", u, A("sub", v, self.num(1)))), du)
            if not self._vars[u]:  # c^v·ln c·v′
                return A("mul", A("mul", n, A("log", u)), d[v])
            return A("mul", n, A("add", A("mul", d[v], A("log", u)), A("div", A("mul", v, du), u)))
        if op in ("min", "max"):  # the derivative of the smaller (larger) term; a tie takes the first
            v = args[1]
            return A("select", u, v, du, d[v]) if op == "min" else A("select", v, u, du, d[v])
        if op == "select":
            return A("select", args[0], args[1], d[args[2]], d[args[3]])
        outer = {
            "sin": lambda: A("cos", u),
            "cos": lambda: A("neg", A("sin", u)),
            "tan": lambda: A("div", self.num(1), A("pow", A("cos", u), self.num(2))),
            "exp": lambda: n,
            "log": lambda: A("div", self.num(1), u),
            "log10": lambda: A("div", self.num(1), A("mul", A("log", self.num(10)), u)),
            "sqrt": lambda: A("div", self.num(1), A("mul", self.num(2), n)),
            "abs": lambda: A("sign", u),  # 0 at u = 0: a subgradient, so a kink is a fixed point
            "tanh": lambda: A("sub", self.num(1), A("pow", n, self.num(2))),
            "sinh": lambda: A("cosh", u),
            "cosh": lambda: A("sinh", u),
            "atan": lambda: A("div", self.num(1), A("add", self.num(1), A("pow", u, self.num(2)))),
            "sign": lambda: self.num(0),
        }[op]()
        return A("mul", outer, du)

    # ------------------------------------------------------------------ numbers
    def _reachable(self, roots) -> list[int]:
        seen, stack = set(), list(roots)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            key = self.nodes[n]
            if key[0] not in ("num", "const", "var"):
                stack.extend(key[1:])
        return sorted(seen)

    def evaluate(self, roots: list[int], x, y) -> list[np.ndarray]:
        """Values of the root nodes at arrays x, y (one shape), each node computed once. Points
        where a value is not finite give inf or NaN there, never an error."""
        return self.program(roots)(x, y)

    def program(self, roots: list[int]):
        """evaluate(roots, ·, ·) made once: the needed nodes in order as (slot, function, argument
        slots), so that a call per engine step is a short loop with no graph walking."""
        order = self._reachable(roots)
        slot = {n: i for i, n in enumerate(order)}
        init: list[object] = [None] * len(order)
        steps, xs, ys = [], [], []
        for n in order:
            key = self.nodes[n]
            op = key[0]
            if op == "num":
                init[slot[n]] = key[1]
            elif op == "const":
                init[slot[n]] = CONSTANTS[key[1]]
            elif op == "var":
                (xs if key[1] == "x" else ys).append(slot[n])
            else:
                steps.append((slot[n], _select if op == "select" else _NUMPY[op], [slot[k] for k in key[1:]]))
        outputs = [slot[r] for r in roots]

        def run(x, y) -> list[np.ndarray]:
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
            vals = list(init)
            for i in xs:
                vals[i] = x
            for i in ys:
                vals[i] = y
            with np.errstate(all="ignore"):
                for out, fn, args in steps:
                    vals[out] = fn(*[vals[a] for a in args])
            shape = np.broadcast(x, y).shape
            out = []
            for o in outputs:
                v = vals[o]
                if v is x or v is y:  # f = x: a copy, not the caller's array
                    v = v.copy()
                v = np.asarray(v, dtype=float)
                out.append(v if v.shape == shape else np.broadcast_to(v, shape).copy())
            return out
        return run

    def constant_value(self, i: int) -> float:
        """The value of a node that depends on neither x nor y."""
        return float(self.evaluate([i], 0.0, 0.0)[0])


_SIMPLIFY = {"neg": Graph._neg, "add": Graph._add, "sub": Graph._sub, "mul": Graph._mul, "div": Graph._div,
             "pow": Graph._pow}


# ---------------------------------------------------------------------- printing
class TooLong(Exception):
    """A printed form passed its character budget."""


_LATEX_FN = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\ln", "log10": r"\log_{10}",
             "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh", "atan": r"\arctan", "sign": r"\operatorname{sign}",
             "min": r"\min", "max": r"\max"}
_PREC = {"add": 1, "sub": 1, "neg": 2, "mul": 3, "div": 3, "pow": 4}


def _number_latex(v: float) -> str:
    text = f"{v:.12g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


class _Printer:
    def __init__(self, graph: Graph, latex: bool, budget: int):
        self.g, self.latex, self.budget = graph, latex, budget
        self.cache: dict[int, tuple[str, int]] = {}

    def __call__(self, n: int) -> str:
        for m in self.g._reachable([n]):  # bottom-up, so no deep recursion
            self.cache[m] = self._form(m)
            if len(self.cache[m][0]) > self.budget:
                raise TooLong(len(self.cache[m][0]))
        return self.cache[n][0]

    def _wrap(self, n: int, below: int) -> str:
        text, prec = self.cache[n]
        if prec <= below:
            return rf"\left({text}\right)" if self.latex else f"({text})"
        return text

    def _form_mul(self, lead: float | None, a: int, b: int | None = None) -> str:
        """a·b, or |lead|·a when lead is the (negative) number in front of a product."""
        L = self.latex
        if lead is not None:
            left, right = (_number_latex(lead) if L else _number_text(lead)), self._wrap(a, 2)
        else:
            left, right = self._wrap(a, 2), self._wrap(b, 2)
        if right.startswith("-"):
            right = rf"\left({right}\right)" if L else f"({right})"
        if not L:
            return f"{left}*{right}"
        sep = r" \cdot " if right[:1].isdigit() else r"\,"
        return left + sep + right

    def _form(self, n: int) -> tuple[str, int]:
        key, L = self.g.nodes[n], self.latex
        op = key[0]
        if op == "num":
            text = _number_latex(key[1]) if L else _number_text(key[1])
            return text, (2 if key[1] < 0 else 9)
        if op == "const":
            return (r"\pi" if key[1] == "pi" else "e") if L else key[1], 9
        if op == "var":
            return key[1], 9
        args = key[1:]
        if op == "add":
            right = self.cache[args[1]][0]
            if right.startswith("-"):
                right = rf"\left({right}\right)" if L else f"({right})"
            return f"{self.cache[args[0]][0]} + {right}", 1
        if op == "sub":
            return f"{self.cache[args[0]][0]} - {self._wrap(args[1], 2)}", 1
        if op == "neg":
            return f"-{self._wrap(args[0], 2)}", 2
        if op == "mul":
            lead = self.g.number(args[0])
            if lead is not None and lead < 0:  # −2·x prints as -2 x, and binds like a minus sign
                rest = self._form_mul(-lead, args[1])
                return f"-{rest}", 2
            return self._form_mul(None, args[0], args[1]), 3
        if op == "div":
            if L:
                return rf"\frac{{{self.cache[args[0]][0]}}}{{{self.cache[args[1]][0]}}}", 5
            return f"{self._wrap(args[0], 2)}/{self._wrap(args[1], 3)}", 3
        if op == "pow":
            base = self._wrap(args[0], 8)
            if L:
                return f"{base}^{{{self.cache[args[1]][0]}}}", 4
            return f"{base}**{self._wrap(args[1], 3)}", 4
        if op == "select":
            a, b, p, q = (self.cache[k][0] for k in args)
            if L:
                return (rf"\begin{{cases}} {p} & \text{{if }} {a} \le {b} \\ {q} & \text{{otherwise}} \end{{cases}}", 9)
            return f"({p} if {a} <= {b} else {q})", 9
        inner = ", ".join(self.cache[k][0] for k in args)
        if not L:
            return f"{op}({inner})", 9
        if op == "sqrt":
            return rf"\sqrt{{{inner}}}", 9
        if op == "abs":
            return rf"\left|{inner}\right|", 9
        return rf"{_LATEX_FN[op]}\left({inner}\right)", 9


def to_latex(graph: Graph, n: int, budget: int = 4000) -> str:
    """LaTeX for node n (raises TooLong past `budget` characters)."""
    return _Printer(graph, True, budget)(n)


def to_text(graph: Graph, n: int, budget: int = 4000) -> str:
    """Plain text in the formula syntax (select is written p if a <= b else q)."""
    return _Printer(graph, False, budget)(n)
