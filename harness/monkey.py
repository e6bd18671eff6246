"""A seeded "monkey test" for the page: random sequences of user actions in a real Chromium
against a real `streamlit run`, with the page's health checked after every action.

    with monkey_server() as server, sync_playwright() as p:
        browser = launch(p)
        report = run_seed(browser, server.url, seed=1, actions=25, server_log=server.log)

The same seed gives the same sequence of actions: every step draws exactly two numbers from
`random.Random(seed)` (the kind of action, and a seed for its arguments), whatever the page
shows. Arguments are abstract where the page decides what they mean ("the 3rd number box on the
page", "option 7 of the list"); they are resolved on the page when the action runs, and the
description of what was really done is kept with the action. An action whose widget is not on
the page at that moment is skipped (that is not a failure).

After each action the harness waits until Streamlit has finished running (the app's
`data-test-script-state` is `notRunning` for a short stable period; 60 s at most, a timeout is
a failure) and then checks:

- no `[data-testid="stException"]` element, no "This app has encountered an error" or
  "Traceback" in the page's text;
- no page error (an uncaught exception in the page's JavaScript) and no console message of
  type "error" since the previous check;
- no new "Traceback (most recent call last)" in the server's stderr since the previous check;
- no "This part of the page could not be drawn …" line (a section that failed alone, ui/guard.py);
- after opening the page's own address in a fresh browser: no note that part of the link
  could not be used (the address bar is the share link, so it must open cleanly);
- after presentation mode on and straight off again (`present_roundtrip`): every number and
  text box shows what it showed before.

Every problem is collected; after a crash (an error box, a timeout) the page is reloaded (from
its address, else from the bare server address) and the sequence goes on.

The harness uses only what a user sees and data-testid attributes, the st-key-… classes of a few
buttons (with their labels in both languages as the fallback, from i18n/zh-TW.json) and the
`data-test-script-state` attribute Streamlit puts on the app's root element. It does not import
the app.

Actions can also be given explicitly (to reproduce a failure), in the form they are printed:
`parse_actions("language(); tour(3); view('Step')")`.
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import random
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.browser import ROOT, streamlit_server

SETTLE_TIMEOUT = 60.0  # s: a page that is still running after this is a failure
STABLE = 0.8  # s: the script must stay finished this long to count as settled
START_GRACE = 1.2  # s: how long to wait for a rerun to begin after an action
VIEWPORT = {"width": 1400, "height": 1000}
PRESENT_ACTIONS = 3  # actions that need the sidebar are skipped this many times in presentation mode, then it is left

ERROR_TEXTS = ("This app has encountered an error", "Traceback")
# a section of the page that failed alone (ui/guard.py, when it is there): one line in its place
SECTION_FAILED = ("This part of the page could not be drawn because of an error in the app; the rest of the page works. "
                  "The error was logged on the server.")
TRACEBACK = "Traceback (most recent call last)"
LINK_NOTE = "Some of the link or file could not be used"

# ----------------------------------------------------------------------------- labels, both languages

_ZH: dict[str, str] = {}


def _catalogue(root: Path = ROOT) -> dict[str, str]:
    if not _ZH:
        try:
            _ZH.update(json.loads((root / "i18n" / "zh-TW.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    return _ZH


def both(text: str) -> list[str]:
    """The English label and its Traditional Chinese translation (when there is one)."""
    zh = _catalogue().get(text)
    return [text] if not zh or zh == text else [text, zh]


# ----------------------------------------------------------------------------- the server, with its stderr in a file


@dataclass
class Server:
    url: str
    pid: int
    log_path: str
    _offset: int = 0

    def log(self) -> str:
        """The server's stderr written since the previous call."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return ""
        self._offset += len(data)
        return data.decode("utf-8", "replace")

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return True


@contextlib.contextmanager
def monkey_server(root: str | Path = ROOT, timeout: float = 90.0, log_path: str | None = None, extra=()):
    """`streamlit run app.py` in `root` (harness.browser.streamlit_server), its stderr written to a
    file; yields a Server."""
    if log_path is None:
        fd, log_path = tempfile.mkstemp(prefix="monkey-server-", suffix=".log")
        os.close(fd)
    with streamlit_server(timeout=timeout, extra=extra, root=root, log_path=log_path) as url:
        yield Server(str(url), url.pid, log_path)


def tracebacks(text: str) -> list[str]:
    """Each "Traceback (most recent call last)" in a log, with the log line before it and every
    line up to the next log line (a line starting with a date, or with "Descent Lab:", the app's
    own logger) or the end."""
    lines = text.splitlines()
    out = []
    stamp = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d|Descent Lab: )")
    for i, line in enumerate(lines):
        if TRACEBACK not in line:
            continue
        head = [lines[i - 1]] if i > 0 and stamp.match(lines[i - 1]) else []
        body = [line]
        for nxt in lines[i + 1:]:
            if stamp.match(nxt) or TRACEBACK in nxt:
                break
            body.append(nxt)
        while body and not body[-1].strip():
            body.pop()
        out.append("\n".join(head + body))
    return out


# ----------------------------------------------------------------------------- actions

@dataclass
class Action:
    kind: str
    args: tuple = ()
    done: str | None = None  # what was really done (None: skipped)
    note: str = ""  # why it was skipped

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(repr(a) for a in self.args)})"


REFUSED = "(refused)"


