// The console: sign-in, the panels, the feed, the polling of what the feed does not carry, and
// (for an admin key only) the actions. Plain ES modules, no library: see docs/console.md.

import {ApiError, call, get, query, session} from './api.js';
import {act, renderLog} from './actions.js';
import {renderLatency} from './chart.js';
import {fill, h, panel} from './dom.js';
import {Feed} from './feed.js';
import {LATENCY_WINDOW_MS, Orders, isFinal} from './orders.js';
import {parseVenueMetrics, renderChaos, renderQueue, renderReadiness, renderSlo, renderTrading, renderVenue} from './panels.js';

// what the feed does not push is polled; the metrics page itself only changes every metrics tick
const POLL_MS = {ready: 2000, slo: 5000, chaos: 5000, venue: 10000, deadLetters: 10000, trading: 15000, chart: 2000};
const SYSTEM_KEPT = 20;

const $ = (id) => document.getElementById(id);
const timers = [];
let feed = null;

function showSignIn(message) {
  $('sign-in').hidden = false;
  $('main').hidden = true;
  $('who').hidden = true;
  $('sign-in-error').textContent = message || '';
  $('api-key').focus();
}

async function signIn(key) {
  session.save(key);
  try {
    await get('/api/private/kill-switch');
  } catch (e) {
    session.clear();
    showSignIn(e instanceof ApiError && e.status === 401 ? 'That key is not accepted (401 ' + e.code + ').' : 'Sign-in failed: ' + e.message);
    return;
  }
  start();
}

/** The key's role, as the server decides it: the chaos endpoints answer only an admin key. */
async function role() {
  try {
    await get('/api/private/chaos');
    return 'admin';
  } catch (e) {
    return 'trader';
  }
}

/** Runs fn now and every ms; the panel's status line says when it last worked or why it did not. */
function every(p, ms, fn) {
  const run = async () => {
    try {
      await fn();
      p.status.textContent = 'updated ' + new Date().toISOString().slice(11, 19) + 'Z';
      p.status.classList.remove('error');
    } catch (e) {
      p.status.textContent = 'refresh failed: ' + e.message + '; showing the last answer';
      p.status.classList.add('error');
    }
  };
  run();
  timers.push(setInterval(run, ms));
  return run;
}

/** Re-renders without losing the keyboard focus of a control that is rebuilt. */
function keepingFocus(render) {
  const key = document.activeElement?.getAttribute?.('data-focus-key');
  render();
  if (!key) return;
  for (const el of document.querySelectorAll('[data-focus-key]')) {
    if (el.getAttribute('data-focus-key') === key) return el.focus();
  }
}

