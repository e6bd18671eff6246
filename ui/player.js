// Descent Lab's map player: a Streamlit component (components v2) that draws the map with its own
// plotly.js and plays it in the browser.
//
// The server sends the map once (views/player.py: the figure without frames, and each run's
// positions at the shown steps); every frame is made here. Why not Plotly's own frames in
// st.plotly_chart: the server validated and serialised every frame on every rerun, playback ran
// at 80% of its rate and 4x was 1.8x, and after playing the first click on the map was lost to a
// plotly.js error (its select code and redraw=false animations). Here the frame shown is a
// function of the clock (speeds are exact; a slow paint skips frames, never time), clicks are
// read from pointer events (no plotly.js selection at all), and a new map replaces the old one
// with Plotly.react, with no reload.

const CLICK_SLOP = 6;  // px a press may move and still be a click (more is a pan)
const NARROW = 640;  // px: below this the map is a phone's (taller, no pan, the colour bar under it)
const SPEEDS = [0.5, 1, 2, 4];

// On a touch screen or a phone a drag must scroll the page, not pan the map (a swipe that pans
// can push the paths out of view, and leaves the reader stuck on the chart): plotly.js lets the
// browser scroll when dragmode is false. A tap still sets the start (listenForClicks), and shows
// no tooltip (hovermode false): it would stay over the new paths.
function touchFirst(width) {
  return width < NARROW || window.matchMedia('(pointer: coarse)').matches;
}

// loader: the page also runs this part alone, early (ui/player.py PRELOAD), so that plotly.js
// loads while the rest of the page is still on its way.
const LIBRARY = 'app/static/plotly-cartesian-4.1.1.min.js';  // served by Streamlit (server.enableStaticServing)
function plotlyLibrary() {
  if (!window.__descentLabPlotly) {
    window.__descentLabPlotly = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = new URL(LIBRARY, document.baseURI).href;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__descentLabPlotly = null; reject(new Error('plotly.js could not be loaded')); };
      document.head.appendChild(script);
    });
  }
  return window.__descentLabPlotly;
}
// end of loader

function scrollParent(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (/(auto|scroll)/.test(style.overflowY) && p.scrollHeight > p.clientHeight) return p;
  }
  return document.scrollingElement || document.documentElement;
}

