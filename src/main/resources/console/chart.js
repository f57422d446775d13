// Place->ack latency over the last minutes, drawn as SVG with DOM calls (no library, no inline
// style): per 10-s bucket the median and the maximum, on a linear axis scaled to the data.

import {fill, h, ms, s} from './dom.js';

const W = 640;
const H = 180;
const PAD = {l: 56, r: 12, t: 10, b: 24};
const BUCKET_MS = 10000;

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** points: [{at, ms}] oldest first, all within windowMs of now. */
export function renderLatency(into, points, windowMs) {
  const now = Date.now();
  const start = now - windowMs;
  const buckets = new Map();
  for (const p of points) {
    const b = Math.floor((p.at - start) / BUCKET_MS);
    if (b < 0) continue;
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b).push(p.ms);
  }
  const series = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, v]) => {
    v.sort((x, y) => x - y);
    return {x: start + (b + 0.5) * BUCKET_MS, p50: quantile(v, 0.5), max: v[v.length - 1], n: v.length};
  });
  const all = points.map((p) => p.ms).sort((a, b) => a - b);
  const top = Math.max(1, ...series.map((b) => b.max)) * 1.1;
  const x = (t) => PAD.l + ((t - start) / windowMs) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  const line = (key) => series.map((b) => x(b.x).toFixed(1) + ',' + y(b[key]).toFixed(1)).join(' ');
  const ticks = [0, 0.5, 1].map((f) => top * f);
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
    'aria-label': 'place to acknowledgement latency, last ' + windowMs / 60000 + ' minutes'},
  s('rect', {x: PAD.l, y: PAD.t, width: W - PAD.l - PAD.r, height: H - PAD.t - PAD.b, class: 'plot'}),
  ticks.map((v) => [s('line', {x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid'}),
    s('text', {x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis'}, ms(v))]),
  [0, windowMs / 2, windowMs].map((d) => s('text', {x: x(start + d), y: H - 6, 'text-anchor': 'middle', class: 'axis'},
    d === windowMs ? 'now' : '-' + ((windowMs - d) / 60000) + ' min')),
  series.length ? [s('polyline', {points: line('max'), class: 'max'}), s('polyline', {points: line('p50'), class: 'p50'}),
    series.map((b) => s('circle', {cx: x(b.x), cy: y(b.p50), r: 2.5, class: 'p50'}))] : []);
  const summary = all.length
    ? `${all.length} acknowledged in the last ${windowMs / 60000} min: median ${ms(quantile(all, 0.5))}, p95 ${ms(quantile(all, 0.95))}, max ${ms(all[all.length - 1])}`
    : 'no acknowledgement in the last ' + windowMs / 60000 + ' minutes';
  fill(into, h('p', {class: 'legend'}, h('span', {class: 'key p50'}, 'median'), ' ', h('span', {class: 'key max'}, 'max'),
    ' per 10 s; ', summary), svg);
}
