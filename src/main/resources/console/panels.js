// Renderers of the read-only panels. Each takes the JSON an endpoint answered (or what the feed
// sent) and fills its panel body; none of them reads the network.

import {badge, facts, fill, h, pct, table, time} from './dom.js';

export function renderReadiness(into, ready) {
  const gates = Object.entries(ready.gates || {}).sort(([a], [b]) => a.localeCompare(b));
  fill(into, h('p', {class: 'big'}, ready.ready ? badge('READY', 'ok') : badge('NOT READY', 'bad')),
    table('readiness gates', ['gate', 'status', 'detail'],
      gates.map(([name, g]) => [name, badge(g.status), g.detail ?? '-'])));
}

export function renderTrading(into, ks) {
  fill(into, h('p', {class: 'big', 'data-testid': 'trading-state'}, badge(ks.state)),
    facts([['reason', h('span', {'data-testid': 'trading-reason'}, ks.reason ?? '-')], ['by', ks.by ?? '-'], ['since', time(ks.since)]]));
}

const BREAKER = {0: 'CLOSED', 1: 'HALF_OPEN', 2: 'OPEN'};

/** The venue link's series of the Prometheus page (the only place the link's figures are published). */
export function renderVenue(into, metrics, venueGate) {
  const one = (name) => metrics.has(name) ? metrics.get(name) : null;
  const breaker = one('spark_venue_breaker_state');
  const up = one('spark_venue_user_stream_up');
  const waitCount = one('spark_venue_rate_limit_wait_seconds_count');
  const waitSum = one('spark_venue_rate_limit_wait_seconds_sum');
  fill(into, facts([
    ['venue', venueGate ?? '-'],
    ['circuit breaker', breaker === null ? 'n/a (no HTTP venue)' : badge(BREAKER[breaker] ?? String(breaker))],
    ['breaker transitions', one('spark_venue_breaker_transitions_total') ?? '-'],
    ['rate-limit waits', waitCount === null ? (one('spark_venue_rate_limit_waits_total') ?? '-')
      : waitCount + (waitCount > 0 ? ' (mean ' + (1000 * waitSum / waitCount).toFixed(1) + ' ms)' : '')],
    ['rate-limited answers (429/418)', one('spark_venue_rate_limited_total') ?? '-'],
    ['user-data stream', up === null ? 'n/a (no HTTP venue)' : badge(up === 1 ? 'UP' : 'DOWN', up === 1 ? 'ok' : 'bad')],
    ['user-data stream reconnects', one('spark_venue_user_stream_reconnects_total') ?? '-'],
  ]), h('p', {class: 'note'}, 'From /api/public/metrics/prom, which refreshes every metrics tick (10 s by default).'));
}

/** Sums each spark_venue_* series over its labels: name -> number. */
export function parseVenueMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('spark_venue_')) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!isNaN(v)) out.set(m[1], (out.get(m[1]) || 0) + v);
  }
  return out;
}

function firing(alerts) {
  return Object.entries(alerts || {}).filter(([, a]) => a.firing).map(([sev]) => badge(sev.toUpperCase(), 'bad'));
}

export function renderSlo(into, slo) {
  const rows = [];
  for (const o of slo.slos || []) {
    for (const x of [o, ...(o.strategies || [])]) {
      const burns = x.burnRates || {};
      rows.push(h('tr', {class: x === o ? '' : 'sub'}, [x.slo, x.strategy ?? (x === o ? 'all' : '-'), pct(x.objective),
        pct(x.compliance), pct(x.errorBudgetRemaining), ['5m', '30m', '1h', '6h'].map((w) => burns[w] === undefined ? '-' : burns[w].toFixed(2)).join(' / '),
        firing(x.alerts).length ? firing(x.alerts) : badge('none', 'ok')].map((c) => h('td', {}, c))));
    }
  }
  const recent = (slo.recentAlerts || []).slice(0, 10).map((a) => [time(a.at), a.slo, a.strategy ?? 'all', a.severity,
    a.firing ? badge('FIRING', 'bad') : badge('CLEARED', 'ok')]);
  fill(into, h('p', {}, slo.withinSlo ? badge('WITHIN SLO', 'ok') : badge('OUTSIDE SLO', 'bad'), ' evaluated ', time(slo.evaluatedAt)),
    table('SLOs', ['SLO', 'strategy', 'objective', 'compliance', 'budget left', 'burn 5m / 30m / 1h / 6h', 'alerts'], rows, 'no SLO enabled'),
    h('h3', {}, 'Recent alert transitions'), table('recent alerts', ['at', 'SLO', 'strategy', 'severity', 'state'], recent, 'none'));
}

export function renderChaos(into, chaos) {
  const s = chaos.inForce || {};
  const on = Object.entries(s).filter(([k, v]) => k !== 'scope' && v > 0);
  const scope = s.scope || {};
  fill(into, h('p', {class: 'big', 'data-testid': 'chaos-state'}, on.length ? badge('INJECTING', 'bad') : badge('OFF', 'ok')),
    facts([['in force', on.length ? on.map(([k, v]) => k + '=' + v).join(', ') : 'nothing'], ['source', chaos.source ?? '-'],
      ['scope', [...(scope.routes || []), ...(scope.symbols || [])].join(', ') || 'everywhere'],
      ['last recovery', chaos.recovery ? 'cleared ' + time(chaos.recovery.clearedAt) + (chaos.recovery.tookMs === null
        ? ', not recovered yet' : ', recovered in ' + chaos.recovery.tookMs + ' ms') : '-']]),
    h('h3', {}, 'Audit (newest first)'), table('chaos audit', ['at', 'by', 'action', 'reason'],
      (chaos.audit || []).slice(-10).reverse().map((a) => [time(a.at), a.by ?? '-', a.action ?? '-', a.reason ?? '-']), 'no change yet'));
}

export function renderQueue(into, stats, deadLetters) {
  fill(into, facts([['ready', stats.ready], ['in flight', stats.inFlight], ['dead letters', stats.deadLettered],
    ['oldest ready', (stats.oldestReadyAgeSeconds ?? 0) + ' s']]),
  h('h3', {}, 'Dead letters'), deadLetters ? table('dead letters', ['job', 'enqueued', 'deliveries', 'last error'],
    deadLetters.jobs.map((j) => [j.job, time(j.enqueuedAt), j.deliveries, j.lastError ?? '-']), 'none')
    : h('p', {class: 'empty'}, 'loading'));
}
