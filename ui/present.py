"""Presentation mode (for a projector) and keyboard control of the map's animation.

Streamlit has no key events for a chart, so a small script (st.html with JavaScript, run in the
page itself) listens on the document and drives the map's animation through the page's plotly.js
(window.Plotly): space plays or pauses, ← and → move one frame, Home and End jump to the first and
last frame. Keys typed into an input field are left alone. The script carries no user text.
"""
from __future__ import annotations

from views.mapfig import FRAME_MS

PRESENT_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 3.2rem !important; max-width: 100% !important;}
[data-testid="stMain"] p, [data-testid="stMain"] li {font-size: 1.35rem; line-height: 1.5;}
[data-testid="stMain"] h1 {font-size: 2.2rem;}
[data-testid="stMain"] button p {font-size: 1.15rem;}
</style>"""

# Always on. Streamlit 1.67's caption grey (#828180 on white, 3.9:1) and the shortcut hints on
# buttons fall short of WCAG AA's 4.5:1 (axe-core, tests/test_accessibility.py); the map's
# Play / Pause / speed buttons are SVG and get a visible keyboard focus ring (KEYS_JS makes them focusable).
PAGE_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {color: #55555e !important; opacity: 1 !important;}
button kbd {color: inherit !important; opacity: 1 !important;}
g.updatemenu-button:focus {outline: none;}
g.updatemenu-button:focus-visible rect, g.updatemenu-button.descent-lab-focus rect {stroke: #111111 !important; stroke-width: 3px !important;}
</style>"""

