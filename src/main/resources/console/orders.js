// Orders as the console sees them: a page of GET /api/private/open-orders, kept current by the
// feed's orders channel (events are applied in seq order; a status never moves back, a fill
// counts once by tradeId). The in-doubt list, the latest fills with their hops and the
// place->ack points come from the same events. Every collection here is bounded.

import {get, query} from './api.js';
import {badge, between, clock, fill, h, ms, table} from './dom.js';

export const PAGE = 50;
const FINAL_KEPT = 200; // final rows left in view (greyed) until the next page load
const ORDERS_KEPT = 5000; // orders remembered for hops and latency
const FILLS_KEPT = 50;
const LATENCY_KEPT = 10000; // points in the chart's window; past it the oldest go first
const LOOKUPS_IN_FLIGHT = 4;
export const LATENCY_WINDOW_MS = 5 * 60 * 1000;
const RANK = {ACCEPTED: 0, IN_DOUBT: 1, ACKNOWLEDGED: 2, PARTIALLY_FILLED: 3, FILLED: 4, CANCELED: 4, REJECTED: 4, EXPIRED: 4};
const FINAL_EVENT = {OrderCanceled: 'CANCELED', OrderRejected: 'REJECTED', OrderExpired: 'EXPIRED'};

/** Decimal strings as scaled BigInts: sums and comparisons of quantities without floating point. */
const SCALE = 18;
function dec(s) {
  const [i, f = ''] = String(s).split('.');
  return BigInt(i + f.padEnd(SCALE, '0').slice(0, SCALE));
}

export function isFinal(status) {
  return RANK[status] === 4;
}

export class Orders {
  constructor(onChange) {
    this.onChange = onChange;
    this.orders = new Map(); // clientOrderId -> order (the API's shape, plus tradeIds)
    this.view = []; // ids shown, in listing order
    this.inDoubt = new Map();
    this.fills = [];
    this.latency = []; // {at, ms}, oldest first
    this.filter = {symbol: '', strategy: ''};
    this.cursors = []; // cursors of the pages before this one
    this.cursor = null;
    this.nextCursor = null;
    this.laterPages = 0; // orders accepted since the load that belong to later pages
    this.lookups = 0;
  }

  async load(cursor) {
    const page = await get('/api/private/open-orders' + query({...this.filter, limit: PAGE, cursor}));
    this.cursor = cursor || null;
    this.nextCursor = page.nextCursor;
    this.laterPages = 0;
    this.view = page.orders.map((o) => this.remember(o).clientOrderId);
    this.changed();
  }

  first() {
    this.cursors = [];
    return this.load(null);
  }

  next() {
    if (!this.nextCursor) return Promise.resolve();
    this.cursors.push(this.cursor);
    return this.load(this.nextCursor);
  }

  previous() {
    return this.load(this.cursors.pop() || null);
  }

  get pageNumber() {
    return this.cursors.length + 1;
  }

  /** An order from the REST API: it replaces what the events built (it is as new or newer). */
  remember(o) {
    const known = this.orders.get(o.clientOrderId);
    const order = {...o, tradeIds: new Set((o.fills || []).map((f) => f.tradeId))};
    if (known && RANK[known.status] > RANK[order.status]) order.status = known.status;
    order.latencyCounted = known?.latencyCounted;
    this.orders.set(o.clientOrderId, order);
    if (order.status === 'IN_DOUBT') this.inDoubt.set(o.clientOrderId, {at: null, reason: order.reason});
    else this.inDoubt.delete(o.clientOrderId);
    this.latencyPoint(order);
    this.bound();
    return order;
  }

  matches(o) {
    return (!this.filter.symbol || o.symbol === this.filter.symbol) && (!this.filter.strategy || o.strategy === this.filter.strategy);
  }

  /** One orders-channel event. */
  apply(e) {
    const id = e.clientOrderId;
    let o = this.orders.get(id);
    if (e.eventType === 'OrderAccepted') {
      if (!o) {
        o = {clientOrderId: id, venueOrderId: null, symbol: e.symbol, side: e.side, type: e.type, timeInForce: e.timeInForce,
          quantity: e.quantity, price: e.price, status: 'ACCEPTED', executedQty: '0', strategy: e.strategy, reason: null,
          tradeIds: new Set(), timestamps: {received: e.receivedAt, accepted: e.acceptedAt}};
        this.orders.set(id, o);
        if (this.matches(o)) {
          // the listing is oldest accepted first: a new order belongs on the last page, while it has room
          if (this.nextCursor === null && this.view.filter((v) => !isFinal(this.orders.get(v)?.status)).length < PAGE) this.view.push(id);
          else this.laterPages++;
        }
        this.bound();
      }
    } else if (!o) {
      if (e.eventType === 'OrderFilled') this.addFill(e, null);
      if (e.eventType === 'OrderInDoubt') this.inDoubt.set(id, {at: e.at, reason: e.reason, strategy: e.strategy});
      return this.changed();
    } else if (e.eventType === 'OrderInDoubt') {
      this.advance(o, 'IN_DOUBT');
      o.reason = e.reason;
      this.inDoubt.set(id, {at: e.at, reason: e.reason});
    } else if (e.eventType === 'OrderAcknowledged') {
      this.advance(o, 'ACKNOWLEDGED');
      o.venueOrderId = e.venueOrderId;
      o.timestamps = {...o.timestamps, sent: e.sentAt, acknowledged: e.acknowledgedAt};
      if (o.status !== 'IN_DOUBT') this.inDoubt.delete(id);
      this.latencyPoint(o);
    } else if (e.eventType === 'OrderFilled') {
      if (!o.tradeIds.has(e.fill.tradeId)) {
        o.tradeIds.add(e.fill.tradeId);
        const executed = dec(o.executedQty) + dec(e.fill.quantity);
        o.executedQty = fromDec(executed);
        this.advance(o, executed >= dec(o.quantity) ? 'FILLED' : 'PARTIALLY_FILLED');
        o.timestamps = {...o.timestamps, firstFill: o.timestamps.firstFill || e.fill.time};
        this.inDoubt.delete(id);
        this.addFill(e, o);
      }
    } else if (FINAL_EVENT[e.eventType]) {
      this.advance(o, FINAL_EVENT[e.eventType]);
      o.reason = e.reason;
      this.inDoubt.delete(id);
    }
    this.changed();
  }