@dataclass
class Problem:
    kind: str  # exception-box, error-text, section-failed, pageerror, console, server-traceback, timeout, link-notes,
    # state-lost, harness
    text: str

    def signature(self) -> str:
        """What makes two problems the same bug: kind and the last meaningful line."""
        text = re.sub(r"^\((after the recovery reload|in the fresh browser)\) ", "", self.text)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        last = lines[-1] if lines else ""
        if self.kind in ("pageerror", "console", "exception-box", "error-text", "section-failed", "link-notes", "timeout",
                         "state-lost"):
            last = lines[0] if lines else ""
        last = re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?(e[-+]?\d+)?", "#", last)[:200]
        return f"{self.kind}: {last}"


@dataclass
class Failure:
    seed: int
    index: int  # 0-based index of the action after which the problems were seen
    actions: list[str]  # the sequence so far, including that action
    problems: list[Problem]
    done: str = ""  # what the action really did on the page

    def format(self) -> str:
        out = [f"FAIL seed {self.seed}, action {self.index + 1}: {self.actions[-1]}" + (f"  ({self.done})" if self.done else ""),
               "  sequence: " + "; ".join(self.actions)]
        for p in self.problems:
            text = p.text if len(p.text) < 4000 else p.text[:4000] + " …"
            out.append(f"  [{p.kind}] " + text.replace("\n", "\n    "))
        return "\n".join(out)


@dataclass
class Report:
    seed: int
    actions: list[Action] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len({f.index for f in self.failures})

    @property
    def passed(self) -> int:
        return len(self.actions) - self.failed

    @property
    def skipped(self) -> int:
        return sum(1 for a in self.actions if a.done is None)


