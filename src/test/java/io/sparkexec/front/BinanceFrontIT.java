package io.sparkexec.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.CcxtScripts;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import io.sparkexec.venue.Signing;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #18: the Binance front door of an executor trading on the venue simulator over HTTP
 * (VENUE=http, both in this JVM, every request on loopback): Binance's signing errors and limits,
 * strategy scope, and unmodified ccxt ({@code binance} class, its urls pointed at the front door)
 * running a strategy loop, then meeting the kill switch.
 */
class BinanceFrontIT {

  @TempDir
  static Path dir;

  static TestVenueSim sim;
  static TestServer server;
  static int frontPort;
  static final String ADMIN = "admin-dev-key";
  // the trader-dev-key's pair (conf/spark.conf): a key bound to no strategy
  static final Client TRADER = new Client("front-dev-key", "front-dev-secret");
  static final Client ALPHA = new Client("alpha-api-key", "alpha-api-secret");
  static final Client FLOOD = new Client("flood-api-key", "flood-api-secret");
  static final int WEIGHT_PER_MINUTE = 600;

  record Client(String apiKey, String secret) {}

  @BeforeAll
  static void start() {
    sim = TestVenueSim.inProcess(dir.resolve("sim"));
    frontPort = TestServer.freePort();
    server = TestServer.inProcess(dir.resolve("executor"), ConfigFactory.parseString("""
        spark.auth.keys = [
          { key = "trader-dev-key", role = "trader", name = "dev-trader", binance { api-key = "front-dev-key", secret = "front-dev-secret" } }
          { key = "admin-dev-key", role = "admin", name = "dev-admin" }
          { key = "alpha-json-key", role = "trader", name = "alpha", strategies = ["alpha"],
            binance { api-key = "alpha-api-key", secret = "alpha-api-secret" } }
          { key = "flood-json-key", role = "trader", name = "flood", binance { api-key = "flood-api-key", secret = "flood-api-secret" } }
        ]
        """).withFallback(ConfigFactory.parseMap(Map.of(
        "spark.venue.kind", "http", "spark.venue.http.url", sim.url(),
        "spark.binance.enabled", true, "spark.binance.port", frontPort,
        "spark.binance.rate-limits.request-weight-per-minute", WEIGHT_PER_MINUTE))));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (sim != null) sim.close();
  }

  static String url() {
    return "http://127.0.0.1:" + frontPort;
  }

