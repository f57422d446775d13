// Building the page without innerHTML: every value from the server (orders carry client-chosen
// strings, reasons are free text) becomes a text node or a DOM attribute, never markup.

/** h('td', {class: 'num'}, 'text', node, ...): attributes set with setAttribute, children as text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** The SVG twin of h (for the chart). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A panel: a titled section with a body and a status line for its last refresh. */
export function panel(id, title, wide) {
  const body = h('div', {class: 'body'});
  const status = h('p', {class: 'panel-status', 'aria-live': 'polite'});
  const heading = h('h2', {id: id + '-title'}, title);
  const section = h('section', {id, class: wide ? 'panel wide' : 'panel', 'aria-labelledby': id + '-title', 'data-panel': id},
    h('div', {class: 'panel-head'}, heading, status), body);
  return {section, body, status, heading};
}

/** A table of rows (arrays of cells: strings or nodes). */
export function table(caption, headers, rows, empty) {
  if (rows.length === 0) return h('p', {class: 'empty'}, empty || 'none');
  return h('div', {class: 'scroll'}, h('table', {},
    h('caption', {class: 'sr-only'}, caption),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, rows.map((r) => r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

export function badge(text, kind) {
  return h('span', {class: 'badge ' + (kind || String(text).toLowerCase())}, text);
}

/** Definition list of [term, value] pairs. */
export function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined ? '-' : v)]));
}

export function time(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function clock(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toISOString().slice(11, 23);
}

/** Milliseconds between two ISO times (sub-millisecond digits kept), or null. */
export function between(from, to) {
  if (!from || !to) return null;
  return isoMillis(to) - isoMillis(from);
}

/** ISO time to milliseconds with the fraction past the millisecond kept (Date.parse drops it). */
export function isoMillis(iso) {
  const m = /\.(\d+)Z$/.exec(iso);
  const base = Date.parse(iso.replace(/\.\d+Z$/, 'Z'));
  return m ? base + Number('0.' + m[1]) * 1000 : base;
}

export function ms(v) {
  if (v === null || v === undefined || isNaN(v)) return '-';
  return v < 10 ? v.toFixed(2) + ' ms' : v < 1000 ? v.toFixed(1) + ' ms' : (v / 1000).toFixed(2) + ' s';
}

export function pct(v) {
  return v === null || v === undefined ? '-' : (v * 100).toFixed(2) + '%';
}
