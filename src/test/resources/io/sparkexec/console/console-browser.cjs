// ConsoleBrowserIT's browser half: headless Chromium driven by playwright-core against the real jar.
// Prints "OK <check> <figures>" per check and exits 0, or prints "ERROR ..." and exits 1.
// argv: playwright-core dir, chromium, base URL, admin key, trader key, screenshot dir.
const [moduleDir, chromiumPath, base, adminKey, traderKey, shots] = process.argv.slice(2);
const {chromium} = require(moduleDir);
const path = require('path');

const problems = []; // CSP violations and uncaught page errors, from every page
function check(ok, name, detail) {
  if (!ok) throw new Error(name + (detail ? ': ' + detail : ''));
  console.log('OK ' + name + (detail ? ' ' + detail : ''));
}

async function api(key, method, p, body) {
  const headers = {'X-API-Key': key};
  if (body) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + p, {method, headers, body: body ? JSON.stringify(body) : undefined});
  return {status: r.status, body: await r.json().catch(() => null)};
}
const place = (extra) => api(traderKey, 'POST', '/api/private/order',
  {symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', ...extra});
// a BUY far below the market rests until canceled
const resting = (strategy) => place({type: 'LIMIT', price: '10000', strategy});
const row = (page, id) => page.locator(`tr[data-order-id="${id}"]`);

/** Tabs through the page from the top; the ids (or labels) of every control the keyboard reaches. */
async function tabReach(page) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const seen = new Set();
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => { const e = document.activeElement; return e ? e.id || e.getAttribute('aria-label') || e.textContent.trim() : ''; });
    if (seen.has(at) && at === [...seen][0]) break; // wrapped around
    seen.add(at);
  }
  return seen;
}

async function signIn(browser, key, viewport) {
  const context = await browser.newContext({viewport});
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  await page.goto(base + '/console');
  // keyboard only: the key field has the focus on arrival, Enter submits
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'api-key');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('role').textContent !== '');
  await page.waitForFunction(() => document.getElementById('feed-status').textContent.startsWith('feed: live'));
  await page.locator('#orders .panel-status').filter({hasText: 'loaded'}).waitFor();
  return page;
}

/** Opens the confirmation of an action, checks an empty reason is refused, then confirms with `reason`. */
async function confirmWith(page, opener, reason) {
  await page.click(opener);
  await page.locator('#confirm').waitFor({state: 'visible'});
  check(await page.evaluate(() => document.activeElement.id) === 'confirm-reason', 'dialog-focus', 'the reason field has the focus');
  await page.click('#confirm-ok');
  check(await page.locator('#confirm').isVisible(), 'reason-required', 'an empty reason leaves the dialog open');
  await page.fill('#confirm-reason', reason);
  await page.click('#confirm-ok');
  await page.locator('#confirm').waitFor({state: 'hidden'});
}

async function noOverflow(page, w, h) {
  await page.setViewportSize({width: w, height: h});
  const m = await page.evaluate(() => ({sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('.panel')].filter((p) => p.getBoundingClientRect().right > document.documentElement.clientWidth).length}));
  check(m.sw <= m.cw && m.wide === 0, 'layout-' + w + 'x' + h, `scrollWidth ${m.sw} <= ${m.cw}, panels past the edge: ${m.wide}`);
  await page.screenshot({path: path.join(shots, `overview-${w}x${h}.png`), fullPage: true});
}

