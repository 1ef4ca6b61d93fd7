// Brook console: three small Web Components that make the server-rendered pages live. The pages
// work without this file; it only polls the console's JSON and fragment endpoints. No framework,
// no build step: this file is served as it is.

const POLL_MS = 1000;

/** Calls `tick` every POLL_MS while the element is in the document and the tab is visible. */
function poll(element, tick) {
  let timer = null;
  let running = false;
  const run = async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      await tick();
    } catch {
      // The broker may be restarting: keep the last figures and try again next tick.
    } finally {
      running = false;
    }
  };
  element.startPolling = () => {
    if (timer === null) timer = setInterval(run, POLL_MS);
    run();
  };
  element.stopPolling = () => {
    clearInterval(timer);
    timer = null;
  };
}

function withParam(src, name, value) {
  const url = new URL(src, location.href);
  url.searchParams.set(name, value);
  return url.toString();
}

/** <brook-live src="/console/api/..."> swaps its content for the server's fragment every second. */
class BrookLive extends HTMLElement {
  connectedCallback() {
    poll(this, async () => {
      const response = await fetch(withParam(this.getAttribute('src'), 'fragment', '1'), { headers: { accept: 'text/html' } });
      if (!response.ok) return;
      const text = await response.text();
      this.innerHTML = text;
      this.dispatchEvent(new CustomEvent('brook-updated', { bubbles: true }));
    });
    this.startPolling();
  }
  disconnectedCallback() {
    this.stopPolling();
  }
}

function formatRate(value) {
  if (value < 10) return value.toFixed(value === 0 ? 0 : 1);
  if (value < 10000) return Math.round(value).toLocaleString('en-US');
  return `${(value / 1000).toFixed(1)}k`;
}

const SVG = 'http://www.w3.org/2000/svg';

/** <brook-throughput src="/console/api/throughput[?topic=t]">: records/s in and out, last two minutes. */
class BrookThroughput extends HTMLElement {
  connectedCallback() {
    this.innerHTML = '<div class="legend"><span class="in">in <b data-now="in">0</b> records/s</span> <span class="out">out <b data-now="out">0</b> records/s</span> <span class="muted">scale <span data-now="max">1</span> records/s, last 2 min</span></div><svg class="chart" viewBox="0 0 600 140" preserveAspectRatio="none" role="img" aria-label="records per second"></svg>';
    poll(this, async () => {
      const response = await fetch(this.getAttribute('src'));
      if (response.ok) this.draw((await response.json()).series);
    });
    this.startPolling();
  }
  disconnectedCallback() {
    this.stopPolling();
  }
  draw(series) {
    const svg = this.querySelector('svg');
    const width = 600;
    const height = 140;
    const max = Math.max(1, ...series.map((p) => Math.max(p.recordsInPerSec, p.recordsOutPerSec)));
    const x = (i) => (series.length < 2 ? 0 : (i / (series.length - 1)) * width);
    const y = (v) => height - 4 - (v / max) * (height - 20);
    const line = (field) => series.map((p, i) => `${x(i).toFixed(1)},${y(p[field]).toFixed(1)}`).join(' ');
    svg.replaceChildren();
    this.querySelector('[data-now="max"]').textContent = formatRate(max);
    for (const [field, cls] of [['recordsInPerSec', 'in'], ['recordsOutPerSec', 'out']]) {
      const polyline = document.createElementNS(SVG, 'polyline');
      polyline.setAttribute('points', line(field));
      polyline.setAttribute('class', cls);
      svg.append(polyline);
    }
    const last = series[series.length - 1];
    this.querySelector('[data-now="in"]').textContent = formatRate(last ? last.recordsInPerSec : 0);
    this.querySelector('[data-now="out"]').textContent = formatRate(last ? last.recordsOutPerSec : 0);
  }
}

/** <brook-tail src="...messages?cursor=...">: while its checkbox is on, appends new records to #messages. */
class BrookTail extends HTMLElement {
  connectedCallback() {
    this.src = this.getAttribute('src');
    poll(this, async () => {
      const response = await fetch(withParam(this.src, 'fragment', '1'));
      if (!response.ok) return;
      const { count, cursor, rowsHtml } = await response.json();
      this.src = withParam(this.src, 'cursor', cursor);
      if (count === 0) return;
      const body = document.querySelector('#messages tbody');
      body.insertAdjacentHTML('beforeend', rowsHtml);
      body.lastElementChild?.scrollIntoView({ block: 'nearest' });
    });
    const toggle = this.querySelector('[data-role="toggle"]');
    toggle.addEventListener('change', () => (toggle.checked ? this.startPolling() : this.stopPolling()));
    this.classList.add('ready');
  }
  disconnectedCallback() {
    this.stopPolling();
  }
}

customElements.define('brook-live', BrookLive);
customElements.define('brook-throughput', BrookThroughput);
customElements.define('brook-tail', BrookTail);
