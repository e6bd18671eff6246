"""Share links: the page's whole state in the URL's query parameters, read back as untrusted input.

    ?v=1&s=<scenario>&c=0072B2-E69F00&lang=zh-TW&fit=1&lens=1&view=3d&present=1&p=burst

  v        link format version (1)
  s        the scenario in the cli.py / scenario-file format: compact JSON, deflated, base64url
  c        run colours, hex, '-'-separated, in run order
  lang     en | zh-TW
  fit      1: fit the view to the whole paths
  lens     1: colour the paths on the map by their stability
  view     map | 3d | step
  present  1: presentation mode
  p        a tour scene to open when there is no scenario (older links also carry it beside one;
           the scene shown is always the one whose settings equal the link's scenario)

Reading never raises: every part that cannot be read is dropped (the page uses its default) and a
note says what was ignored and why. Notes are (English text, values) pairs for the translator.
No Streamlit here, so the tests can feed it anything.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field

from experiments.scenario import MAX_RUNS, load_json, note, salvage_scenario
from optimizers import Phrase, ValidationError

LINK_VERSION = 1
MAX_PARAM_CHARS = 8000  # longest value read; browsers and servers cut URLs beyond ~8–16 kB
MAX_INFLATED = 200_000  # a deflated bomb stops here
LANGS = ("en", "zh-TW")
VIEWS = ("map", "3d", "step")
HEX = re.compile(r"^[0-9A-Fa-f]{6}$")


@dataclass
class LinkState:
    scenario: dict | None = None  # valid scenario dict (possibly with runs dropped), or None
    colours: list[str] = field(default_factory=list)
    lang: str | None = None
    fit: bool | None = None
    lens: bool | None = None
    view: str | None = None
    present: bool | None = None
    preset: str | None = None
    notes: list[tuple[str, dict]] = field(default_factory=list)

    def note(self, text: str, **values) -> None:
        self.notes.append(note(text, **values))


__all__ = ["LinkState", "decode_scenario", "encode_scenario", "link_params", "note", "read_link"]


ITS_TEXT = Phrase("its text")  # what a link's unpacked JSON is called in a refusal


def encode_scenario(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


def decode_scenario(text: str):
    """base64url(deflate(JSON)) → the JSON value. ValidationError with a short reason otherwise."""
    if len(text) > MAX_PARAM_CHARS:
        raise ValidationError("longer than {max} characters", max=f"{MAX_PARAM_CHARS:,}")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValidationError("not base64url text") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, MAX_INFLATED)
    except zlib.error:
        raise ValidationError("not deflated data") from None
    if inflater.unconsumed_tail:
        raise ValidationError("unpacks to more than {max} bytes", max=f"{MAX_INFLATED:,}")
    return load_json(raw, ITS_TEXT)


def link_params(scenario: dict, colours, lang: str, fit: bool, view: str, present: bool, lens: bool = False) -> dict[str, str]:
    """The query parameters for the page's state; defaults are left out to keep links short."""
    params = {"v": str(LINK_VERSION), "s": encode_scenario(scenario)}
    if colours:
        params["c"] = "-".join(c.lstrip("#").upper() for c in colours)
    if lang != LANGS[0]:
        params["lang"] = lang
    if fit:
        params["fit"] = "1"
    if lens:
        params["lens"] = "1"
    if view != VIEWS[0]:
        params["view"] = view
    if present:
        params["present"] = "1"
    return params


def _flag(state: LinkState, name: str, value: str) -> bool | None:
    if value in ("1", "0"):
        return value == "1"
    state.note("{name}={value} is not 0 or 1", name=name, value=value[:20])
    return None


def read_link(params, presets=()) -> LinkState:
    """Query parameters (a mapping of str → str, or → list of str) → LinkState."""
    state = LinkState()
    get = {}
    for k, v in dict(params).items():
        v = v[-1] if isinstance(v, (list, tuple)) and v else v
        if isinstance(k, str) and isinstance(v, str):
            get[k] = v[:MAX_PARAM_CHARS + 1]
    known = {"v", "s", "c", "lang", "fit", "lens", "view", "present", "p"}
    for k in get:
        if k not in known:
            state.note("unknown link parameter {name}", name=k[:30])
    version = get.get("v", str(LINK_VERSION))
    if version != str(LINK_VERSION):
        state.note("link version {version} is not readable by this app (it reads version {mine}); "
                   "the scenario was ignored", version=version[:10], mine=LINK_VERSION)
        get.pop("s", None)
    if "lang" in get:
        if get["lang"] in LANGS:
            state.lang = get["lang"]
        else:
            state.note("language {value} is not available (en, zh-TW)", value=get["lang"][:20])
    if "view" in get:
        if get["view"] in VIEWS:
            state.view = get["view"]
        else:
            state.note("view={value} is not map, 3d or step", value=get["view"][:20])
    for name in ("fit", "lens", "present"):
        if name in get:
            setattr(state, name, _flag(state, name, get[name]))
    if "p" in get:
        if get["p"] in presets:
            state.preset = get["p"]
        else:
            state.note("there is no tour scene {value}", value=get["p"][:30])
    if "s" in get:
        try:
            data = decode_scenario(get["s"])
        except ValidationError as e:
            state.note("the scenario could not be read ({reason}); the default scene is shown", reason=e)
        else:
            state.scenario, notes = salvage_scenario(data)
            state.notes += notes
    if "c" in get:
        parts = get["c"].split("-")
        if all(HEX.match(p) for p in parts) and len(parts) <= MAX_RUNS:
            state.colours = ["#" + p.upper() for p in parts]
        else:
            state.note("the colours could not be read; default colours are used")
    return state