function element(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

class Player {
  constructor(parent) {
    this.parent = parent;
    this.frame = 0;
    this.speed = SPEEDS.includes(window.__descentLabSpeed) ? window.__descentLabSpeed : 1;  // kept across view switches
    this.playing = false;
    this.raw = null;
    this.spec = null;
    this.request = 0;
    this.painted = 0;  // frames painted since the page opened (the benchmark reads it)
    this.root = element('div', {class: 'dl-player'});
    this.plot = element('div', {class: 'dl-plot', role: 'figure'});  // not img: it holds plotly's buttons
    this.bar = element('div', {class: 'dl-controls', role: 'toolbar'});
    const button = (act, cls) => {
      const b = element('button', {type: 'button', class: 'dl-button ' + (cls || ''), 'data-act': act});
      b.addEventListener('click', (e) => { this.act(act); released(b, e); });
      return b;
    };
    this.buttons = {start: button('start'), back: button('back'), play: button('play', 'dl-play'), forward: button('forward'),
                    end: button('end')};
    const transport = element('div', {class: 'dl-group dl-transport'});
    for (const b of Object.values(this.buttons)) transport.appendChild(b);
    this.speedGroup = element('div', {class: 'dl-group dl-speeds', role: 'group'});
    this.speedButtons = [];
    for (const s of SPEEDS) {
      const b = element('button', {type: 'button', class: 'dl-button dl-speed', 'data-speed': String(s)}, (s === 0.5 ? '½' : String(s)) + '×');
      b.addEventListener('click', (e) => { this.setSpeed(s); released(b, e); });
      this.speedButtons.push(b);
      this.speedGroup.appendChild(b);
    }
    this.sliderBox = element('label', {class: 'dl-slider'});
    this.readout = element('span', {class: 'dl-readout', 'aria-hidden': 'true'});
    this.slider = element('input', {type: 'range', min: '0', max: '0', step: '1', value: '0'});
    this.slider.addEventListener('input', () => { this.pause(); this.show(Number(this.slider.value)); });
    this.slider.addEventListener('pointerup', () => this.slider.blur());  // dragged with a pointer: space plays again
    this.sliderBox.appendChild(this.readout);
    this.sliderBox.appendChild(this.slider);
    // As in a video player: the scrub bar over the whole width, the buttons under it.
    const buttons = element('div', {class: 'dl-buttons'});
    buttons.appendChild(transport);
    buttons.appendChild(this.speedGroup);
    this.bar.appendChild(this.sliderBox);
    this.bar.appendChild(buttons);
    this.root.appendChild(this.plot);
    this.root.appendChild(this.bar);
    parent.appendChild(this.root);
    this.tick = this.tick.bind(this);
    this.onResize = () => this.resize();
    window.addEventListener('resize', this.onResize);
    this.listenForClicks();
  }

  // ------------------------------------------------------------------ data in
  async load(data, setTriggerValue) {
    this.setTriggerValue = setTriggerValue;
    // The server sends the JSON as UTF-8 bytes (ui/player.py says why).
    const raw = typeof data === 'string' ? data : new TextDecoder().decode(data);
    if (raw === this.raw) return;
    this.raw = raw;
    const spec = JSON.parse(raw);
    const Plotly = this.Plotly || (this.Plotly = await plotlyLibrary());
    if (raw !== this.raw) return;  // a newer map came while plotly.js was loading
    const first = this.spec === null;
    this.spec = spec;
    this.animated = Array.isArray(spec.steps);  // else a still chart: no controls, no clicks
    this.root.classList.toggle('dl-map', this.animated);
    if (!this.animated) {
      this.bar.remove();
      this.plot.setAttribute('aria-label', spec.texts.alt);
      const layout = Object.assign({}, spec.figure.layout, {height: spec.height, autosize: true});
      await Plotly.react(this.plot, spec.figure.data, layout, Object.assign({responsive: true}, spec.config));
      this.root.dataset.ready = String(++this.request);
      return;
    }
    window.__descentLabPlayer = this;  // the keys' player: the page's one map
    this.root.classList.toggle('dl-large', !!spec.fill);
    this.label(spec.texts);
    this.n = spec.steps.length;
    this.slider.max = String(Math.max(0, this.n - 1));
    await this.draw();
    if (raw !== this.raw) return;
    this.frame = -1;
    const resume = this.playing;
    this.playing = false;
    this.show(0);
    if (resume) this.play();
    this.drawnAt = performance.now();  // the benchmark's "new map drawn"
    this.root.dataset.ready = String(++this.request);  // tests wait for this: the map on screen is this spec's
    if (first) this.resize();
  }

  // The figure as this screen should show it: on a touch screen no pan; on a phone the colour bar
  // lies under the map instead of taking a fifth of its width; in presentation mode the fonts
  // grow with the window (a 1920-pixel projector shows them as large as a 1280 one).
  shaped() {
    const spec = this.spec, width = this.root.clientWidth || window.innerWidth;
    this.narrow = width < NARROW;
    this.touch = touchFirst(width);
    const layout = Object.assign({}, spec.figure.layout, {height: this.height(), autosize: true});
    // A tap sets the start, so a tap's tooltip would only stay over the new paths.
    if (this.touch) Object.assign(layout, {dragmode: false, hovermode: false});
    if (spec.fill && layout.font && layout.font.size) {
      const grow = Math.max(1, Math.min(1.6, window.innerWidth / 1366));
      layout.font = Object.assign({}, layout.font, {size: Math.round(layout.font.size * grow)});
      const m = layout.margin || {};  // room for the larger tick labels and axis titles
      layout.margin = Object.assign({}, m, {l: Math.round((m.l || 60) * grow), b: Math.round((m.b || 50) * grow), t: Math.round((m.t || 40) * grow)});
    }
    let data = spec.figure.data;
    if (this.narrow) {
      // under the x axis's ticks and title: 70 px below the plot area, as a fraction of its height
      const m = layout.margin || {}, plotHeight = layout.height - (m.t || 40) - (m.b || 50) - 80;
      const across = (bar) => Object.assign({}, bar, {
        orientation: 'h', x: 0.5, xanchor: 'center', y: -70 / Math.max(plotHeight, 100), yanchor: 'top', thickness: 12, len: 1,
        title: Object.assign({}, bar.title, {side: 'top', text: String((bar.title && bar.title.text) || '').replace(/<br>/g, ' ')})});
      data = data.map((t) => (t.marker && t.marker.showscale && t.marker.colorbar)  // views/mapfig._colourbar_trace
        ? Object.assign({}, t, {marker: Object.assign({}, t.marker, {colorbar: across(t.marker.colorbar)})})
        : t);
      layout.margin = Object.assign({}, layout.margin, {r: 12, b: (layout.margin && layout.margin.b || 50) + 80});
    }
    // On a phone plotly's toolbar would cover the legend; the export section makes pictures there.
    const config = Object.assign({responsive: true}, spec.config, this.narrow ? {displayModeBar: false} : {});
    return {data: data, layout: layout, config: config};
  }

  async draw() {
    const {data, layout, config} = this.shaped();
    this.shape = [this.narrow, this.touch, window.innerWidth];
    await this.Plotly.react(this.plot, data, layout, config);
  }

  label(t) {
    this.plot.setAttribute('aria-label', t.alt);
    this.bar.setAttribute('aria-label', t.player);
    this.speedGroup.setAttribute('aria-label', t.speed);
    this.slider.setAttribute('aria-label', t.step);
    const words = {start: t.start, back: t.back, forward: t.forward, end: t.end};
    for (const [act, text] of Object.entries(words)) {
      this.buttons[act].textContent = text.symbol;
      this.buttons[act].setAttribute('aria-label', text.name);
      this.buttons[act].title = text.name + (text.key ? ' (' + text.key + ')' : '');
    }
    this.updatePlay();
    this.updateSpeed();
  }

  // ------------------------------------------------------------------ playing
  act(what) {
    if (what === 'play') return this.playing ? this.pause() : this.play();
    this.pause();
    if (what === 'start') this.show(0);
    else if (what === 'end') this.show(this.n - 1);
    else if (what === 'back') this.show(this.frame - 1);
    else if (what === 'forward') this.show(this.frame + 1);
  }

  play() {
    if (!this.animated || this.n < 2) return;
    if (this.frame >= this.n - 1) this.show(0);
    this.playing = true;
    this.anchor();
    this.updatePlay();
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame(this.tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.updatePlay();
  }

  setSpeed(s) {
    this.speed = window.__descentLabSpeed = s;
    if (this.playing) this.anchor();  // from the frame on screen, at the new rate
    this.updateSpeed();
  }

  anchor() {
    this.t0 = performance.now();
    this.f0 = this.frame;
  }

  tick(now) {
    if (!this.playing) return;
    const due = this.f0 + Math.floor((now - this.t0) * this.speed / this.spec.frame_ms);
    if (due >= this.n - 1) {
      this.show(this.n - 1);
      this.pause();
      return;
    }
    if (due !== this.frame) this.show(due);
    this.raf = requestAnimationFrame(this.tick);
  }

  frameData(j) {
    // The same rule as views/mapfig.Tail.frame, which makes the exported animation's frames.
    const data = [];
    for (const t of this.spec.tails) {
      const end = Math.min(j, t.stop) + 1;
      const start = Math.min(Math.max(0, j - this.spec.tail), end - 1);
      const x = t.x.slice(start, end), y = t.y.slice(start, end);
      const sizes = new Array(end - start - 1).fill(0).concat([t.size]);
      data.push({x: x, y: y}, {x: x, y: y, marker: {size: sizes}});
    }
    return data;
  }

  show(j) {
    if (!this.animated) return;
    j = Math.max(0, Math.min(this.n - 1, j));
    if (j === this.frame) return;
    this.frame = j;
    this.slider.value = String(j);
    const text = this.spec.texts.at_step.replace('{n}', this.spec.steps[j].toLocaleString('en-US'));
    this.readout.textContent = text;
    this.slider.setAttribute('aria-valuetext', text);
    if (!this.spec.moving.length) return;
    // redraw: false moves only these SVG traces; the picture, the paths and the axes stay.
    this.Plotly.animate(this.plot, {data: this.frameData(j), traces: this.spec.moving},
                        {mode: 'immediate', frame: {duration: 0, redraw: false}, transition: {duration: 0}})
      .catch(() => {});  // a newer frame interrupted this one: expected, not an error
    this.painted++;
  }

  updatePlay() {
    if (!this.animated) return;
    const t = this.spec.texts;
    const b = this.buttons.play;
    b.textContent = this.playing ? t.pause.symbol : t.play.symbol;
    b.setAttribute('aria-label', this.playing ? t.pause.name : t.play.name);
    b.title = (this.playing ? t.pause.name : t.play.name) + ' (' + t.play.key + ')';
    b.setAttribute('aria-pressed', String(this.playing));
  }

  updateSpeed() {
    for (const b of this.speedButtons) b.setAttribute('aria-pressed', String(Number(b.dataset.speed) === this.speed));
  }

  // ------------------------------------------------------------------ size
  height() {
    const spec = this.spec;
    const width = this.root.clientWidth || 700;
    if (spec && spec.fill) {  // presentation: the chart and its controls fill the window below the chart's top
      const sp = scrollParent(this.root);
      const top = this.plot.getBoundingClientRect().top - (sp === document.scrollingElement ? 0 : sp.getBoundingClientRect().top)
        + sp.scrollTop;
      const room = window.innerHeight - top - this.bar.offsetHeight - 24;
      return Math.max(320, Math.min(1400, Math.round(room)));
    }
    const base = spec ? spec.height : 620;
    if (spec && !this.animated) return base;
    if (width < NARROW) return Math.max(320, Math.round(width * 1.15)) + 80;  // + the colour bar under it
    // The map and its controls fit in the window together (a 720-pixel-high laptop sees Play).
    return Math.max(420, Math.min(base, window.innerHeight - (this.bar.offsetHeight || 110) - 24));
  }

  resize() {
    if (!this.animated || !this.Plotly) return;
    const width = this.root.clientWidth || window.innerWidth;
    const [narrow, touch, wide] = this.shape || [];
    if (narrow !== (width < NARROW) || touch !== touchFirst(width) || (this.spec.fill && wide !== window.innerWidth)) {
      this.draw().catch(() => {});
      return;
    }
    const h = this.height();
    if (this.plot._fullLayout && Math.abs(this.plot._fullLayout.height - h) > 1) {
      this.Plotly.relayout(this.plot, {height: h}).catch(() => {});
    }
  }

  // ------------------------------------------------------------------ clicks
  listenForClicks() {
    // plotly.js covers the page with its own layer while a press lasts (to pan), so the click
    // event never reaches the chart: a press on the plot area and its release nearby is a click.
    let down = null, pending = null;
    this.onDown = (e) => {
      const drag = e.target.closest && e.target.closest('.nsewdrag');
      if (!drag || !this.plot.contains(drag) || drag.getAttribute('data-subplot') !== 'xy' || e.button > 0) return;
      down = {x: e.clientX, y: e.clientY, id: e.pointerId, box: drag.getBoundingClientRect()};
    };
    this.onUp = (e) => {
      const d = down;
      down = null;
      if (!d || e.pointerId !== d.id || Math.hypot(e.clientX - d.x, e.clientY - d.y) > CLICK_SLOP) return;
      const fl = this.plot._fullLayout;
      if (!fl || !this.setTriggerValue || !this.spec.clickable) return;
      const x = fl.xaxis.p2d(e.clientX - d.box.left), y = fl.yaxis.p2d(e.clientY - d.box.top);
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      // A double click resets the axes (plotly.js): neither of its presses moves the start. So a
      // click waits for the double-click interval before it is sent.
      const now = performance.now(), delay = (this.plot._context && this.plot._context.doubleClickDelay) || 300;
      if (pending && now - pending.at < delay && Math.hypot(e.clientX - pending.cx, e.clientY - pending.cy) <= 2 * CLICK_SLOP) {
        clearTimeout(pending.timer);
        pending = null;
        return;
      }
      if (pending) clearTimeout(pending.timer);
      const send = () => {
        pending = null;
        this.root.dataset.clicked = x + ',' + y;
        this.setTriggerValue('start', {x: x, y: y});
      };
      pending = {at: now, cx: e.clientX, cy: e.clientY, timer: setTimeout(send, delay)};
    };
    this.onCancel = (e) => { if (down && e.pointerId === down.id) down = null; };  // the browser took it (a scroll)
    this.plot.addEventListener('pointerdown', this.onDown, true);
    window.addEventListener('pointerup', this.onUp, true);
    window.addEventListener('pointercancel', this.onCancel, true);
  }

  destroy() {
    this.pause();
    window.removeEventListener('resize', this.onResize);
    window.removeEventListener('pointerup', this.onUp, true);
    window.removeEventListener('pointercancel', this.onCancel, true);
    if (this.Plotly) this.Plotly.purge(this.plot);
    this.root.remove();
    if (window.__descentLabPlayer === this) window.__descentLabPlayer = null;
  }
}

// A button pressed with a pointer gives the focus back to the page, so that space goes on playing
// and pausing the map instead of pressing that button again. A key press (detail 0) keeps it there.
function released(button, event) {
  if (event.detail > 0) button.blur();
}

// Keys, installed once for the page: space plays or pauses, ← → step one frame, Home / End.
function installKeys() {
  if (window.__descentLabPlayerKeys) return;
  window.__descentLabPlayerKeys = true;
  // Whether the focus came from a pointer (a click) or the keyboard (Tab): a button clicked with the
  // mouse, Streamlit's view switch too, keeps the focus, and space would press it again.
  let pointed = false;
  window.addEventListener('pointerdown', () => { pointed = true; }, true);
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Tab') pointed = false;
    const t = e.target, tag = (t && t.tagName || '').toLowerCase();
    const p = window.__descentLabPlayer;
    if (e.ctrlKey || e.metaKey || e.altKey || !p || !p.animated || !p.root.isConnected) return;
    if (t === p.slider) {  // the scrub bar steps with its own arrows; space plays or pauses, as on a video
      if (e.code === 'Space') { p.act('play'); e.preventDefault(); }
      return;
    }
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || (t && t.isContentEditable)) return;
    if (tag === 'button' && (e.key === 'Enter' || (e.code === 'Space' && !pointed))) return;  // reached by Tab: it presses itself
    if (tag === 'button' && e.code === 'Space') t.blur();  // clicked before: space is the map's again
    if (e.code === 'Space') p.act('play');
    else if (e.key === 'ArrowRight') p.act('forward');
    else if (e.key === 'ArrowLeft') p.act('back');
    else if (e.key === 'Home') p.act('start');
    else if (e.key === 'End') p.act('end');
    else return;
    e.preventDefault();
  }, true);
}

export default function (component) {
  const {data, parentElement, setTriggerValue} = component;
  let player = parentElement.__descentLabPlayer;
  if (!player || !player.root.isConnected) player = parentElement.__descentLabPlayer = new Player(parentElement);
  installKeys();
  player.load(data, setTriggerValue).catch((err) => {
    player.root.dataset.error = String(err && err.message || err);
    player.plot.textContent = player.spec ? player.spec.texts.failed : 'The chart could not be drawn.';
  });
  return () => {  // the map leaves the page (another view): stop its clock, free plotly.js's chart
    player.destroy();
    parentElement.__descentLabPlayer = null;
  };
}
