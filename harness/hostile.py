"""Hostile typed formulas: what tests/test_formula.py refuses one by one and bench/formula.py times."""
from surfaces.parse import MAX_LENGTH

HOSTILE = [
    # attribute and dunder access
    "x.__class__", "x.real", "().__class__.__bases__[0].__subclasses__()", "__builtins__", "__import__",
    "x.__add__(y)", "(1).__class__", "[].__class__.__mro__",
    # imports and calls of names outside the list
    "__import__('os').system('touch /tmp/descent-lab-formula-canary')", "import os", "from os import system",
    "os.system('touch /tmp/descent-lab-formula-canary')", "open('/etc/passwd')", "eval('1')", "exec('x=1')",
    "compile('1', '', 'eval')", "getattr(x, 'real')", "globals()", "locals()", "vars(x)", "dir()", "breakpoint()",
    "input()", "print(x)", "system(1)", "gamma(x)", "factorial(100)", "sympify(x)",
    # lambdas, comprehensions, strings and other Python syntax
    "lambda: 1", "lambda x: x", "[i for i in range(10)]", "{i: i for i in x}", "(i for i in x)", "'abc'", '"x"',
    "b'x'", "f'{x}'", "x if y else 1", "x and y", "not x", "x == y", "x < y", "x; y", "(x := 1)", "x = 1", "x @ y",
    "x % 2", "x // 2", "~x", "x << 2", "x & y", "#comment", "x\\y", "`x`", "$x", "x?",
    # huge powers and blow-ups: refused at parse time, never computed
    "9**9**9", "10^10^10", "x**1000", "2**99999", "x^(10^5)", "exp(exp(exp(1000)))", "100!", "x!", "1e999",
    "1" + "0" * 400, "10^400", "1/0", "x + 1/0", "log(0)", "sqrt(-1)", "x^(1/0)", "(-1)^0.5",
    # nesting, length
    "(" * 100 + "x" + ")" * 100, "-" * 200 + "x", "sin(" * 60 + "x" + ")" * 60, "x+" * 300 + "x", "x" * (MAX_LENGTH + 1),
    # unicode look-alikes and control characters
    "х + y", "ｘ + y", "x + у", "x\u200b+ y", "x\u2215y", "ⅹ", "x\x00", "x\x00+__import__('os')", "\x1b[2J", "x\x7f",
    # malformed
    "", "   ", "x +", "(x", "x)", "x, y", "sin", "sin x", "max(x)", "min(x, y, 1)", "x y z", "xy", "2 3",
]
