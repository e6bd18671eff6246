"""Parameter specifications and the one validation error.

Every optimizer and schedule declares its parameters as `Param`s: torch's name, torch's default,
the allowed range and a one-line meaning. `check_params` turns user input (e.g. parsed JSON) into
a complete, typed settings dict, or raises `ValidationError` naming the parameter and its range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class Phrase:
    """A text for the user kept as an English template and its values, so that a page can say it
    in its own language: `in_language(tr)` looks the template up with the page's translator `tr`
    and fills it, saying any value that is itself a Phrase (or a ValidationError) the same way.
    str() is the English text. The core stays free of any language but English."""

    def __init__(self, template: str, **values):
        self.template, self.values = template, values

    def in_language(self, tr=None) -> str:
        tr = tr or _english
        return tr(self.template, **{k: said(v, tr) for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.in_language()

    def __repr__(self) -> str:
        return f"Phrase({self.template!r})"


def said(value: Any, tr) -> Any:
    """A message's value in the page's language: Phrases and errors are said, the rest kept."""
    speak = getattr(value, "in_language", None)
    return speak(tr) if callable(speak) else value


class ValidationError(ValueError):
    """Raised for any invalid scenario, optimizer or schedule setting. Its message is one line
    that names the offending field and what is allowed: an English template with its values
    (`Phrase`), so `in_language(tr)` says it in the page's language while str() stays English."""

    def __init__(self, template: str, **values):
        self.phrase = Phrase(template, **values)
        super().__init__(str(self.phrase))

    def in_language(self, tr=None) -> str:
        return self.phrase.in_language(tr)

    def __reduce__(self):  # pickles (to a worker and back) as its phrase, not its English text
        return _rebuild, (self.phrase,)


def _rebuild(phrase: Phrase) -> ValidationError:
    error = ValidationError.__new__(ValidationError)
    error.phrase = phrase
    ValueError.__init__(error, str(phrase))
    return error


def shown(value: Any, limit: int = 60) -> str:
    """repr of a user value, cut short: messages must stay one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finite(value) -> bool:
    """math.isfinite for any int or float: a JSON integer beyond float range (10**400) is not
    finite here, where math.isfinite would raise OverflowError."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _english(text: str, **values) -> str:
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Param:
    default: Any
    doc: str
    kind: str = "float"  # float | int | bool | pair | choice | ints | scenario_steps
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: low itself is not allowed
    high_open: bool = False
    choices: tuple = ()
    required: bool = False

    def range_phrase(self) -> Phrase:
        """The allowed values in words, e.g. "a number in (0, inf)"."""
        if self.kind == "bool":
            return Phrase("true or false")
        if self.kind == "choice":
            return Phrase("one of {choices}", choices=", ".join(repr(c) for c in self.choices))
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open or self.high is None else "]"
        a = "-inf" if self.low is None else f"{self.low:g}"
        b = "inf" if self.high is None else f"{self.high:g}"
        what = {"int": Phrase("an integer"), "ints": Phrase("a list of integers"),
                "pair": Phrase("two numbers, each")}.get(self.kind) or Phrase("a number")
        if self.low is None and self.high is None:
            return what
        return Phrase("{what} in {interval}", what=what, interval=f"{lo}{a}, {b}{hi}")

    def range_text(self, tr=None) -> str:
        """The allowed values in words. tr: the page's translator (the core stays in English)."""
        return self.range_phrase().in_language(tr)

    def _number(self, owner: str, name: str, value: Any, integer: bool) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("{field} must be {allowed}, got {value}", field=f"{owner}.{name}", allowed=self.range_phrase(), value=shown(value))
        if not finite(value):
            raise ValidationError("{field} must be a finite number, got {value}", field=f"{owner}.{name}", value=shown(value))
        if integer:
            if float(value) != int(value):
                raise ValidationError("{field} must be an integer, got {value}", field=f"{owner}.{name}", value=shown(value))
            value = int(value)
        else:
            value = float(value)
        ok = True
        if self.low is not None:
            ok &= value > self.low if self.low_open else value >= self.low
        if self.high is not None:
            ok &= value < self.high if self.high_open else value <= self.high
        if not ok:
            raise ValidationError("{field} must be {allowed}, got {value}", field=f"{owner}.{name}", allowed=self.range_phrase(), value=shown(value))
        return value

    def check(self, owner: str, name: str, value: Any) -> Any:
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValidationError("{field} must be true or false, got {value}", field=f"{owner}.{name}", value=shown(value))
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ValidationError("{field} must be {allowed}, got {value}", field=f"{owner}.{name}", allowed=self.range_phrase(), value=shown(value))
            return value
        if self.kind in ("pair", "ints"):
            if not isinstance(value, (list, tuple)) or (self.kind == "pair" and len(value) != 2):
                raise ValidationError("{field} must be {allowed}, got {value}", field=f"{owner}.{name}", allowed=self.range_phrase(), value=shown(value))
            if len(value) > 1000:
                raise ValidationError("{field} may hold at most {n} entries", field=f"{owner}.{name}", n="1,000")
            return tuple(self._number(owner, name, v, self.kind == "ints") for v in value)
        return self._number(owner, name, value, self.kind == "int")


def check_params(owner: str, specs: dict[str, Param], given: dict | None) -> dict[str, Any]:
    """Fill defaults, reject unknown names, check each value against its spec."""
    given = {} if given is None else given
    if not isinstance(given, dict):
        raise ValidationError("{owner} parameters must be an object of name: value, got {value}", owner=owner, value=shown(given))
    unknown = [k for k in given if k not in specs]
    if unknown:
        raise ValidationError("{owner} has no parameter {name}; allowed: {allowed}", owner=owner,
                              name=repr(str(unknown[0])[:40]), allowed=", ".join(specs) or Phrase("none"))
    out = {}
    for name, spec in specs.items():
        if name in given and given[name] is not None:
            out[name] = spec.check(owner, name, given[name])
        elif spec.required:
            raise ValidationError("{field} is required ({allowed})", field=f"{owner}.{name}", allowed=spec.range_phrase())
        else:
            out[name] = spec.default
    return out


# Shorthands for the ranges that recur.
def nonneg(default, doc, **kw):
    return Param(default, doc, low=0.0, **kw)


def positive(default, doc, **kw):
    return Param(default, doc, low=0.0, low_open=True, **kw)


def flag(default, doc):
    return Param(default, doc, kind="bool")
