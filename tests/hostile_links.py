"""A corpus of hostile share links (the page's own format, ?v=1&s=<deflated JSON>), each with a
fragment of the note the page must show for it. Used by tests/test_hostile_page.py (AppTest) and
tests/test_hostile_browser.py (Chromium)."""
from __future__ import annotations

import base64
import json
import zlib

BEACON = "http://127.0.0.1:{port}"  # filled in by the browser test with its beacon's port


def put(data, path, value):
    """A copy of JSON data with `value` at `path` (a tuple of keys and indices; () replaces it all)."""
    if not path:
        return value
    data = json.loads(json.dumps(data))
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return data


def pack(raw: bytes | str, wbits: int = zlib.MAX_WBITS) -> str:
    raw = raw.encode("utf-8") if isinstance(raw, str) else raw
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return base64.urlsafe_b64encode(c.compress(raw) + c.flush()).decode("ascii").rstrip("=")


def scenario_text(run: str = '{"optimizer": "Adam", "params": {"lr": 0.05}}', **top) -> str:
    body = {"surface": '"rosenbrock"', "steps": "300", "runs": f"[{run}]"} | top
    return "{" + ", ".join(f'"{k}": {v}' for k, v in body.items()) + "}"


HUGE = "9" * 400  # an integer beyond float range, written out
MARKUP = ["![i]({b}/md.png)", "<img src='{b}/html.png'>", "<a href='{b}/a'>link</a>", ":red[red] **bold** $x^2$",
          "[x]({b}/link)", "%{{x}} <b>b</b>", "\u202eRTL\u200b zero\u200dwidth"]


def corpus(beacon: str = "http://127.0.0.1:9") -> list[tuple[str, dict, str]]:
    """(name, query parameters, a fragment of the expected note or "" when the link is valid)."""
    out = [
        ("not base64", {"v": "1", "s": "%%%***"}, "could not be read"),
        ("not deflated", {"v": "1", "s": base64.urlsafe_b64encode(b"plain text").decode()}, "not deflated"),
        ("truncated", {"v": "1", "s": pack(scenario_text())[:-12]}, "could not be read"),
        ("gzip, not deflate", {"v": "1", "s": pack(scenario_text(), 31)}, "not deflated"),
        ("bomb", {"v": "1", "s": pack(b"[" + b" " * 2_000_000 + b"]")}, "unpacks to more than"),
        ("deep", {"v": "1", "s": pack("[" * 99_000 + "]" * 99_000)}, "nests more than"),
        ("quadratic string", {"v": "1", "s": pack('"' + '\\"' * 90_000)}, "could not be read"),
        ("too long", {"v": "1", "s": "A" * 9000}, "longer than"),
        ("not an object", {"v": "1", "s": pack("[1, 2]")}, "not a JSON object"),
        ("NaN lr", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"lr": NaN}}'))}, "finite"),
        ("Infinity start", {"v": "1", "s": pack(scenario_text(start="[Infinity, 1]"))}, "start"),
        ("-Infinity steps", {"v": "1", "s": pack(scenario_text(steps="-Infinity"))}, "steps must be"),
        ("huge lr", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"lr": %s}}' % HUGE))}, "finite"),
        ("huge start", {"v": "1", "s": pack(scenario_text(start=f"[{HUGE}, 1]"))}, "start"),
        ("huge steps", {"v": "1", "s": pack(scenario_text(steps=HUGE))}, "steps must be"),
        ("huge noise", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "noise": {"std": %s}}' % HUGE))}, "noise.std"),
        ("huge map", {"v": "1", "s": pack(scenario_text(map='{"cells": %s}' % HUGE))}, "map"),
        ("huge domain", {"v": "1", "s": pack(scenario_text(surface='{"formula": "x^2+y^2", "domain": [[-%s, 1], [-1, 1]]}' % HUGE))},
         "typed surface was refused"),
        ("null betas", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"betas": null}}'))}, ""),
        ("null etas", {"v": "1", "s": pack(scenario_text('{"optimizer": "Rprop", "params": {"etas": null}}'))}, ""),
        ("null milestones", {"v": "1", "s": pack(scenario_text(
            '{"optimizer": "SGD", "schedule": {"name": "MultiStepLR", "params": {"milestones": null}}}'))}, ""),
        ("null amsgrad", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"amsgrad": null}}'))}, ""),
        ("null run", {"v": "1", "s": pack(scenario_text("null"))}, "run 1 was ignored"),
        ("null params", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": null}'))}, ""),
        ("string lr", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"lr": "0.1"}}'))}, "Adam.lr"),
        ("list steps", {"v": "1", "s": pack(scenario_text(steps="[1]"))}, "steps must be"),
        ("bool pair", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"betas": true}}'))}, "betas"),
        ("duplicate param", {"v": "1", "s": pack('{"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"lr": 1, "lr": 2}}]}')},
         "twice"),
        ("unknown param", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"lrr": 1}}'))}, "no parameter"),
        ("unknown key", {"v": "1", "s": pack(scenario_text(extra="1"))}, "unknown scenario key"),
        ("unknown link parameter", {"v": "1", "zzz": "1"}, "unknown link parameter"),
        ("huge label", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "label": "%s"}' % ("x" * 5000)))}, "label"),
        ("huge optimizer name", {"v": "1", "s": pack(scenario_text('{"optimizer": "%s"}' % ("A" * 5000)))}, "unknown optimizer"),
        ("wrong version", {"v": "2", "s": pack(scenario_text())}, "link version"),
        ("bad colours", {"v": "1", "s": pack(scenario_text()), "c": "<script>"}, "colours"),
        ("bad lang", {"v": "1", "lang": "<b>x</b>"}, "language"),
        ("bad view", {"v": "1", "view": "![v](" + beacon + "/view.png)"}, "view="),
        ("bad scene", {"v": "1", "p": "![p](" + beacon + "/p.png)"}, "there is no tour scene"),
    ]
    for i, m in enumerate(MARKUP):
        text = m.format(b=beacon).replace('"', '\\"')
        out.append((f"markup label {i}", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "label": "%s"}' % text))}, ""))
        out.append((f"markup surface {i}", {"v": "1", "s": pack(scenario_text(surface=f'"{text}"'))}, "unknown surface"))
        out.append((f"markup parameter {i}", {"v": "1", "s": pack(scenario_text('{"optimizer": "Adam", "params": {"%s": 1}}' % text))},
                    "no parameter"))
        out.append((f"markup optimizer {i}", {"v": "1", "s": pack(scenario_text('{"optimizer": "%s"}' % text))}, "unknown optimizer"))
        out.append((f"markup formula {i}", {"v": "1", "s": pack(scenario_text(surface='{"formula": "%s"}' % text))},
                    "typed surface was refused"))
    return out