KEYS_JS = """<script>
(function () {
  // Streamlit runs this script again on every rerun: install once, declare nothing global.
  if (window.__descentLabKeys) return;  // Plotly itself may load later, with the first chart
  window.__descentLabKeys = true;
  const FRAME_MS = __FRAME_MS__;
  function mapChart() {
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
      const fl = gd._fullLayout;
      if (fl && fl.sliders && fl.sliders.length && fl.updatemenus && fl.updatemenus.length) return gd;
    }
    return null;
  }
  let pending = null;  // the frame a key jump is on its way to (keys can come faster than frames)
  function playing(gd) {
    // plotly.js keeps the frames still to show in a queue while an animation runs.
    const t = gd._transitionData;
    return pending === null && !!(t && t._frameQueue && t._frameQueue.length);
  }
  const still = {mode: 'immediate', transition: {duration: 0}};
  function play(gd) {
    Plotly.animate(gd, null, Object.assign({fromcurrent: true, frame: {duration: FRAME_MS, redraw: false}}, still)).catch(() => {});
  }
  function pause(gd) {
    return Plotly.animate(gd, [null], Object.assign({frame: {duration: 0, redraw: false}}, still)).catch(() => {});
  }
  function pauseThen(gd, next) {
    // Jumps wait for the pause to settle: two animate calls at once can drop the second.
    if (playing(gd)) pause(gd).then(next); else next();
  }
  function toFrame(gd, k) {
    // A jump redraws, as the slider's own steps do (this also keeps map clicks working).
    const n = gd._fullLayout.sliders[0].steps.length;
    k = Math.max(0, Math.min(n - 1, k));
    pending = k;
    return Plotly.animate(gd, [String(k)], Object.assign({frame: {duration: 0, redraw: true}}, still))
      .catch(() => {}).then(() => { if (pending === k) pending = null; });
  }
  // plotly.js rejects a running animation's promise with `undefined` when another animation
  // interrupts it (Pause, a speed button, a jump), and its own buttons leave that promise
  // unhandled: an expected interruption, not an error.
  window.addEventListener('unhandledrejection', (e) => { if (e.reason === undefined) e.preventDefault(); });
  // After a redraw=False animation (playing), a click-select on the map throws in plotly.js (a
  // moved trace has no DOM node in its calcdata) and the click that sets the start is lost. When
  // such an animation ends, redraw the frame it stopped on, as the slider's own jumps do.
  function hook(gd) {
    if (!gd.__descentLabClicks) {
      gd.__descentLabClicks = true;
      gd.addEventListener('mousedown', (e) => clickWhilePlaying(gd, e), true);
    }
    // gd._ev is the chart's event emitter; plotly.js makes a new one when it purges the chart.
    if (!gd._ev || gd._ev.__descentLab) return;
    gd._ev.__descentLab = true;
    const state = gd.__descentLabState = {stale: false};
    state.seen = (e) => { if (!(e && e.animation && e.animation.frame && e.animation.frame.redraw)) state.stale = true; };
    state.done = () => setTimeout(() => {  // after plotly.js has finished its own bookkeeping
      if (!state.stale || playing(gd)) return;
      state.stale = false;
      toFrame(gd, gd._fullLayout.sliders[0].active || 0);
    }, 0);
    gd.on('plotly_animatingframe', state.seen);
    gd.on('plotly_animated', state.done);
  }
  setInterval(() => {
    const gd = window.Plotly ? mapChart() : null;
    if (gd && gd.on) { hook(gd); focusable(gd); }
    // A formula wider than its column scrolls sideways: a keyboard must be able to scroll it too.
    for (const f of document.querySelectorAll('.katex-display:not([tabindex])')) {
      if (f.scrollWidth > f.clientWidth) f.setAttribute('tabindex', '0');
    }
  }, 300);
  // plotly.js draws Play, Pause and the speed buttons as SVG groups that a keyboard cannot reach:
  // give each a tab stop, a role and a name (its label), and press it with Enter or space.
  let keyboard = false;  // the last input was a key (focus from Tab shows a ring; focus from a click does not)
  window.addEventListener('keydown', () => { keyboard = true; }, true);
  window.addEventListener('mousedown', () => { keyboard = false; }, true);
  function focusable(gd) {
    for (const b of gd.querySelectorAll('g.updatemenu-button:not([tabindex])')) {
      b.setAttribute('tabindex', '0');
      b.setAttribute('role', 'button');
      const label = b.querySelector('text');
      if (label) b.setAttribute('aria-label', label.textContent);
      b.addEventListener('focus', () => { if (keyboard) b.classList.add('descent-lab-focus'); });  // not after a click
      b.addEventListener('blur', () => b.classList.remove('descent-lab-focus'));
      b.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        e.stopPropagation();  // not also the page's own space = play / pause
        b.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));
      });
    }
  }
  // A click on the map while it plays (or before the redraw after play) would hit the same bug.
  // Such a press is held back: the animation pauses, the frame is redrawn, then the same press is
  // replayed at the same place, so the click sets the start as it does on a still map.
  function clickWhilePlaying(gd, e) {
    const state = gd.__descentLabState;
    if (e.__descentLabReplay || e.button !== 0 || !(playing(gd) || (state && state.stale))) return;
    e.stopImmediatePropagation();
    e.preventDefault();
    const x = e.clientX, y = e.clientY;
    let replayed = false;
    const holdUp = (u) => { if (!u.__descentLabReplay && !replayed) { u.stopImmediatePropagation(); } };
    window.addEventListener('mouseup', holdUp, true);
    pauseThen(gd, () => {
      if (state) state.stale = false;
      toFrame(gd, gd._fullLayout.sliders[0].active || 0).then(() => {
        const target = document.elementFromPoint(x, y);
        replayed = true;
        window.removeEventListener('mouseup', holdUp, true);
        if (!target) return;
        for (const type of ['mousedown', 'mouseup']) {
          const ev = new MouseEvent(type, {bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0,
                                           buttons: type === 'mousedown' ? 1 : 0, view: window});
          ev.__descentLabReplay = true;
          target.dispatchEvent(ev);
        }
      });
    });
  }
  window.addEventListener('keydown', (e) => {
    const t = e.target, tag = (t && t.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || (t && t.isContentEditable)) return;
    if (t && t.closest && t.closest('g.updatemenu-button')) return;  // a focused map button presses itself
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const gd = window.Plotly ? mapChart() : null;
    if (!gd) return;
    const active = pending !== null ? pending : (gd._fullLayout.sliders[0].active || 0);
    if (e.code === 'Space') { if (playing(gd)) pause(gd); else play(gd); }
    else if (e.key === 'ArrowRight') pauseThen(gd, () => toFrame(gd, active + 1));
    else if (e.key === 'ArrowLeft') pauseThen(gd, () => toFrame(gd, active - 1));
    else if (e.key === 'Home') pauseThen(gd, () => toFrame(gd, 0));
    else if (e.key === 'End') pauseThen(gd, () => toFrame(gd, gd._fullLayout.sliders[0].steps.length - 1));
    else return;
    e.preventDefault();
  }, true);
})();
</script>""".replace("__FRAME_MS__", str(FRAME_MS))