async function start() {
  const admin = (await role()) === 'admin';
  $('sign-in').hidden = true;
  $('who').hidden = false;
  $('role').textContent = admin ? 'admin' : 'trader';
  const main = fill($('main'));
  main.hidden = false;

  const P = {
    trading: panel('trading', 'Trading state'),
    ready: panel('readiness', 'Readiness gates'),
    orders: panel('orders', 'Open orders', true),
    doubt: panel('in-doubt', 'In-doubt orders'),
    chart: panel('latency', 'Place → ack latency'),
    fills: panel('fills', 'Latest fills', true),
    venue: panel('venue', 'Venue link'),
    queue: panel('queue', 'Signal queue'),
    slo: panel('slo', 'SLOs', true),
  };
  if (admin) {
    P.chaos = panel('chaos', 'Chaos');
    P.log = panel('actions', 'Actions from this tab');
  }
  main.append(...Object.values(P).map((p) => p.section));

  // ---- trading state ----
  const tradingBody = h('div');
  const systemEvents = [];
  const systemList = h('div');
  P.trading.body.append(tradingBody, h('h3', {}, 'System events'), systemList);
  const renderSystem = () => fill(systemList, systemEvents.length === 0 ? h('p', {class: 'empty'}, 'none since sign-in')
    : h('ol', {class: 'log'}, systemEvents.map((e) => h('li', {}, h('span', {class: 'at'}, (e.at || '').slice(11, 19)), ' ', e.type, ' ',
      e.to ? e.from + ' → ' + e.to : e.limit ?? e.strategy ?? e.slo ?? '', e.by ? ' by ' + e.by : '', e.reason ? ': ' + e.reason : ''))));
  renderSystem();
  const refreshTrading = every(P.trading, POLL_MS.trading, async () => renderTrading(tradingBody, await get('/api/private/kill-switch')));
  if (admin) {
    const stateSelect = h('select', {id: 'ks-state'}, ['HALTED', 'REDUCING', 'ACTIVE'].map((s) => h('option', {value: s}, s)));
    const cancelOpen = h('input', {type: 'checkbox', id: 'ks-cancel-open'});
    P.trading.body.append(h('form', {class: 'admin', 'data-admin': 'kill-switch', onsubmit: async (e) => {
      e.preventDefault();
      const state = stateSelect.value;
      const body = await act('Set trading state ' + state, 'trading state → ' + state + (cancelOpen.checked ? ', cancel every open order' : ''),
        (reason) => call('POST', '/api/private/kill-switch', {state, reason, cancelOpen: cancelOpen.checked}),
        state === 'ACTIVE' ? 'New orders are taken again.' : state === 'HALTED' ? 'No new order is taken while HALTED.' : 'Only orders that reduce a position are taken.');
      if (body) renderTrading(tradingBody, body);
    }}, h('label', {for: 'ks-state'}, 'Kill switch'), stateSelect, h('label', {class: 'check'}, cancelOpen, ' cancel open orders'),
    h('button', {type: 'submit', class: 'danger', id: 'ks-apply'}, 'Set trading state…')));
  }

  // ---- readiness ----
  let venueGate = null;
  every(P.ready, POLL_MS.ready, async () => {
    let ready;
    try {
      ready = await get('/api/public/ready');
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 503 || !e.body?.gates) throw e;
      ready = e.body; // 503 is the answer "not ready", with the gates
    }
    renderReadiness(P.ready.body, ready);
    venueGate = ready.gates?.venue?.detail ?? null;
  });

  // ---- orders, in-doubt, fills, latency ----
  let pending = null;
  const orders = new Orders(() => {
    if (!pending) pending = setTimeout(() => { pending = null; renderOrders(); }, 100);
  });
  const symbol = h('input', {id: 'f-symbol', name: 'symbol', size: 10, spellcheck: 'false', placeholder: 'any'});
  const strategy = h('input', {id: 'f-strategy', name: 'strategy', size: 12, spellcheck: 'false', placeholder: 'any'});
  const pageLabel = h('span', {class: 'page', 'aria-live': 'polite'});
  const previous = h('button', {type: 'button', onclick: () => loadOrders(() => orders.previous())}, '← Previous');
  const next = h('button', {type: 'button', onclick: () => loadOrders(() => orders.next())}, 'Next →');
  const reload = h('button', {type: 'button', onclick: () => loadOrders(() => orders.load(orders.cursor))}, 'Reload');
  const ordersTable = h('div');
  const loadOrders = async (how) => {
    try {
      await how();
      P.orders.status.textContent = 'loaded ' + new Date().toISOString().slice(11, 19) + 'Z; live from the feed';
      P.orders.status.classList.remove('error');
    } catch (e) {
      P.orders.status.textContent = 'load failed: ' + e.message;
      P.orders.status.classList.add('error');
    }
  };
  const applyFilter = (e) => {
    e?.preventDefault();
    orders.filter = {symbol: symbol.value.trim(), strategy: strategy.value.trim()};
    loadOrders(() => orders.first());
  };
  const filterForm = h('form', {class: 'filters', onsubmit: applyFilter},
    h('label', {for: 'f-symbol'}, 'Symbol'), symbol, h('label', {for: 'f-strategy'}, 'Strategy'), strategy,
    h('button', {type: 'submit'}, 'Apply'),
    h('button', {type: 'button', onclick: () => { symbol.value = ''; strategy.value = ''; applyFilter(); }}, 'Clear'),
    h('span', {class: 'pager'}, reload, previous, pageLabel, next));
  P.orders.body.append(filterForm);
  if (admin) {
    P.orders.body.append(h('div', {class: 'admin', 'data-admin': 'mass-cancel'}, h('button', {type: 'button', class: 'danger', id: 'mass-cancel',
      onclick: async () => {
        const f = {symbol: symbol.value.trim(), strategy: strategy.value.trim()};
        const what = f.symbol || f.strategy ? 'every open order with' + (f.symbol ? ' symbol ' + f.symbol : '') + (f.strategy ? ' strategy ' + f.strategy : '')
          : 'EVERY open order (no symbol or strategy given)';
        const body = await act('Mass cancel', what, () => call('DELETE', '/api/private/open-orders' + query(f)),
          'DELETE /api/private/open-orders takes no reason: it is kept in this tab\'s action log only.');
        if (body) body.orders.forEach((o) => orders.remember(o));
        renderOrders();
      }}, 'Cancel matching open orders…')));
  }
  P.orders.body.append(ordersTable);
  const rowActions = (o) => !admin || isFinal(o.status) ? '' : h('button', {type: 'button', class: 'danger small', 'data-admin': 'cancel',
    'data-focus-key': 'cancel:' + o.clientOrderId, 'aria-label': 'Cancel order ' + o.clientOrderId, onclick: async () => {
      const body = await act('Cancel order', 'order ' + o.clientOrderId + ' (' + o.symbol + ' ' + o.side + ' ' + o.quantity + ')',
        () => call('DELETE', '/api/private/order/' + encodeURIComponent(o.clientOrderId)),
        'DELETE /api/private/order takes no reason: it is kept in this tab\'s action log only.');
      if (body) orders.remember(body);
      renderOrders();
    }}, 'Cancel…');
  function renderOrders() {
    keepingFocus(() => orders.renderOpen(ordersTable, rowActions));
    pageLabel.textContent = ' page ' + orders.pageNumber + ' ';
    previous.disabled = orders.pageNumber === 1;
    next.disabled = !orders.nextCursor;
    orders.renderInDoubt(P.doubt.body);
    orders.renderFills(P.fills.body);
  }
  const drawChart = () => {
    orders.bound();
    renderLatency(P.chart.body, orders.latency, LATENCY_WINDOW_MS);
  };
  timers.push(setInterval(drawChart, POLL_MS.chart));
  drawChart();
  P.doubt.status.textContent = 'from the open orders loaded and the feed';
  P.fills.status.textContent = 'from the feed since sign-in';

  // ---- venue, queue, SLO, chaos ----
  every(P.venue, POLL_MS.venue, async () => renderVenue(P.venue.body, parseVenueMetrics(await get('/api/public/metrics/prom')), venueGate));
  let queueStats = null;
  let deadLetters = null;
  const drawQueue = () => queueStats && renderQueue(P.queue.body, queueStats, deadLetters);
  const refreshQueue = every(P.queue, POLL_MS.deadLetters, async () => {
    [queueStats, deadLetters] = await Promise.all([get('/api/private/queue/stats'), get('/api/private/queue/dead-letters' + query({limit: 20}))]);
    drawQueue();
  });
  const refreshSlo = every(P.slo, POLL_MS.slo, async () => renderSlo(P.slo.body, await get('/api/private/slo')));
  if (admin) {
    const chaosBody = h('div');
    P.chaos.body.append(chaosBody, h('div', {class: 'admin', 'data-admin': 'chaos-off'}, h('button', {type: 'button', class: 'danger', id: 'chaos-off',
      onclick: async () => {
        const body = await act('Chaos off', 'every chaos setting to 0', (reason) => call('POST', '/api/private/chaos/off', {reason}));
        if (body) renderChaos(chaosBody, body);
      }}, 'Chaos off…')));
    every(P.chaos, POLL_MS.chaos, async () => renderChaos(chaosBody, await get('/api/private/chaos')));
    renderLog(P.log.body);
  }

  // ---- the feed ----
  const feedStatus = $('feed-status');
  feed = new Feed(['orders', 'system', 'queue'], (msg) => {
    if (msg.channel === 'orders') orders.apply(msg.event);
    else if (msg.channel === 'queue') {
      queueStats = msg;
      drawQueue();
    } else if (msg.channel === 'system') {
      systemEvents.unshift(msg);
      if (systemEvents.length > SYSTEM_KEPT) systemEvents.length = SYSTEM_KEPT;
      renderSystem();
      if (msg.type === 'trading_state_changed') renderTrading(tradingBody, {state: msg.to, reason: msg.reason, by: msg.by, since: msg.at});
      if (msg.type === 'slo_alert') refreshSlo();
    }
  }, (st) => {
    feedStatus.textContent = st.text;
    feedStatus.className = 'feed ' + st.state;
    feedStatus.setAttribute('data-reconnects', String(st.reconnects));
    if (st.state === 'live' && st.again) {
      // system and queue events of the gap are not replayed: read them again; without a seq, the orders too
      refreshTrading();
      refreshQueue();
      if (st.resumeFrom === null) loadOrders(() => orders.load(orders.cursor));
    }
  });
  feed.start();
  loadOrders(() => orders.first());
}

$('sign-in-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = $('api-key').value.trim();
  $('api-key').value = '';
  if (key) signIn(key);
});
$('sign-out').addEventListener('click', () => {
  if (feed) feed.stop();
  timers.forEach(clearInterval);
  session.clear();
  location.reload();
});
if (session.key()) signIn(session.key());
else showSignIn();