(async () => {
  const browser = await chromium.launch({executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage']});
  try {
    // ---- a wrong key stays on the sign-in, with the reason ----
    const stranger = await (await browser.newContext()).newPage();
    await stranger.goto(base + '/console');
    await stranger.fill('#api-key', 'not-a-key');
    await stranger.press('#api-key', 'Enter');
    await stranger.locator('#sign-in-error').filter({hasText: '401'}).waitFor({timeout: 5000});
    check(await stranger.locator('#main').isHidden() && await stranger.evaluate(() => sessionStorage.length) === 0, 'wrong-key-refused',
      JSON.stringify(await stranger.textContent('#sign-in-error')));

    // ---- trader: sees the gateway, no admin control ----
    const trader = await signIn(browser, traderKey, {width: 1280, height: 800});
    check(await trader.textContent('#role') === 'trader', 'trader-signed-in');
    const adminControls = await trader.locator('[data-admin], #chaos, #actions').count();
    const adminButtons = await trader.getByRole('button', {name: /cancel…|chaos off|set trading state|cancel matching/i}).count();
    check(adminControls === 0 && adminButtons === 0, 'trader-no-admin-control', `${adminControls} admin elements, ${adminButtons} admin buttons`);
    const stored = await trader.evaluate(() => ({session: Object.keys(sessionStorage), local: localStorage.length, cookie: document.cookie}));
    check(stored.session.length === 1 && stored.local === 0 && stored.cookie === '' && !trader.url().includes(traderKey),
      'key-in-session-storage-only', JSON.stringify(stored) + ' url ' + trader.url());

    const placed = await place({strategy: 'console-trader'});
    check(placed.status === 200 || placed.status === 201, 'api-order-placed', 'status ' + placed.status);
    const answered = Date.now();
    await row(trader, placed.body.clientOrderId).waitFor({timeout: 1000});
    const appeared = Date.now() - answered;
    check(true, 'order-appears-within-1s', `${appeared} ms after the API answered`);
    await trader.locator(`tr[data-order-id="${placed.body.clientOrderId}"][data-status="FILLED"]`).waitFor({timeout: 5000});
    check(true, 'order-moves-to-filled', placed.body.clientOrderId);

    // ---- admin ----
    const admin = await signIn(browser, adminKey, {width: 1280, height: 800});
    check(await admin.textContent('#role') === 'admin' && await admin.locator('#ks-apply, #mass-cancel, #chaos-off').count() === 3,
      'admin-signed-in', 'kill switch, mass cancel and chaos off shown');

    // every admin control is reachable with the keyboard (Tab from the top)
    const resting0 = await resting('console-keyboard');
    await row(admin, resting0.body.clientOrderId).waitFor({timeout: 5000});
    const reached = await tabReach(admin);
    const wanted = ['ks-state', 'ks-cancel-open', 'ks-apply', 'f-symbol', 'f-strategy', 'mass-cancel', 'chaos-off', 'sign-out',
      'Cancel order ' + resting0.body.clientOrderId];
    const missed = wanted.filter((w) => !reached.has(w));
    check(missed.length === 0, 'keyboard-reaches-every-control', `${reached.size} stops; missed: ${missed.join(', ') || 'none'}`);
    await api(traderKey, 'DELETE', '/api/private/order/' + resting0.body.clientOrderId);

    // cancel one order
    const one = await resting('console-cancel');
    await row(admin, one.body.clientOrderId).waitFor({timeout: 5000});
    await confirmWith(admin, `tr[data-order-id="${one.body.clientOrderId}"] button[data-admin=cancel]`, 'console drill: cancel one');
    await admin.locator(`tr[data-order-id="${one.body.clientOrderId}"][data-status="CANCELED"]`).waitFor({timeout: 5000});
    const after = await api(traderKey, 'GET', '/api/private/order/' + one.body.clientOrderId);
    check(after.body.status === 'CANCELED', 'admin-cancels-one', one.body.clientOrderId + ' ' + after.body.status);

    // mass cancel by strategy
    const mass = [await resting('console-mass'), await resting('console-mass')].map((r) => r.body.clientOrderId);
    await admin.fill('#f-strategy', 'console-mass');
    await admin.press('#f-strategy', 'Enter');
    for (const id of mass) await row(admin, id).waitFor({timeout: 5000});
    await confirmWith(admin, '#mass-cancel', 'console drill: mass cancel');
    for (const id of mass) await admin.locator(`tr[data-order-id="${id}"][data-status="CANCELED"]`).waitFor({timeout: 5000});
    const left = await api(traderKey, 'GET', '/api/private/open-orders?strategy=console-mass');
    check(left.body.count === 0, 'admin-mass-cancels-by-strategy', `${mass.length} canceled, ${left.body.count} left open`);
    await admin.click('text=Clear');
    await admin.locator('#orders .panel-status').filter({hasText: 'loaded'}).waitFor();

    // kill switch: HALTED from the console, the next API order answers 423, both consoles show it
    const haltReason = 'console drill <b>halt</b> & "check"';
    await admin.selectOption('#ks-state', 'HALTED');
    await admin.check('#ks-cancel-open');
    await confirmWith(admin, '#ks-apply', haltReason);
    await admin.locator('[data-testid=trading-state]').filter({hasText: 'HALTED'}).waitFor({timeout: 5000});
    const shownReason = await admin.textContent('[data-testid=trading-reason]');
    const markup = await admin.locator('[data-testid=trading-reason] b').count();
    check(shownReason === haltReason && markup === 0, 'console-shows-halted-with-reason', JSON.stringify(shownReason) + ' rendered as text');
    const refused = await place({strategy: 'console-trader'});
    check(refused.status === 423, 'api-order-refused-423', `status ${refused.status} ${refused.body?.error?.code}`);
    await trader.locator('[data-testid=trading-state]').filter({hasText: 'HALTED'}).waitFor({timeout: 5000});
    check(await trader.textContent('[data-testid=trading-reason]') === haltReason, 'trader-console-sees-halt-live', 'from the feed, no reload');
    await admin.locator('#trading').screenshot({path: path.join(shots, 'trading-halted.png')});
    await admin.selectOption('#ks-state', 'ACTIVE');
    await admin.uncheck('#ks-cancel-open');
    await confirmWith(admin, '#ks-apply', 'console drill over');
    await admin.locator('[data-testid=trading-state]').filter({hasText: 'ACTIVE'}).waitFor({timeout: 5000});

    // chaos WS flap: the feed closes every 2 s; every order placed meanwhile shows, FILLED, in both consoles
    const flap = await api(adminKey, 'POST', '/api/private/chaos', {wsFlapSec: 2, reason: 'console drill: flap'});
    check(flap.status === 200, 'flap-on', 'wsFlapSec=2');
    const reconnects = async (page) => Number(await page.getAttribute('#feed-status', 'data-reconnects'));
    const before = [await reconnects(admin), await reconnects(trader)];
    const ids = [];
    for (let i = 0; i < 16; i++) {
      const r = await place({strategy: 'console-flap'});
      if (r.status !== 200 && r.status !== 201) throw new Error('flap order ' + i + ' answered ' + r.status);
      ids.push(r.body.clientOrderId);
      await new Promise((res) => setTimeout(res, 400)); // orders spread over the flaps, not a pause for a condition
    }
    for (const page of [admin, trader]) {
      await page.waitForFunction((n) => Number(document.getElementById('feed-status').getAttribute('data-reconnects')) >= n,
        (page === admin ? before[0] : before[1]) + 2, {timeout: 20000});
    }
    for (const page of [admin, trader]) {
      for (const id of ids) await page.locator(`tr[data-order-id="${id}"][data-status="FILLED"]`).waitFor({timeout: 20000});
    }
    const status = await admin.textContent('#feed-status');
    check(/reconnected|reconnecting/.test(status), 'flap-reconnects', `admin ${await reconnects(admin) - before[0]}, trader `
      + `${await reconnects(trader) - before[1]} reconnects; ${ids.length} orders placed, ${ids.length} shown FILLED in both; "${status}"`);
    await admin.locator('header').screenshot({path: path.join(shots, 'feed-reconnected.png')});

    // chaos off from the console
    await admin.locator('[data-testid=chaos-state]').filter({hasText: 'INJECTING'}).waitFor({timeout: 10000});
    await confirmWith(admin, '#chaos-off', 'console drill: chaos off');
    await admin.locator('[data-testid=chaos-state]').filter({hasText: 'OFF'}).waitFor({timeout: 5000});
    const chaos = await api(adminKey, 'GET', '/api/private/chaos');
    const last = chaos.body.audit[chaos.body.audit.length - 1]; // the audit is oldest first
    check(chaos.body.settings.wsFlapSec === 0 && last.reason === 'console drill: chaos off', 'admin-chaos-off',
      'audit: ' + last.action + ' by ' + last.by);
    await admin.waitForFunction(() => document.getElementById('feed-status').textContent.startsWith('feed: '));

    // the layout and a screenshot of every view, with the drill's data in them
    await trader.screenshot({path: path.join(shots, 'trader.png'), fullPage: true});
    await noOverflow(admin, 1920, 1080);
    await noOverflow(admin, 1280, 800);
    for (const id of await admin.$$eval('[data-panel]', (ps) => ps.map((p) => p.id))) {
      await admin.locator('#' + id).screenshot({path: path.join(shots, id + '.png')});
    }
    await admin.click('#sign-out');
    await admin.locator('#sign-in').waitFor({state: 'visible'});
    check(await admin.evaluate(() => sessionStorage.length) === 0, 'sign-out-forgets-key');
    check(problems.length === 0, 'no-csp-violation-or-page-error', problems.join(' | '));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.log('ERROR ' + (e && e.stack || e));
  process.exit(1);
});