  advance(o, status) {
    if (RANK[status] >= RANK[o.status] && !isFinal(o.status)) o.status = status;
  }

  addFill(e, o) {
    this.fills.unshift({...e.fill, clientOrderId: e.clientOrderId, strategy: e.strategy});
    if (this.fills.length > FILLS_KEPT) this.fills.length = FILLS_KEPT;
    // an order accepted before the console opened: its timestamps come from GET /order (a few at a time)
    if (!o && this.lookups < LOOKUPS_IN_FLIGHT) {
      this.lookups++;
      get('/api/private/order/' + encodeURIComponent(e.clientOrderId))
        .then((order) => this.remember(order), () => {})
        .finally(() => { this.lookups--; this.changed(); });
    }
  }

  latencyPoint(o) {
    const t = o.timestamps || {};
    const took = between(t.received, t.acknowledged);
    if (took === null || o.latencyCounted) return;
    o.latencyCounted = true;
    const at = Date.parse(t.acknowledged);
    this.latency.push({at, ms: took});
    if (this.latency.length > 1 && this.latency[this.latency.length - 2].at > at) this.latency.sort((a, b) => a.at - b.at);
    if (this.latency.length > LATENCY_KEPT) this.latency.splice(0, this.latency.length - LATENCY_KEPT);
  }

  /** Drops what no view needs any more: old final rows, old orders, latency points past the window. */
  bound() {
    const finals = this.view.filter((id) => isFinal(this.orders.get(id)?.status));
    if (finals.length > FINAL_KEPT) {
      const drop = new Set(finals.slice(0, finals.length - FINAL_KEPT));
      this.view = this.view.filter((id) => !drop.has(id));
    }
    if (this.orders.size > ORDERS_KEPT) {
      const shown = new Set(this.view);
      for (const id of this.orders.keys()) {
        if (this.orders.size <= ORDERS_KEPT) break;
        if (!shown.has(id) && !this.inDoubt.has(id)) this.orders.delete(id);
      }
    }
    const since = Date.now() - LATENCY_WINDOW_MS;
    while (this.latency.length && this.latency[0].at < since) this.latency.shift();
  }

  changed() {
    this.onChange();
  }

  // ---- rendering ----

  /** The open-orders table; rowActions(order) gives the admin's buttons (nothing for a trader). */
  renderOpen(into, rowActions) {
    const rows = this.view.map((id) => this.orders.get(id)).filter(Boolean).map((o) => h('tr',
      {'data-order-id': o.clientOrderId, 'data-status': o.status, class: isFinal(o.status) ? 'final' : ''},
      h('td', {class: 'id'}, o.clientOrderId), h('td', {}, o.symbol), h('td', {}, o.side), h('td', {}, o.type),
      h('td', {class: 'num'}, o.quantity), h('td', {class: 'num'}, o.price ?? 'market'),
      h('td', {'data-testid': 'status'}, badge(o.status)), h('td', {class: 'num'}, o.executedQty), h('td', {}, o.strategy ?? '-'),
      h('td', {}, clock(o.timestamps?.accepted)), h('td', {}, rowActions(o))));
    const later = this.laterPages ? h('p', {class: 'note'}, this.laterPages + ' order(s) accepted since belong on later pages: reload or page on') : null;
    fill(into, table('open orders', ['clientOrderId', 'symbol', 'side', 'type', 'qty', 'price', 'status', 'executed', 'strategy',
      'accepted', ''], rows, 'no open orders' + (this.filter.symbol || this.filter.strategy ? ' matching the filter' : '')), later);
  }

  renderInDoubt(into) {
    const rows = [...this.inDoubt.entries()].map(([id, d]) => {
      const o = this.orders.get(id) || {};
      return [id, o.symbol ?? '-', d.strategy ?? o.strategy ?? '-', clock(d.at), d.reason ?? '-'];
    });
    fill(into, table('in-doubt orders', ['clientOrderId', 'symbol', 'strategy', 'since', 'reason'], rows, 'no order in doubt'));
  }

  renderFills(into) {
    const rows = this.fills.map((f) => {
      const t = this.orders.get(f.clientOrderId)?.timestamps || {};
      return h('tr', {'data-trade-id': f.tradeId}, [f.time ? clock(f.time) : '-', f.clientOrderId, this.orders.get(f.clientOrderId)?.symbol ?? '-',
        f.price, f.quantity, f.strategy ?? '-', ms(between(t.received, t.accepted)), ms(between(t.accepted, t.sent)),
        ms(between(t.sent, t.acknowledged)), ms(between(t.received, f.time))].map((c) => h('td', {}, c)));
    });
    fill(into, table('latest fills', ['time', 'clientOrderId', 'symbol', 'price', 'qty', 'strategy', 'recv→accept', 'accept→sent',
      'sent→ack', 'recv→fill'], rows, 'no fill yet'));
  }
}

function fromDec(v) {
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(SCALE + 1, '0');
  const i = s.slice(0, s.length - SCALE);
  const f = s.slice(s.length - SCALE).replace(/0+$/, '');
  return (neg ? '-' : '') + i + (f ? '.' + f : '');
}