NUMBERS = (0, -1, 1e308, 1e-320, 123456789, 0.5, 1e-3, 3, 250, 100000)
FORMULAS = ("log(x)+y^2", "x^2+10*y^2", "x.__class__", "sin(x)*cos(y)", "1/(x^2+y^2)", "sqrt(x)+abs(y)",
            "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "x^", "max(x, y)^2", "exp(x*y)", "10^100*x", "")
PLAYER = {"play": ".dl-play", "start": "[data-act=start]", "back": "[data-act=back]", "forward": "[data-act=forward]",
          "end": "[data-act=end]", "half": ".dl-speed[data-speed='0.5']", "1x": ".dl-speed[data-speed='1']",
          "2x": ".dl-speed[data-speed='2']", "4x": ".dl-speed[data-speed='4']"}  # the map player's buttons (ui/player.js)
STEP_BUTTONS = {"start": ("step_first", "|◀ Start"), "prev": ("step_prev", "◀ Previous"), "next": ("step_next", "Next ▶"),
                "end": ("step_last", "End ▶|"), "burst": ("step_burst", "Next burst ⚡")}
KEYS = ("Space", "ArrowRight", "ArrowLeft", "Home", "End", "b", "PageDown", "Escape")
VIEWS = ("Map", "3-D", "Step")

# kind → (weight, draw arguments from a Random)
PLAN = {
    "tour": (10, lambda r: (r.randrange(10),)),
    "language": (6, lambda r: ()),
    "surface": (6, lambda r: (-1 if r.random() < 0.3 else r.randrange(30),)),
    "formula": (4, lambda r: (r.choice(FORMULAS),)),
    "number": (9, lambda r: (r.randrange(1000), r.choice(NUMBERS))),
    "run_number": (6, lambda r: (r.randrange(8), r.randrange(1000), r.choice(NUMBERS))),
    "optimizer": (5, lambda r: (r.randrange(8), r.randrange(40))),
    "schedule": (4, lambda r: (r.randrange(8), r.randrange(40))),
    "add_run": (3, lambda r: ()),
    "duplicate": (3, lambda r: (r.randrange(8),)),
    "remove": (3, lambda r: (r.randrange(8),)),
    "view": (8, lambda r: (r.choice(VIEWS),)),
    "step": (8, lambda r: (r.choice(list(STEP_BUTTONS)),)),
    "fit": (3, lambda r: ()),
    "present": (3, lambda r: ()),
    "present_nav": (3, lambda r: (r.choice(("next", "prev")),)),
    "present_roundtrip": (2, lambda r: ()),
    "player": (8, lambda r: (r.choice(sorted(PLAYER)),)),
    "slider": (4, lambda r: (round(r.random(), 2),)),
    "map_click": (4, lambda r: (round(r.uniform(0.05, 0.95), 2), round(r.uniform(0.05, 0.95), 2))),
    "key": (6, lambda r: (r.choice(KEYS),)),
    "fate": (3, lambda r: (r.randint(2, 8), r.choice((20, 50, 100)))),
    "sweep": (2, lambda r: (r.randint(2, 4), r.randint(2, 4))),
    "reload": (2, lambda r: ()),
    "fresh": (2, lambda r: ()),
}


def plan(rng: random.Random, n: int) -> list[Action]:
    """The first n actions of a seed: two draws from rng per action, whatever the page shows."""
    kinds = list(PLAN)
    weights = [PLAN[k][0] for k in kinds]
    out = []
    for _ in range(n):
        kind = rng.choices(kinds, weights)[0]
        sub = random.Random(rng.getrandbits(64))
        out.append(Action(kind, tuple(PLAN[kind][1](sub))))
    return out


def parse_actions(text: str) -> list[Action]:
    """'language(); tour(3); number(1, 1e308)' → actions (arguments are Python literals)."""
    out = []
    for part in [p.strip() for p in re.split(r";\s*(?![^()]*\))", text) if p.strip()]:
        m = re.fullmatch(r"(\w+)\((.*)\)", part, re.S)
        if not m or m.group(1) not in PLAN:
            raise ValueError(f"not an action: {part!r} (known: {', '.join(PLAN)})")
        inner = m.group(2).strip()
        args = ast.literal_eval(f"({inner},)") if inner else ()
        out.append(Action(m.group(1), tuple(args)))
    return out


class Skip(Exception):
    """The action's widget is not on the page now."""


class Abort(Exception):
    """A compound action stops halfway: the page broke after one of its parts."""


# ----------------------------------------------------------------------------- the monkey

SCRIPT_STATE = "(() => { const a = document.querySelector('[data-testid=\"stApp\"]');" \
               " return a ? [a.dataset.testScriptState || '', a.dataset.testConnectionState || ''] : ['', '']; })()"


class Monkey:
    """Drives one page. `server_log()` returns the server's stderr written since its last call."""

    def __init__(self, browser, url: str, rng: random.Random | None = None, server_log=lambda: "", seed: int = 0,
                 settle_timeout: float = SETTLE_TIMEOUT, verbose=None, action_timeout: float = 8_000,
                 artifacts: str | None = None):
        self.browser = browser
        self.url = url.rstrip("/")
        self.rng = rng if rng is not None else random.Random(seed)
        self.seed = seed
        self.server_log = server_log
        self.settle_timeout = settle_timeout
        self.verbose = verbose or (lambda s: None)
        self.t = action_timeout  # ms, for one click or fill
        self.artifacts = artifacts  # a directory for a screenshot of each failure (None: none)
        self.events: list[Problem] = []  # page errors and console errors since the last check
        self._sub_problems: list[Problem] = []  # seen in the middle of the current (compound) action
        self._touched = False  # the current action has touched the page (clicked, typed)
        self._index = 0  # the current action's index
        self._present_since: int | None = None  # the index of the first action in the current presentation mode
        self._was_present = False  # the page was in presentation mode after the previous action
        self.context = None
        self.page = None

    # ---------------------------------------------------------------- the page and its events

    def _listen(self, page, bucket: list):
        page.on("pageerror", lambda e: bucket.append(Problem("pageerror", _error_text(e))))
        page.on("console", lambda m: bucket.append(Problem("console", _console_text(m))) if m.type == "error" else None)

    def open(self) -> list[Problem]:
        self.context = self.browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.page.set_default_timeout(self.t)
        self._listen(self.page, self.events)
        self.page.goto(self.url, timeout=90_000)
        problems = self.settle(first=True)
        return problems + self.check()

    def close(self):
        if self.context is not None:
            with contextlib.suppress(Exception):
                self.context.close()
        self.context = self.page = None

    # ---------------------------------------------------------------- settling and checks

    def _state(self, page=None):
        try:
            return tuple((page or self.page).evaluate(SCRIPT_STATE))
        except Exception:  # navigating
            return ("", "")

    def _drawn(self, page) -> bool:
        """After a page load: the page has drawn its title or an error box."""
        try:
            return bool(page.evaluate("!!document.querySelector('[data-testid=\"stMain\"] h1, [data-testid=\"stException\"]')"))
        except Exception:
            return False

    def settle(self, page=None, first: bool = False) -> list[Problem]:
        """Wait until the script has finished (notRunning for STABLE seconds). A rerun may take a
        moment to start after a click, so a finished state is trusted only after START_GRACE
        seconds or after a run was seen."""
        page = page or self.page
        t0 = time.monotonic()
        seen_run = False
        idle_since = None
        state = ("", "")
        while True:
            now = time.monotonic()
            state = self._state(page)
            script, conn = state
            if script in ("running", "rerunRequested") or (first and (script in ("", "initial") or not self._drawn(page))):
                seen_run = seen_run or script in ("running", "rerunRequested")
                idle_since = None
            elif script:  # notRunning, stopped, compilationError …
                idle_since = idle_since or now
                if now - idle_since >= STABLE and (seen_run or now - t0 >= START_GRACE):
                    break
            if now - t0 > self.settle_timeout:
                return [Problem("timeout", f"the app did not settle within {self.settle_timeout:.0f} s "
                                           f"(script state {script or '?'}, connection {conn or '?'})")]
            page.wait_for_timeout(100)
        problems = []
        if state[1] and state[1] not in ("CONNECTED",):
            problems.append(Problem("timeout", f"the page lost its server connection (connection state {state[1]})"))
        if state[0] == "compilationError":
            problems.append(Problem("error-text", "script state compilationError"))
        page.wait_for_timeout(200)  # charts draw right after the script's last message
        return problems

    def check(self, page=None, events: list | None = None) -> list[Problem]:
        """The invariants, since the previous check."""
        page = page or self.page
        events = self.events if events is None else events
        problems = []
        try:
            boxes = page.locator('[data-testid="stException"]')
            for i in range(boxes.count()):
                problems.append(Problem("exception-box", boxes.nth(i).inner_text(timeout=2000).strip()))
            body = page.evaluate("document.body ? document.body.innerText : ''")
            for kind, texts in (("error-text", ERROR_TEXTS), ("section-failed", both(SECTION_FAILED))):
                for text in texts:
                    if text in body and not any(text in p.text for p in problems):
                        at = body.index(text)
                        problems.append(Problem(kind, body[at:at + 800].split("\n\n")[0].strip()))
        except Exception as e:  # the page itself is gone
            problems.append(Problem("harness", f"could not read the page: {e}"))
        problems += events[:]
        del events[:]
        for tb in tracebacks(self.server_log()):
            problems.append(Problem("server-traceback", tb))
        return problems

    def crashed(self, problems) -> bool:
        return any(p.kind in ("exception-box", "error-text", "timeout", "harness") for p in problems)

    def recover(self) -> list[Problem]:
        """Reload the page from its address; if that page is broken too, from the bare server address."""
        problems = []
        for target in (None, self.url):
            try:
                if target is None:
                    self.page.reload(timeout=90_000)
                else:
                    self.page.goto(target, timeout=90_000)
                got = self.settle(first=True) + self.check()
            except Exception as e:
                got = [Problem("harness", f"reload failed: {e}")]
            problems += got
            if not self.crashed(got):
                break
        else:  # a new browser context as the last resort
            self.close()
            problems += self.open()
        return problems

    # ---------------------------------------------------------------- running a sequence

    def run(self, actions: list[Action], report: Report | None = None, stop_after: int | None = None) -> Report:
        report = report or Report(self.seed)
        t0 = time.monotonic()
        if self.page is None:
            problems = self.open()
            if problems:  # the first load already broke: counted on the first action
                pending = problems
            else:
                pending = []
        else:
            pending = []
        for i, action in enumerate(actions):
            report.actions.append(action)
            problems = list(pending)
            pending = []
            self._touched = False
            self._index = i
            if self._present_since is None or not self._was_present:
                self._present_since = i
            try:
                action.done = getattr(self, "do_" + action.kind)(*action.args)
            except Skip as s:
                action.done, action.note = None, str(s)
            except Abort as a:
                action.done = str(a) + " (stopped there: the page broke)"
            except Exception as e:  # a click that could not be made: the widget moved or went away
                action.done, action.note = None, f"could not act: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
            problems += self._sub_problems
            self._sub_problems = []
            if action.done is not None or self._touched:  # a part of a skipped action may have been done
                problems += self.settle()
            problems += self.check()
            problems = list({(p.kind, p.text): p for p in problems}.values())  # a box seen twice is one problem
            with contextlib.suppress(Exception):
                self._was_present = self.present_mode()
            self.verbose(f"seed {self.seed} #{i + 1} {action}: " + (action.done or f"skipped ({action.note})")
                         + (f"  → {len(problems)} problem(s)" if problems else ""))
            if problems:
                report.failures.append(Failure(self.seed, i, [str(a) for a in report.actions], problems,
                                               action.done or f"skipped: {action.note}"))
                self.screenshot(f"monkey-seed{self.seed}-action{i + 1}.png")
                if self.crashed(problems):
                    self.verbose("  recovering: reload")
                    extra = self.recover()
                    if extra:  # what the reload itself showed belongs to the same action
                        report.failures[-1].problems += [Problem(p.kind, "(after the recovery reload) " + p.text) for p in extra]
            if stop_after is not None and i + 1 >= stop_after:
                break
        report.seconds += time.monotonic() - t0
        return report

    def screenshot(self, name: str) -> None:
        if self.artifacts and self.page is not None:
            with contextlib.suppress(Exception):
                os.makedirs(self.artifacts, exist_ok=True)
                self.page.screenshot(path=os.path.join(self.artifacts, name), timeout=10_000)

    def _step(self, done: str = ""):
        """Settle and check in the middle of a compound action (problems stay with the action);
        Abort if the page broke."""
        got = self.settle() + self.check()
        self._sub_problems = self._sub_problems + got
        if self.crashed(got):
            raise Abort(done.rstrip(", "))

    # ---------------------------------------------------------------- finding widgets

    @property
    def sidebar(self):
        return self.page.locator('section[data-testid="stSidebar"]')

    @property
    def main(self):
        return self.page.locator('[data-testid="stMain"]')

    def present_mode(self) -> bool:
        return self.button(self.main, "Leave presentation mode", key="present_exit") is not None

    def sidebar_open(self) -> bool:
        sb = self.sidebar
        if sb.count() == 0 or not sb.first.is_visible():
            return False
        if sb.first.get_attribute("aria-expanded") == "false":
            return False
        box = sb.first.bounding_box()
        return bool(box and box["x"] + box["width"] > 50)

    def need_sidebar(self) -> str:
        """The sidebar, opened if it is collapsed. Presentation mode hides it: for its first
        PRESENT_ACTIONS actions the action is skipped, after that presentation mode is left first."""
        if self.sidebar_open():
            return ""
        if self.present_mode():
            if self._index - self._present_since < PRESENT_ACTIONS:
                raise Skip("presentation mode: no sidebar")
            b = self.button(self.main, "Leave presentation mode", key="present_exit")
            self.click(b, "'Leave presentation mode'")
            self._step("left presentation mode")
            return "left presentation mode, " + self.need_sidebar()
        for sel in ('[data-testid="stExpandSidebarButton"]', '[data-testid="stSidebarCollapsedControl"] button'):
            loc = self.page.locator(sel)
            if loc.count() and loc.first.is_visible():
                loc.first.click()
                self.page.wait_for_timeout(600)
                if self.sidebar_open():
                    return "opened the sidebar, "
        raise Skip("no sidebar")

    def visible(self, loc):
        """The visible elements of a locator, in page order."""
        return [loc.nth(i) for i in range(loc.count()) if loc.nth(i).is_visible()]

    def button(self, scope, label: str | None = None, key: str | None = None, labels: list[str] | None = None):
        """A visible button by its widget key (the st-key-… class) or its label in either language."""
        if key:
            found = self.visible(scope.locator(f".st-key-{key} button"))
            if found:
                return found[0]
        for text in labels or (both(label) if label else []):
            found = self.visible(scope.get_by_role("button", name=text, exact=True))
            if found:
                return found[0]
        return None

    def widget(self, scope, testid: str, label: str):
        """A visible widget container by its data-testid and its label (either language)."""
        names = both(label)
        for w in self.visible(scope.locator(f'[data-testid="{testid}"]')):
            lab = w.locator('[data-testid="stWidgetLabel"]')
            text = lab.first.inner_text().strip() if lab.count() else ""
            aria = w.locator("input").first.get_attribute("aria-label") if w.locator("input").count() else ""
            if text in names or aria in names:
                return w
        return None

    def click(self, loc, what: str) -> str:
        if not loc.is_enabled():
            raise Skip(f"{what} is disabled")
        loc.scroll_into_view_if_needed()
        self._touched = True
        loc.click()
        return f"clicked {what}"

    def open_select(self, box) -> None:
        """Open a selectbox's list (its arrow button, else a click into its text field)."""
        box.scroll_into_view_if_needed()
        opts = self.page.locator('[role="listbox"] [role="option"]')
        for target in (box.locator('button[aria-haspopup="listbox"]').first, box.locator("input").first):
            target.click()
            try:
                opts.first.wait_for(state="visible", timeout=3000)
                return
            except Exception:
                self.page.keyboard.press("Escape")
        raise Skip("its list does not open")

    def choose(self, box, k: int | None = None, text: str | None = None) -> str:
        """Open a selectbox and pick option k (modulo the number of options; -1 the last) or the one with this text."""
        opts = self.page.locator('[role="listbox"] [role="option"]')
        self.open_select(box)
        names = [s.strip() for s in opts.all_inner_texts()]
        if text is not None:
            if text not in names:
                self.page.keyboard.press("Escape")
                raise Skip(f"no option {text!r}")
            j = names.index(text)
        else:
            j = len(names) - 1 if k == -1 else k % len(names)
        field = box.locator("input").first
        before, label = field.input_value(), field.get_attribute("aria-label")
        target = opts.nth(j)
        target.scroll_into_view_if_needed()
        self._touched = True
        target.click()
        return f"{label}: {before!r} → {names[j]!r}"

    def language_box(self):
        scope = self.main if self.present_mode() else self.sidebar
        for w in self.visible(scope.locator('[data-testid="stSelectbox"]')):
            if w.locator('input[aria-label="Language · 語言"]').count():
                return w
        return None

    def run_boxes(self):
        """The run expanders in the sidebar ('Run n: …' / '執行 n：…'), in order."""
        out = []
        for e in self.visible(self.sidebar.locator('[data-testid="stExpander"]')):
            head = e.locator("summary").first.inner_text().strip()
            head = head.split("\n")[-1].strip()
            if re.match(r"^(Run|執行) \d+[:：]", head):
                out.append(e)
        return out

    def open_run(self, n: int):
        """The n-th run's expander (modulo the number of runs), opened."""
        pre = self.need_sidebar()
        boxes = self.run_boxes()
        if not boxes:
            raise Skip("no run on the page")
        box = boxes[n % len(boxes)]
        title = box.locator("summary").first.inner_text().strip().split("\n")[-1]
        if box.locator("details").count() and box.locator("details").first.get_attribute("open") is None:
            box.locator("summary").first.click()
            self.page.wait_for_timeout(400)
            pre += f"opened {title!r}, "
        return box, pre + f"in {title!r}: "

    def map_chart(self):
        """The map's player (its chart, slider and buttons), if it is on screen."""
        player = self.page.locator(".dl-map")
        return player.first if player.count() and player.first.is_visible() else None

    def type_number(self, inp, value) -> str:
        label = inp.get_attribute("aria-label") or "?"
        before = inp.input_value()
        if not inp.is_enabled():
            raise Skip(f"{label} is disabled")
        inp.scroll_into_view_if_needed()
        self._touched = True
        inp.fill(_num(value))
        inp.press("Enter")
        self.page.wait_for_timeout(150)
        return f"typed {_num(value)} into {label!r} (was {before!r})"

    # ---------------------------------------------------------------- the actions

    def do_tour(self, i: int):
        pre = self.need_sidebar()
        buttons = self.visible(self.sidebar.locator('[class*="st-key-preset-"] button'))
        if not buttons:  # without the widget keys: the numbered tour buttons ("1 · …")
            buttons = [b for b in self.visible(self.sidebar.locator('[data-testid="stButton"] button'))
                       if re.match(r"^\d+ · ", _text(b))]
        if i >= 7:  # "More scenes"
            more = None
            for e in self.visible(self.sidebar.locator('[data-testid="stExpander"]')):
                if e.locator("summary").first.inner_text().strip().split("\n")[-1] in both("More scenes"):
                    more = e
            if more is None:
                raise Skip("no 'More scenes'")
            if more.locator("details").first.get_attribute("open") is None:
                more.locator("summary").first.click()
                self.page.wait_for_timeout(400)
                pre += "opened 'More scenes', "
            inside = self.visible(more.locator("button"))
            if not inside:
                raise Skip("'More scenes' is empty")
            b = inside[(i - 7) % len(inside)]
        else:
            main_tour = [b for b in buttons if not b.locator("xpath=ancestor::*[@data-testid='stExpander']").count()]
            if not main_tour:
                raise Skip("no tour button")
            b = main_tour[i % len(main_tour)]
        return pre + self.click(b, f"scene {_text(b)!r}")

    def do_language(self):
        box = self.language_box()
        if box is None:
            pre = self.need_sidebar()
            box = self.language_box()
            if box is None:
                raise Skip("no language box")
        else:
            pre = ""
        now = box.locator("input").first.input_value()
        target = "English" if now != "English" else "繁體中文"
        return pre + self.choose(box, text=target)

    def do_surface(self, k: int):
        pre = self.need_sidebar()
        box = self.widget(self.sidebar, "stSelectbox", "Error surface")
        if box is None:
            raise Skip("no surface box")
        if k != -1:  # any but the last (the typed formula)
            self.open_select(box)
            n = self.page.locator('[role="listbox"] [role="option"]').count()
            self.page.keyboard.press("Escape")
            self.page.wait_for_timeout(200)
            k = k % max(1, n - 1)
        return pre + self.choose(box, k=k)

    def do_formula(self, text: str):
        pre = self.need_sidebar()
        box = self.formula_box()
        if box is None:  # choose "✎ Your own formula" first
            sel = self.widget(self.sidebar, "stSelectbox", "Error surface")
            if sel is None:
                raise Skip("no surface box")
            pre += self.choose(sel, k=-1) + ", "
            self._step(pre)
            box = self.formula_box()
            if box is None:
                raise Skip(pre + "no formula box after choosing the typed formula")
        inp = box.locator("input").first
        before = inp.input_value()
        inp.fill(text)
        inp.press("Enter")
        return pre + f"typed f(x, y) = {text!r} (was {before!r})"

    def formula_box(self):
        for w in self.visible(self.sidebar.locator('[data-testid="stTextInput"]')):
            if (w.locator("input").first.get_attribute("aria-label") or "").startswith("f(x, y)"):
                return w
        return None

    def do_number(self, k: int, value):
        inputs = self.visible(self.page.locator('[data-testid="stNumberInput"] input'))
        if not inputs:
            raise Skip("no number box")
        return self.type_number(inputs[k % len(inputs)], value)

    def do_run_number(self, n: int, k: int, value):
        box, pre = self.open_run(n)
        inputs = self.visible(box.locator('[data-testid="stNumberInput"] input'))
        if not inputs:
            raise Skip("no number box in the run")
        return pre + self.type_number(inputs[k % len(inputs)], value)

    def _run_select(self, n: int, k: int, label: str):
        box, pre = self.open_run(n)
        sel = self.widget(box, "stSelectbox", label)
        if sel is None:
            raise Skip(f"no {label!r} box")
        return pre + self.choose(sel, k=k)

    def do_optimizer(self, n: int, k: int):
        return self._run_select(n, k, "Optimizer")

    def do_schedule(self, n: int, k: int):
        return self._run_select(n, k, "Learning-rate schedule")

    def do_add_run(self):
        pre = self.need_sidebar()
        b = self.button(self.sidebar, "＋ Add run", key="add_run")
        if b is None:
            raise Skip("no '＋ Add run'")
        return pre + self.click(b, "'＋ Add run'")

    def _run_button(self, n: int, label: str):
        box, pre = self.open_run(n)
        b = self.button(box, label)
        if b is None:
            raise Skip(f"no {label!r}")
        return pre + self.click(b, repr(label))

    def do_duplicate(self, n: int):
        return self._run_button(n, "Duplicate")

    def do_remove(self, n: int):
        return self._run_button(n, "Remove")

    def do_view(self, mode: str):
        group = self.visible(self.main.locator('[data-testid="stButtonGroup"]'))
        if not group:
            raise Skip("no view switch")
        buttons = self.visible(group[0].locator("button"))
        if len(buttons) < 3:
            raise Skip("view switch has fewer than three buttons")
        b = buttons[VIEWS.index(mode)]
        return self.click(b, f"view {_text(b)!r}")

    def do_step(self, which: str):
        """A button of Step through; switches to that view first when the page is not in it."""
        pre = ""
        if self._step_button(which) is None:
            pre = self.do_view("Step") + ", "
            self._step(pre)
        b = self._step_button(which)
        if b is None:
            raise Skip(pre + "no Step through buttons")
        return pre + self.click(b, f"step {_text(b)!r}")

    def _step_button(self, which: str):
        key, label = STEP_BUTTONS[which]
        b = self.button(self.main, key=key)
        if b is None:  # by label, but not presentation mode's own Next / Previous
            for cand in self.visible(self.main.get_by_role("button", name=label, exact=True)) + \
                    [c for zh in both(label)[1:] for c in self.visible(self.main.get_by_role("button", name=zh, exact=True))]:
                if not cand.locator("xpath=ancestor::*[contains(@class, 'st-key-present_')]").count():
                    b = cand
                    break
        return b

    def do_fit(self):
        pre = self.need_sidebar()
        box = self.widget(self.sidebar, "stCheckbox", "Fit the view to the whole paths")
        if box is None:
            raise Skip("no fit toggle")
        was = box.locator("input").first.is_checked()
        box.locator("label").first.click()
        return pre + f"toggled 'Fit the view' {'off' if was else 'on'}"

    def do_present(self):
        if self.present_mode():
            b = self.button(self.main, "Leave presentation mode", key="present_exit")
            return self.click(b, "'Leave presentation mode'")
        pre = self.need_sidebar()
        box = self.widget(self.sidebar, "stCheckbox", "Presentation mode")
        if box is None:
            raise Skip("no presentation toggle")
        box.locator("label").first.click()
        return pre + "toggled presentation mode on"

    def _inputs(self) -> list[tuple[str, str]]:
        """Every number and text box of the page (shown or not: a tab's hidden panel too), as (label, value).
        A box that refuses what was typed into it (aria-invalid: e.g. 123456789 where 200 is the most)
        never sent it; it shows "(refused)" here, and compares equal to whatever the box shows later."""
        return [tuple(x) for x in self.page.evaluate(
            "Array.from(document.querySelectorAll('[data-testid=\"stNumberInput\"] input, [data-testid=\"stTextInput\"] input'))"
            ".map(e => [e.getAttribute('aria-label') || '?', e.getAttribute('aria-invalid') === 'true' ? REFUSED : e.value])"
            .replace("REFUSED", repr(REFUSED)))]

    def do_present_roundtrip(self):
        """Presentation mode on and straight off again: every number and text box must show what it showed before."""
        if self.present_mode():
            raise Skip("already in presentation mode")
        pre = self.need_sidebar()
        box = self.widget(self.sidebar, "stCheckbox", "Presentation mode")
        if box is None:
            raise Skip("no presentation toggle")
        before = self._inputs()
        self._touched = True
        box.locator("label").first.click()
        done = pre + "presentation mode on"
        self._step(done)
        b = self.button(self.main, "Leave presentation mode", key="present_exit")
        if b is None:
            raise Abort(done + ", no 'Leave presentation mode'")
        done += ", " + self.click(b, "'Leave presentation mode'")
        self._step(done)
        after = self._inputs()
        same = len(before) == len(after) and all(a[0] == b[0] and REFUSED in (a[1], b[1]) or a == b for a, b in zip(before, after))
        if not same:
            changed = [f"{a[0]!r}: {a[1]!r} → {b[1]!r}" for a, b in zip(before, after) if a != b and REFUSED not in (a[1], b[1])]
            if len(before) != len(after):
                changed.append(f"{len(before)} boxes before, {len(after)} after: "
                               f"gone {sorted(set(before) - set(after))[:10]}, new {sorted(set(after) - set(before))[:10]}")
            self._sub_problems = self._sub_problems + [Problem(
                "state-lost", "after presentation mode on and off, boxes changed:\n" + "\n".join(changed[:30]))]
        return done

    def do_present_nav(self, which: str):
        if not self.present_mode():
            raise Skip("not in presentation mode")
        key, label = ("present_next", "Next ▶") if which == "next" else ("present_prev", "◀ Previous")
        b = self.button(self.main, key=key)
        if b is None:
            raise Skip(f"no presentation {label!r}")
        return self.click(b, f"presentation {_text(b)!r}")

    def do_player(self, which: str):
        chart = self.map_chart()
        if chart is None:
            raise Skip("no animated map")
        b = chart.locator(PLAYER[which])
        if not b.count():
            raise Skip(f"the map has no {which!r} button")
        text = b.text_content()
        chart.scroll_into_view_if_needed()
        self._touched = True
        b.click()
        self.page.wait_for_timeout(300)
        return f"pressed the map's {text!r}"

    def do_slider(self, u: float):
        chart = self.map_chart()
        if chart is None:
            raise Skip("no animated map")
        rail = chart.locator(".dl-slider input")
        if not rail.count():
            raise Skip("no slider")
        chart.scroll_into_view_if_needed()
        r = rail.first.bounding_box()
        if not r:
            raise Skip("slider not drawn")
        m = self.page.mouse  # press where it is now, drag to u
        value, top = float(rail.first.input_value()), float(rail.first.get_attribute("max") or 0)
        x0, y = r["x"] + (value / top if top else 0) * r["width"], r["y"] + r["height"] / 2
        m.move(x0, y)
        m.down()
        x = r["x"] + u * r["width"]
        for f in (0.3, 0.6, 1.0):
            m.move(x0 + (x - x0) * f, y)
            self.page.wait_for_timeout(50)
        m.up()
        return f"dragged the slider to {u:.0%}"

    def do_map_click(self, u: float, v: float):
        chart = self.map_chart()
        if chart is None:
            raise Skip("no animated map")
        drag = chart.locator(".nsewdrag[data-subplot=xy]")
        if not drag.count():
            raise Skip("no plot area")
        chart.scroll_into_view_if_needed()
        box = drag.first.bounding_box()
        x, y = box["x"] + u * box["width"], box["y"] + v * box["height"]
        self.page.mouse.move(x, y)
        self.page.wait_for_timeout(300)
        self.page.mouse.click(x, y)
        return f"clicked the map at ({u:.2f}, {v:.2f}) of its plot area"

    def do_key(self, key: str):
        h1 = self.visible(self.main.locator("h1"))
        if not h1:
            raise Skip("no title to click")
        h1[0].click()
        self.page.keyboard.press(key)
        self.page.wait_for_timeout(300)
        return f"clicked the title, pressed {key}"

    def _tab(self, i: int):
        tabs = self.visible(self.main.locator('[data-testid="stTab"]'))
        if len(tabs) < 2:
            raise Skip("no fate map / sweep tabs")
        tabs[i].scroll_into_view_if_needed()
        tabs[i].click()
        self._step(f"tab {tabs[i].inner_text().strip()!r}")  # a tab's content is drawn by the rerun its click makes
        panels = self.visible(self.main.locator('[data-testid="stTabPanel"]'))
        if not panels:
            raise Skip("no tab panel")
        return tabs[i].inner_text().strip(), panels[0]

    def _set_in(self, panel, label: str, value) -> str:
        box = self.widget(panel, "stNumberInput", label)
        if box is None:
            return ""
        inp = box.locator("input").first
        if inp.input_value() == _num(value):
            return ""
        done = self.type_number(inp, value)
        self._step(done)
        return done + ", "

    def do_fate(self, cells: int, steps: int):
        name, panel = self._tab(0)
        done = f"tab {name!r}, "
        try:
            done += self._set_in(panel, "Cells per side", cells)
            done += self._set_in(panel, "Steps per start", steps)
        except Abort as a:
            raise Abort(done + str(a)) from None
        b = self.button(panel, "Compute the fate map", key="fate_go")
        if b is None:
            raise Skip(done + "no compute button")
        return done + self.click(b, "'Compute the fate map'")

    def do_sweep(self, n_lr: int, n_values: int):
        name, panel = self._tab(1)
        done = f"tab {name!r}, "
        try:
            done += self._set_in(panel, "lr values", n_lr)
            # the second parameter's count: the last number box of the row ("{name} values")
            boxes = self.visible(panel.locator('[data-testid="stNumberInput"] input'))
            if boxes and boxes[-1].input_value() != _num(n_values):
                done += self.type_number(boxes[-1], n_values) + ", "
                self._step(done)
        except Abort as a:
            raise Abort(done + str(a)) from None
        b = self.button(panel, "Compute the sweep", key="sweep_go")
        if b is None:
            why = " ".join(c.inner_text().strip() for c in self.visible(panel.locator('[data-testid="stCaptionContainer"], [data-testid="stAlert"]')))
            raise Skip(done + "no compute button" + (f" ({why[:150]})" if why else ""))
        return done + self.click(b, "'Compute the sweep'")

    def do_reload(self):
        self.page.reload(timeout=90_000)
        self._sub_problems = self._sub_problems + self.settle(first=True)
        return "reloaded the page"

    def do_fresh(self):
        """Open the page's address in a new browser context: it must open without errors or notes."""
        link = self.page.url
        context = self.browser.new_context(viewport=VIEWPORT)
        bucket: list[Problem] = []
        try:
            pg = context.new_page()
            pg.set_default_timeout(self.t)
            self._listen(pg, bucket)
            pg.goto(link, timeout=90_000)
            got = self.settle(pg, first=True) + self.check(pg, bucket)
            try:
                body = pg.evaluate("document.body.innerText")
            except Exception:
                body = ""
            if LINK_NOTE in body or _catalogue().get(LINK_NOTE + "; defaults were kept for:", "\0") in body:
                at = body.find(LINK_NOTE)
                got.append(Problem("link-notes", f"the page's own address {link} opens with a note: " + body[max(0, at):at + 600]))
            self._sub_problems = self._sub_problems + [Problem(p.kind, "(in the fresh browser) " + p.text) for p in got]
        finally:
            context.close()
        return f"opened {link} in a fresh browser"


def _text(loc) -> str:
    """A button's label without the keyboard shortcut Streamlit prints under it."""
    return (loc.inner_text().strip().split("\n") or [""])[0].strip()


def _num(v) -> str:
    if isinstance(v, float):
        return repr(v) if v != int(v) or abs(v) >= 1e16 else str(int(v))
    return str(v)


def _error_text(e) -> str:
    msg = getattr(e, "message", None) or str(e)
    stack = getattr(e, "stack", None) or ""
    lines = [ln for ln in stack.splitlines()[1:4]]
    return msg + ("\n" + "\n".join(lines) if lines else "")


def _console_text(m) -> str:
    loc = m.location or {}
    where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
    return m.text[:2000] + where


# ----------------------------------------------------------------------------- one seed

def run_seed(browser, url: str, seed: int, actions: int = 25, server_log=lambda: "", verbose=None,
             script: list[Action] | None = None, artifacts: str | None = None,
             settle_timeout: float = SETTLE_TIMEOUT) -> Report:
    """A fresh browser context, `actions` random actions of `seed` (or the given script), a report."""
    monkey = Monkey(browser, url, random.Random(seed), server_log=server_log, seed=seed, verbose=verbose, artifacts=artifacts,
                    settle_timeout=settle_timeout)
    server_log()  # what the server wrote before this seed is not this seed's
    sequence = script if script is not None else plan(monkey.rng, actions)
    try:
        return monkey.run(sequence)
    finally:
        monkey.close()


def distinct(failures: list[Failure]) -> dict[str, list[Failure]]:
    """Failures grouped by problem signature (kind and last line), first seen first."""
    out: dict[str, list[Failure]] = {}
    for f in failures:
        for sig in dict.fromkeys(p.signature() for p in f.problems):
            out.setdefault(sig, []).append(f)
    return out
