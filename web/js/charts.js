// Small live charts in SVG, without a charting library: the numbers of the
// last minutes turned into points (pure functions, tested in node), and
// the DOM that draws them (createChartsView).
//
// A chart's SVG has a fixed viewBox and stretches to its card's width
// (preserveAspectRatio none; the strokes keep their width), so it reads
// the same at phone width as on a desktop.

export const WINDOW_MS = 10 * 60 * 1000;  // what the charts show
export const BUCKET_MS = 5000;            // one point per 5 seconds
export const BUCKETS = WINDOW_MS / BUCKET_MS;
export const MAX_SAMPLES = 4000;          // pushes kept (older ones go)

const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 300;                            // viewBox width
const H = 80;                             // viewBox height

// Keep a sample {t, completed, failed, queued, running}; drop those older
// than the window (one older sample stays: the start of the first rate)
// and past MAX_SAMPLES.  Returns the array, changed in place.
export function addSample(samples, s) {
  const last = samples[samples.length - 1];
  if (last !== undefined && s.t < last.t)
    return samples;                       // the clock went back: ignore
  samples.push(s);
  let drop = 0;
  while (drop + 1 < samples.length && samples[drop + 1].t < s.t - WINDOW_MS)
    drop++;
  drop = Math.max(drop, samples.length - MAX_SAMPLES);
  if (drop > 0)
    samples.splice(0, drop);
  return samples;
}

// The samples as BUCKETS points, the last one ending at now (each bucket
// takes the samples of (its start, its end]): completed and failed per
// second within each bucket (from the counters' increases; a counter that
// went down, a coordinator that lost its numbers, counts nothing), queued
// and running as the highest value the bucket saw, the one it started
// with included, so that a queue filled and emptied within five seconds
// still shows (null before the first sample).
export function buckets(samples, now) {
  const start = now - WINDOW_MS + 1;
  const out = {
    completed: new Array(BUCKETS).fill(0),
    failed: new Array(BUCKETS).fill(0),
    queued: new Array(BUCKETS).fill(null),
    running: new Array(BUCKETS).fill(null),
    now: {},              // the gauges' last values, for the legends
  };
  const perSecond = 1000 / BUCKET_MS;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    const k = Math.floor((b.t - start) / BUCKET_MS);
    if (k < 0 || k >= BUCKETS)
      continue;
    out.completed[k] += Math.max(0, b.completed - a.completed) * perSecond;
    out.failed[k] += Math.max(0, b.failed - a.failed) * perSecond;
  }
  let j = 0, cur = null;
  for (let k = 0; k < BUCKETS; k++) {
    const end = start + (k + 1) * BUCKET_MS;
    let q = cur?.queued ?? null, r = cur?.running ?? null;
    while (j < samples.length && samples[j].t < end) {
      cur = samples[j++];
      q = Math.max(q ?? 0, cur.queued);
      r = Math.max(r ?? 0, cur.running);
    }
    out.queued[k] = q;
    out.running[k] = r;
  }
  if (cur !== null)
    out.now = { queued: cur.queued, running: cur.running };
  return out;
}

// A round upper bound for the y axis: 1, 2, 5, 10, 20, 50 ...
export function niceMax(values) {
  let max = 0;
  for (const v of values)
    if (v !== null && v > max)
      max = v;
  let step = 1;
  for (;;) {
    for (const m of [1, 2, 5])
      if (max <= m * step)
        return m * step;
    step *= 10;
  }
}

// The SVG path of values (null: a gap) on a chart whose y axis ends at max.
export function pathOf(values, max) {
  const dx = W / (values.length - 1 || 1);
  let d = '', pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = (i * dx).toFixed(1);
    const y = (H - (v / max) * H).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x} ${y} `;
    pen = true;
  });
  return d.trim();
}

// A number for a legend: 0, 0.4, 12, 1.2k.
export function formatRate(v) {
  if (v === null)
    return '–';
  if (v >= 1000)
    return `${(v / 1000).toFixed(1)}k`;
  if (v >= 10 || Number.isInteger(v))
    return String(Math.round(v));
  return v.toFixed(1);
}

// The charts the view draws, from buckets(): each a title, a unit and its
// lines (the key in buckets(), a label, a class for the colour).
export const CHARTS = [
  { id: 'throughput', title: 'Tasks per second', lines: [
    { key: 'completed', label: 'completed', cls: 'line-ok' },
    { key: 'failed', label: 'failed', cls: 'line-bad' },
  ] },
  { id: 'queue', title: 'Queue and running', lines: [
    { key: 'queued', label: 'queued', cls: 'line-queue' },
    { key: 'running', label: 'running', cls: 'line-run' },
  ] },
];

function svgEl(doc, name, attrs) {
  const el = doc.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs))
    el.setAttribute(k, v);
  return el;
}

// The charts' card, inserted after `after` (or at the end of `parent`);
// update(points) redraws every chart.
export function createChartsView(doc, { parent = doc.querySelector('main'),
  after = doc.querySelector('.area-counts') } = {}) {
  const card = doc.createElement('section');
  card.className = 'card area-charts';
  card.setAttribute('aria-labelledby', 'h-charts');
  const h = doc.createElement('h2');
  h.id = 'h-charts';
  h.textContent = 'Last 10 minutes';
  card.append(h);
  const charts = new Map();
  for (const c of CHARTS) {
    const fig = doc.createElement('figure');
    fig.className = 'chart';
    fig.dataset.chart = c.id;
    const cap = doc.createElement('figcaption');
    const title = doc.createElement('span');
    title.className = 'chart-title';
    title.textContent = c.title;
    cap.append(title);
    const legend = new Map();
    for (const l of c.lines) {
      const item = doc.createElement('span');
      item.className = `legend ${l.cls}`;
      item.dataset.line = l.key;
      cap.append(item);
      legend.set(l.key, item);
    }
    const svg = svgEl(doc, 'svg', { viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none', role: 'img', 'aria-label': c.title });
    svg.append(svgEl(doc, 'line', { x1: 0, y1: H, x2: W, y2: H,
      class: 'axis' }));
    const paths = new Map();
    for (const l of c.lines) {
      const p = svgEl(doc, 'path', { class: l.cls, d: '',
        'vector-effect': 'non-scaling-stroke' });
      p.dataset.line = l.key;
      svg.append(p);
      paths.set(l.key, p);
    }
    const max = doc.createElement('span');
    max.className = 'chart-max';
    fig.append(cap, svg, max);
    card.append(fig);
    charts.set(c.id, { fig, legend, paths, max });
  }
  if (after && after.parentNode)
    after.after(card);
  else if (parent)
    parent.append(card);

  return {
    card,
    update(points) {
      for (const c of CHARTS) {
        const ch = charts.get(c.id);
        const all = c.lines.flatMap((l) => points[l.key]);
        const max = niceMax(all);
        let peak = 0;
        for (const l of c.lines) {
          const vals = points[l.key];
          ch.paths.get(l.key).setAttribute('d', pathOf(vals, max));
          const now = points.now?.[l.key] ?? vals[vals.length - 1];
          ch.legend.get(l.key).textContent = `${l.label} ${formatRate(now)}`;
          for (const v of vals)
            if (v !== null && v > peak)
              peak = v;
        }
        ch.max.textContent = `max ${max}`;
        ch.fig.dataset.peak = String(peak);
      }
    },
  };
}