  static Response signed(Client c, String method, String path, Map<String, String> params, long timestamp, String secret) {
    Map<String, String> all = new LinkedHashMap<>(params);
    all.put("timestamp", String.valueOf(timestamp));
    String query = TestVenueSim.queryString(all);
    String signed = query + "&signature=" + new Signing(secret).sign(query);
    return server.send(HttpRequest.newBuilder(URI.create(url() + path + "?" + signed)).timeout(Duration.ofSeconds(30))
        .header("X-MBX-APIKEY", c.apiKey()).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  static Response signed(Client c, String method, String path, Map<String, String> params) {
    return signed(c, method, path, params, System.currentTimeMillis(), c.secret());
  }

  static String restingBuyPrice() {
    BigDecimal bid = new BigDecimal(sim.get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json().path("bidPrice").asText());
    return bid.multiply(new BigDecimal("0.5")).setScale(2, RoundingMode.DOWN).toPlainString();
  }

  @Test
  void signaturesTimestampsAndKeysAreCheckedAsBinanceChecksThem() {
    Map<String, String> params = Map.of("symbol", "BTCUSDT");
    Response ok = signed(TRADER, "GET", "/api/v3/openOrders", params);
    assertEquals(200, ok.status(), ok::toString);
    assertTrue(ok.header("X-MBX-USED-WEIGHT-1M").isPresent(), ok::toString);

    Response badSignature = signed(TRADER, "GET", "/api/v3/openOrders", params, System.currentTimeMillis(), "not-the-secret");
    assertEquals(400, badSignature.status(), badSignature::toString);
    assertEquals(-1022, badSignature.json().path("code").asInt(), badSignature::toString);

    Response stale = signed(TRADER, "GET", "/api/v3/openOrders", params, System.currentTimeMillis() - 60_000, TRADER.secret());
    assertEquals(400, stale.status(), stale::toString);
    assertEquals(-1021, stale.json().path("code").asInt(), stale::toString);

    Response unknown = signed(new Client("nobody", "x"), "GET", "/api/v3/openOrders", params);
    assertEquals(401, unknown.status(), unknown::toString);
    assertEquals(-2015, unknown.json().path("code").asInt(), unknown::toString);

    // the executor's own API key is not a Binance key
    Response executorKey = signed(new Client("trader-dev-key", "front-dev-secret"), "GET", "/api/v3/openOrders", params);
    assertEquals(-2015, executorKey.json().path("code").asInt(), executorKey::toString);

    Response noSuchPath = server.send(HttpRequest.newBuilder(URI.create(url() + "/api/v3/nothing")).GET().build());
    assertEquals(404, noSuchPath.status());
    assertEquals(-1000, noSuchPath.json().path("code").asInt(), noSuchPath::toString);
  }

  @Test
  void theWeightLimitAnswers429WithRetryAfterPerKey() {
    // exchangeInfo weighs 20 (Binance's weight); the limit is per minute, so the last may fall in a fresh window
    Response last = null;
    int sent = 0;
    while (sent < 2 * WEIGHT_PER_MINUTE / 20 + 2) {
      last = server.send(HttpRequest.newBuilder(URI.create(url() + "/api/v3/exchangeInfo")).header("X-MBX-APIKEY", FLOOD.apiKey()).GET().build());
      sent++;
      if (last.status() == 429) break;
    }
    Response limited = last;
    assertEquals(429, limited.status(), limited::toString);
    assertEquals(-1003, limited.json().path("code").asInt(), limited::toString);
    assertTrue(limited.header("Retry-After").isPresent(), limited::toString);
    assertEquals(String.valueOf(WEIGHT_PER_MINUTE), limited.header("X-MBX-USED-WEIGHT-1M").orElse(""), limited::toString);
    // another key has a budget of its own
    Response other = signed(ALPHA, "GET", "/api/v3/openOrders", Map.of("symbol", "BTCUSDT"));
    assertEquals(200, other.status(), other::toString);
  }

  @Test
  void aKeyBoundToAStrategySeesOnlyItsStrategysOrders() {
    String price = restingBuyPrice();
    Response mine = signed(ALPHA, "POST", "/api/v3/order", TestVenueSim.limitOrder("front-alpha-1", "BTCUSDT", "BUY", "0.001", price));
    assertEquals(200, mine.status(), mine::toString);
    assertTrue(mine.header("X-MBX-ORDER-COUNT-10S").isPresent(), mine::toString);
    // placed through the front door under the key's strategy
    assertEquals("alpha", server.getOrder("front-alpha-1").json().path("strategy").asText(), "the order carries the key's strategy");
    Response theirs = signed(TRADER, "POST", "/api/v3/order", TestVenueSim.limitOrder("front-unbound-1", "BTCUSDT", "BUY", "0.001", price));
    assertEquals(200, theirs.status(), theirs::toString);

    JsonNode open = signed(ALPHA, "GET", "/api/v3/openOrders", Map.of("symbol", "BTCUSDT")).json();
    assertTrue(open.findValuesAsText("clientOrderId").contains("front-alpha-1"), open::toString);
    assertTrue(!open.findValuesAsText("clientOrderId").contains("front-unbound-1"), open::toString);
    Response query = signed(ALPHA, "GET", "/api/v3/order", Map.of("symbol", "BTCUSDT", "origClientOrderId", "front-unbound-1"));
    assertEquals(-2013, query.json().path("code").asInt(), query::toString);
    Response cancel = signed(ALPHA, "DELETE", "/api/v3/order", Map.of("symbol", "BTCUSDT", "origClientOrderId", "front-unbound-1"));
    assertEquals(-2011, cancel.json().path("code").asInt(), cancel::toString);
    // by orderId too, and the other key's order is still open
    long orderId = theirs.json().path("orderId").asLong();
    Response byId = signed(ALPHA, "DELETE", "/api/v3/order", Map.of("symbol", "BTCUSDT", "orderId", String.valueOf(orderId)));
    assertEquals(-2011, byId.json().path("code").asInt(), byId::toString);
    assertEquals("ACKNOWLEDGED", server.getOrder("front-unbound-1").json().path("status").asText());

    Response canceledAll = signed(ALPHA, "DELETE", "/api/v3/openOrders", Map.of("symbol", "BTCUSDT"));
    assertEquals(200, canceledAll.status(), canceledAll::toString);
    assertEquals(List.of("front-alpha-1"), canceledAll.json().findValuesAsText("origClientOrderId"), canceledAll::toString);
    Response byOrderId = signed(TRADER, "DELETE", "/api/v3/order", Map.of("symbol", "BTCUSDT", "orderId", String.valueOf(orderId)));
    assertEquals("CANCELED", byOrderId.json().path("status").asText(), byOrderId::toString);
  }

  @Test
  void refusalsComeBackAsBinanceErrors() {
    Response unknownSymbol = signed(TRADER, "POST", "/api/v3/order", Map.of("symbol", "DOGEUSDT", "side", "BUY", "type", "MARKET", "quantity", "1"));
    assertEquals(-1121, unknownSymbol.json().path("code").asInt(), unknownSymbol::toString);
    Response lot = signed(TRADER, "POST", "/api/v3/order", Map.of("symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.0000001",
        "newClientOrderId", "front-lot-1"));
    assertEquals(400, lot.status(), lot::toString);
    assertEquals(-1013, lot.json().path("code").asInt(), lot::toString);
    assertTrue(lot.json().path("msg").asText().startsWith("Filter failure: LOT_SIZE"), lot::toString);
    assertEquals(0, sim.submissions("front-lot-1"), "refused before the venue");
  }

  /** ccxt 4 under target/node; skips visibly without node or the package, fails on CI. */
  static Path ccxt() {
    return ExternalTools.nodeModule("ccxt", "ccxt@4");
  }

  static ExternalTools.Run node(Path module, String script, String... args) throws Exception {
    Path file = dir.resolve("script-" + Math.abs(script.hashCode()) + ".js");
    Files.writeString(file, CcxtScripts.PRELUDE + script);
    List<String> command = new java.util.ArrayList<>(List.of("node", file.toString(), module.getParent().getParent().toString(), url(),
        TRADER.apiKey(), TRADER.secret()));
    command.addAll(List.of(args));
    ExternalTools.Run run = ExternalTools.run(command);
    System.out.println("ccxt against the front door:\n" + run.output());
    return run;
  }

  @Test
  void ccxtRunsAStrategyLoopAgainstTheFrontDoor() throws Exception {
    Path module = ccxt();
    ExternalTools.Run run = node(module, LOOP, restingBuyPrice());
    String out = run.output();
    assertEquals(0, run.exitCode(), () -> "ccxt script failed:\n" + out);
    for (String step : List.of("markets", "balance", "ticker", "orderBook", "limitWithId", "dedupe", "market", "fetchById", "fetchByClientId",
        "openOrders", "myTrades", "allOrders", "cancel", "cancelAll", "loopbackOnly")) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith("OK " + step)), () -> "no OK " + step + " in:\n" + out);
    }
    // the repeated client id is one order, at the executor and at the venue
    assertEquals(1, sim.submissions("front-ccxt-limit-1"));
    assertEquals("CANCELED", server.getOrder("front-ccxt-limit-1").json().path("status").asText());
    assertEquals("FILLED", server.getOrder("front-ccxt-market-1").json().path("status").asText());
  }

  @Test
  void theKillSwitchMakesTheNextCcxtOrderFailAndNothingReachesTheVenue() throws Exception {
    Path module = ccxt();
    Response engaged = admin("POST", "/api/private/kill-switch", TestServer.json("state", "HALTED", "reason", "BinanceFrontIT"));
    assertEquals(200, engaged.status(), engaged::toString);
    try {
      ExternalTools.Run run = node(module, HALTED);
      String out = run.output();
      assertEquals(0, run.exitCode(), () -> "ccxt script failed:\n" + out);
      String refused = out.lines().filter(l -> l.startsWith("REFUSED ")).findFirst().orElseThrow(() -> new AssertionError("no REFUSED in:\n" + out));
      assertTrue(refused.contains("-2010") && refused.contains("TRADING_HALTED"), refused);
      assertEquals(0, sim.submissions("front-ccxt-halted-1"), "nothing reached the venue");
      assertEquals(404, server.getOrder("front-ccxt-halted-1").status(), "nothing journaled");
    } finally {
      assertEquals(200, admin("POST", "/api/private/kill-switch", TestServer.json("state", "ACTIVE", "reason", "BinanceFrontIT done")).status());
    }
  }

  @Test
  void theUserDataStreamPushesExecutionReportsForTheKeysOrders() throws Exception {
    Path module = ccxt();
    Path ws = ExternalTools.nodeModule("ws", "ws@8");
    ExternalTools.Run run = node(module, STREAM, ws.toString(), ALPHA.apiKey(), ALPHA.secret());
    String out = run.output();
    assertEquals(0, run.exitCode(), () -> "user-data stream script failed:\n" + out);
    for (String step : List.of("listenKey", "sameListenKey", "traderReports", "alphaReports", "alphaScoped", "keepAlive", "closed")) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith("OK " + step)), () -> "no OK " + step + " in:\n" + out);
    }
  }

  @Test
  void binanceApiNodePlacesAndCancelsAnOrder() throws Exception {
    Path module = ExternalTools.nodeModule("binance-api-node", "binance-api-node@0");
    Path file = dir.resolve("binance-api-node.js");
    Files.writeString(file, BINANCE_API_NODE);
    ExternalTools.Run run = ExternalTools.run(List.of("node", file.toString(), module.toString(), url(), TRADER.apiKey(), TRADER.secret(),
        restingBuyPrice()));
    String out = run.output();
    System.out.println("binance-api-node against the front door:\n" + out);
    assertEquals(0, run.exitCode(), () -> "binance-api-node script failed:\n" + out);
    for (String step : List.of("time", "placed", "queried", "canceled")) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith("OK " + step)), () -> "no OK " + step + " in:\n" + out);
    }
    assertEquals("CANCELED", server.getOrder("front-bapi-1").json().path("status").asText());
    assertEquals(1, sim.submissions("front-bapi-1"));
  }

  /** binance-api-node as an application uses it, its base url the front door. */
  static final String BINANCE_API_NODE = """
      const Binance = require(process.argv[2]).default;
      const [base, apiKey, apiSecret, price] = process.argv.slice(3);
      const client = Binance({ apiKey, apiSecret, httpBase: base });
      const ok = (step, detail) => console.log('OK ' + step + ' ' + detail);
      const check = (cond, what) => { if (!cond) throw new Error(what); };
      (async () => {
        const time = await client.time();
        check(Math.abs(time - Date.now()) < 60000, 'server time ' + time);
        ok('time', time);
        const placed = await client.order({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price, newClientOrderId: 'front-bapi-1' });
        check(placed.status === 'NEW' && placed.clientOrderId === 'front-bapi-1', 'placed ' + JSON.stringify(placed));
        ok('placed', placed.orderId);
        const queried = await client.getOrder({ symbol: 'BTCUSDT', orderId: placed.orderId });
        check(queried.clientOrderId === 'front-bapi-1' && queried.status === 'NEW', 'queried ' + JSON.stringify(queried));
        ok('queried', queried.status);
        const canceled = await client.cancelOrder({ symbol: 'BTCUSDT', orderId: placed.orderId });
        check(canceled.status === 'CANCELED' && canceled.origClientOrderId === 'front-bapi-1', 'canceled ' + JSON.stringify(canceled));
        ok('canceled', canceled.status);
      })().catch((e) => { console.log('ERROR ' + e.constructor.name + ': ' + e.message); process.exit(1); });
      """;

  static Response admin(String method, String path, String body) {
    return server.send(server.request(path).setHeader("X-API-Key", ADMIN).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build());
  }

  static final String LOOP = """
      (async () => {
        const markets = await exchange.loadMarkets();
        check(markets[S] && markets[S].precision.price === 0.01, 'BTC/USDT with tick 0.01: ' + JSON.stringify(markets[S] && markets[S].precision));
        ok('markets', Object.keys(markets).join(','));
        const balance = await exchange.fetchBalance();
        check(balance.USDT && balance.USDT.free > 0 && balance.BTC.free > 0, 'the venue account\\'s USDT and BTC: ' + JSON.stringify(balance.info));
        ok('balance', 'BTC ' + balance.BTC.free + ' USDT ' + balance.USDT.free);
        const ticker = await exchange.fetchTicker(S);
        check(ticker.bid > 0 && ticker.ask > ticker.bid, 'ticker bid/ask');
        ok('ticker', ticker.bid + ' / ' + ticker.ask);
        const book = await exchange.fetchOrderBook(S, 5);
        check(book.bids.length >= 1 && book.bids[0][0] < book.asks[0][0], 'the touch');
        ok('orderBook', book.bids[0][0] + ' / ' + book.asks[0][0]);
        const farBid = Number(args[0]);
        const limit = await exchange.createOrder(S, 'limit', 'buy', 0.001, farBid, { clientOrderId: 'front-ccxt-limit-1' });
        check(limit.status === 'open' && limit.clientOrderId === 'front-ccxt-limit-1', 'open limit ' + JSON.stringify(limit.info));
        ok('limitWithId', limit.id);
        const again = await exchange.createOrder(S, 'limit', 'buy', 0.001, farBid, { clientOrderId: 'front-ccxt-limit-1' });
        check(again.id === limit.id, 'the same order for a repeated client id: ' + again.id + ' vs ' + limit.id);
        ok('dedupe', again.id);
        const market = await exchange.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: 'front-ccxt-market-1' });
        check(market.status === 'closed' && market.filled === 0.001, 'a filled market order ' + JSON.stringify(market.info));
        ok('market', market.id + ' at ' + market.average);
        const byId = await exchange.fetchOrder(limit.id, S);
        check(byId.clientOrderId === 'front-ccxt-limit-1' && byId.status === 'open', 'fetch by id ' + JSON.stringify(byId.info));
        ok('fetchById', byId.id);
        const byClientId = await exchange.fetchOrder(undefined, S, { clientOrderId: 'front-ccxt-limit-1' });
        check(byClientId.id === limit.id, 'fetch by client id');
        ok('fetchByClientId', byClientId.id);
        const open = await exchange.fetchOpenOrders(S);
        check(open.some(o => o.id === limit.id) && !open.some(o => o.id === market.id), 'the limit open, the market not');
        ok('openOrders', open.length);
        const trades = await exchange.fetchMyTrades(S);
        check(trades.some(t => t.order === market.id && t.side === 'buy' && t.amount === 0.001), 'my trades ' + JSON.stringify(trades));
        ok('myTrades', trades.length);
        const all = await exchange.fetchOrders(S);
        check(all.some(o => o.id === market.id && o.status === 'closed') && all.some(o => o.id === limit.id), 'all orders');
        ok('allOrders', all.length);
        const canceled = await exchange.cancelOrder(limit.id, S);
        check(canceled.status === 'canceled', 'canceled ' + JSON.stringify(canceled.info));
        ok('cancel', canceled.id);
        await exchange.createOrder(S, 'limit', 'buy', 0.001, farBid, { clientOrderId: 'front-ccxt-limit-2' });
        await exchange.createOrder(S, 'limit', 'buy', 0.002, farBid, { clientOrderId: 'front-ccxt-limit-3' });
        const all2 = await exchange.cancelAllOrders(S);
        check(all2.length === 2, 'two canceled: ' + JSON.stringify(all2.map(o => o.clientOrderId)));
        const left = await exchange.fetchOpenOrders(S);
        check(!left.some(o => o.clientOrderId.startsWith('front-ccxt-')), 'none of ours open');
        ok('cancelAll', all2.length);
        ok('loopbackOnly', [...seen].sort().join(' '));
      })().catch((e) => { console.log('ERROR ' + e.constructor.name + ': ' + e.message); process.exit(1); });
      """;

  /**
   * Node's ws on two listen keys (the unbound trader's, alpha's): a market order of each key, the
   * reports each stream receives (NEW, TRADE with the fill, status FILLED), alpha's stream without
   * the trader's order; then keep-alive and close as Binance answers them.
   */
  static final String STREAM = """
      const WebSocket = require(args[0]);
      const alpha = new ccxt.binance({ apiKey: args[1], secret: args[2],
        options: { fetchMarkets: { types: ['spot'] }, fetchMargins: false, fetchCurrencies: false } });
      for (const k of Object.keys(alpha.urls.api)) alpha.urls.api[k] = base + '/api/v3';
      const listenKey = async (key, method = 'POST', lk) => {
        const r = await globalThis.fetch(base + '/api/v3/userDataStream' + (lk ? '?listenKey=' + lk : ''), { method, headers: { 'X-MBX-APIKEY': key } });
        return { status: r.status, body: await r.json() };
      };
      const open = (lk) => new Promise((resolve, reject) => {
        const socket = new WebSocket(base.replace('http', 'ws') + '/ws/' + lk);
        socket.frames = [];
        socket.on('message', (m) => socket.frames.push(JSON.parse(m.toString())));
        socket.on('open', () => resolve(socket));
        socket.on('error', reject);
      });
      const waitFor = async (socket, cond, what) => {
        for (let i = 0; i < 300; i++) { if (cond(socket.frames)) return; await new Promise(r => setTimeout(r, 100)); }
        throw new Error('timed out waiting for ' + what + ': ' + JSON.stringify(socket.frames));
      };
      const filled = (id) => (frames) => frames.some(f => f.e === 'executionReport' && f.c === id && f.X === 'FILLED');
      (async () => {
        const t = await listenKey(apiKey);
        check(t.status === 200 && typeof t.body.listenKey === 'string', 'a listen key: ' + JSON.stringify(t));
        ok('listenKey', t.body.listenKey.length);
        const again = await listenKey(apiKey);
        check(again.body.listenKey === t.body.listenKey, 'one listen key per key, as on Binance');
        ok('sameListenKey', '');
        const a = await listenKey(args[1]);
        const traderWs = await open(t.body.listenKey);
        const alphaWs = await open(a.body.listenKey);
        await exchange.loadMarkets();
        await alpha.loadMarkets();
        await exchange.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: 'front-stream-1' });
        await waitFor(traderWs, filled('front-stream-1'), 'the trader order FILLED');
        const mine = traderWs.frames.filter(f => f.c === 'front-stream-1');
        const trade = mine.find(f => f.x === 'TRADE');
        check(mine.some(f => f.x === 'NEW' && f.X === 'NEW' && Number(f.z) === 0) && trade && trade.X === 'FILLED' && Number(trade.z) === 0.001 && Number(trade.l) > 0 && Number(trade.L) > 0 && trade.t >= 0 && trade.s === 'BTCUSDT',
          'NEW then TRADE with the fill: ' + JSON.stringify(mine));
        ok('traderReports', mine.map(f => f.x + '/' + f.X).join(' '));
        await alpha.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: 'front-stream-alpha-1' });
        await waitFor(alphaWs, filled('front-stream-alpha-1'), 'the alpha order FILLED on alpha');
        await waitFor(traderWs, filled('front-stream-alpha-1'), 'the alpha order FILLED on the unbound key');
        ok('alphaReports', alphaWs.frames.length);
        check(!alphaWs.frames.some(f => f.c === 'front-stream-1'), 'alpha never sees the trader order: ' + JSON.stringify(alphaWs.frames));
        ok('alphaScoped', '');
        const kept = await listenKey(apiKey, 'PUT', t.body.listenKey);
        const notMine = await listenKey(args[1], 'PUT', t.body.listenKey);
        check(kept.status === 200 && notMine.body.code === -1125, 'keep-alive: ' + JSON.stringify([kept, notMine]));
        ok('keepAlive', '');
        const closing = new Promise(r => traderWs.on('close', r));
        const closed = await listenKey(apiKey, 'DELETE', t.body.listenKey);
        check(closed.status === 200, 'closed');
        await closing;
        const gone = await listenKey(apiKey, 'PUT', t.body.listenKey);
        check(gone.body.code === -1125, 'a closed listen key is unknown: ' + JSON.stringify(gone));
        alphaWs.close();
        ok('closed', '');
      })().catch((e) => { console.log('ERROR ' + e.constructor.name + ': ' + e.message); process.exit(1); });
      """;

  static final String HALTED = """
      (async () => {
        await exchange.loadMarkets();
        try {
          await exchange.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: 'front-ccxt-halted-1' });
          console.log('ERROR the order went through');
          process.exit(1);
        } catch (e) {
          console.log('REFUSED ' + e.constructor.name + ': ' + e.message);
        }
      })().catch((e) => { console.log('ERROR ' + e.constructor.name + ': ' + e.message); process.exit(1); });
      """;
}
