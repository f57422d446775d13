// The WebSocket feed as docs/feed.md asks a browser to use it: a single-use token from
// POST /api/private/ws-token (browsers cannot set headers on a WebSocket), then
// /ws/feed?channels=..&token=..; after any close, a new token and from=<last seq received>, so
// the orders channel resumes with no gap and no duplicate (a chaos flap closes with 4003). Only the
// orders channel resumes: after a reconnect the app re-reads what system and queue events carry.

import {call} from './api.js';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

export class Feed {
  /** onMessage(msg) for every non-control message; onStatus({state, text}) on every change. */
  constructor(channels, onMessage, onStatus) {
    this.channels = channels;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.lastSeq = null;
    this.reconnects = 0;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, 'signed out');
    this.ws = null;
  }

  async connect() {
    let token;
    try {
      token = (await call('POST', '/api/private/ws-token')).token;
    } catch (e) {
      this.retry('token refused: ' + e.message);
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams({channels: this.channels.join(','), token});
    if (this.lastSeq !== null) params.set('from', String(this.lastSeq));
    const resumeFrom = this.lastSeq;
    const ws = new WebSocket(scheme + '//' + location.host + '/ws/feed?' + params);
    this.ws = ws;
    ws.onmessage = (m) => this.receive(m.data, resumeFrom);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.stopped) this.retry('closed ' + e.code + (e.reason ? ' (' + e.reason + ')' : ''));
    };
  }

  receive(data, resumeFrom) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg.channel === 'control') {
      if (msg.type === 'welcome') {
        const again = this.attempt > 0;
        if (again) this.reconnects++;
        this.attempt = 0;
        this.onStatus({state: 'live', reconnects: this.reconnects, again, resumeFrom,
          text: again ? 'feed: reconnected at ' + new Date().toISOString().slice(11, 19) + 'Z, resumed after seq ' + resumeFrom
            + ' (' + this.reconnects + ' reconnect' + (this.reconnects === 1 ? '' : 's') + ')' : 'feed: live'});
      }
      return;
    }
    if (msg.channel === 'orders') {
      // a resume delivers seq > from exactly once; the guard only makes a second tab-level replay harmless
      if (this.lastSeq !== null && msg.seq <= this.lastSeq) return;
      this.lastSeq = msg.seq;
    }
    this.onMessage(msg);
  }

  retry(why) {
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.onStatus({state: 'down', reconnects: this.reconnects,
      text: 'feed: ' + why + '; reconnecting in ' + (wait / 1000) + ' s' + (this.lastSeq !== null ? ' from seq ' + this.lastSeq : '')});
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
