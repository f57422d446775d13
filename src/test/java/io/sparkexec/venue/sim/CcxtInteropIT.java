package io.sparkexec.venue.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.CcxtScripts;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestVenueSim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unmodified ccxt (npm package {@code ccxt}, its {@code binance} class) trading on the simulator
 * process over loopback: every ccxt url points at the simulator, and the script fails on any
 * request that would leave it. Skips with a visible message without node/ccxt, fails on CI.
 */
class CcxtInteropIT {

  @TempDir
  static Path dir;

  static TestVenueSim sim;

  @BeforeAll
  static void start() {
    sim = TestVenueSim.launchJar(dir, Map.of());
  }

  @AfterAll
  static void stop() {
    if (sim != null) sim.close();
  }

  @Test
  void ccxtBinanceTradesOnTheSimulator() throws Exception {
    Path module = ExternalTools.nodeModule("ccxt", "ccxt@4");
    Path script = dir.resolve("ccxt-binance.js");
    Files.writeString(script, CcxtScripts.PRELUDE + SCRIPT);
    ExternalTools.Run run = ExternalTools.run(List.of("node", script.toString(), module.getParent().getParent().toString(), sim.url(), TestVenueSim.API_KEY, TestVenueSim.API_SECRET));
    String out = run.output();
    System.out.println("ccxt against the simulator:\n" + out);
    assertEquals(0, run.exitCode(), () -> "ccxt script failed:\n" + out + "\nsimulator log:\n" + sim.logTail(40));
    for (String step : List.of("markets", "balance", "orderBook", "ticker", "limitWithId", "dedupe", "limitWithoutId", "marketWithId",
        "marketWithoutId", "marketCost", "fetchById", "fetchByClientId", "openOrders", "myTrades", "allOrders", "cancel", "cancelAll",
        "balanceMoved", "loopbackOnly")) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith("OK " + step)), () -> "no OK " + step + " in:\n" + out);
    }
    // the repeated client id created one order, not two
    assertEquals(1, sim.submissions("ccxt-limit-1"));
  }

  private static final String SCRIPT = """
      (async () => {
        const markets = await exchange.loadMarkets();
        check(markets[S] && markets[S].precision.price === 0.01, 'BTC/USDT market with tick 0.01: ' + JSON.stringify(markets[S] && markets[S].precision));
        ok('markets', Object.keys(markets).join(','));
        const balance = await exchange.fetchBalance();
        check(balance.USDT.free > 0 && balance.BTC.free > 0, 'USDT and BTC balances');
        ok('balance', 'BTC ' + balance.BTC.free + ' USDT ' + balance.USDT.free);
        const book = await exchange.fetchOrderBook(S, 5);
        check(book.bids.length === 5 && book.asks.length === 5 && book.bids[0][0] < book.asks[0][0], 'a five-level book');
        ok('orderBook', book.bids[0][0] + ' / ' + book.asks[0][0]);
        const ticker = await exchange.fetchTicker(S);
        check(ticker.bid > 0 && ticker.ask > ticker.bid && ticker.last > 0, 'ticker bid/ask/last');
        ok('ticker', ticker.last);
        const farBid = 10000;  // far below the market, notional 10 above minNotional 5
        const limit = await exchange.createOrder(S, 'limit', 'buy', 0.001, farBid, { clientOrderId: 'ccxt-limit-1' });
        check(limit.status === 'open' && limit.clientOrderId === 'ccxt-limit-1', 'open limit order ' + JSON.stringify(limit.info));
        ok('limitWithId', limit.id);
        const again = await exchange.createOrder(S, 'limit', 'buy', 0.001, farBid, { clientOrderId: 'ccxt-limit-1' });
        check(again.id === limit.id, 'the same order for a repeated client id');
        ok('dedupe', again.id);
        const anonymous = await exchange.createOrder(S, 'limit', 'buy', 0.002, farBid);
        // ccxt 4.5 sends a client id of its own (broker prefix + 22 characters) when given none
        check(anonymous.status === 'open' && anonymous.clientOrderId.startsWith('x-TKT5PX2F') && anonymous.id !== limit.id,
          'an order under the client id ccxt made: ' + anonymous.clientOrderId);
        ok('limitWithoutId', anonymous.clientOrderId);
        const market = await exchange.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: 'ccxt-market-1' });
        check(market.status === 'closed' && market.filled === 0.001 && market.trades.length > 0, 'a filled market order ' + JSON.stringify(market.info));
        ok('marketWithId', market.id + ' at ' + market.average);
        const market2 = await exchange.createOrder(S, 'market', 'sell', 0.001);
        check(market2.status === 'closed', 'a filled market sell');
        ok('marketWithoutId', market2.id);
        const cost = await exchange.createMarketBuyOrderWithCost('ETH/USDT', 50);
        check(cost.status === 'closed' && cost.cost <= 50 && cost.cost > 49, 'quoteOrderQty spent at most 50: ' + cost.cost);
        ok('marketCost', cost.cost);
        const byId = await exchange.fetchOrder(limit.id, S);
        check(byId.clientOrderId === 'ccxt-limit-1' && byId.status === 'open', 'fetch by id');
        ok('fetchById', byId.id);
        const byClientId = await exchange.fetchOrder(undefined, S, { clientOrderId: 'ccxt-limit-1' });
        check(byClientId.id === limit.id, 'fetch by client id');
        ok('fetchByClientId', byClientId.id);
        const open = await exchange.fetchOpenOrders(S);
        check(open.some(o => o.id === limit.id) && open.some(o => o.id === anonymous.id), 'both limits open');
        ok('openOrders', open.length);
        const trades = await exchange.fetchMyTrades(S);
        check(trades.some(t => t.order === market.id && t.side === 'buy') && trades.some(t => t.order === market2.id && t.side === 'sell'), 'my trades');
        ok('myTrades', trades.length);
        const all = await exchange.fetchOrders(S);
        check(all.some(o => o.id === market.id) && all.some(o => o.id === limit.id), 'all orders');
        ok('allOrders', all.length);
        const canceled = await exchange.cancelOrder(limit.id, S);
        check(canceled.status === 'canceled', 'canceled');
        ok('cancel', canceled.id);
        await exchange.createOrder(S, 'limit', 'buy', 0.001, farBid, { clientOrderId: 'ccxt-limit-2' });
        const cancelAll = await exchange.cancelAllOrders(S);
        const left = await exchange.fetchOpenOrders(S);
        check(cancelAll.length === 2 && left.length === 0, 'cancelAll canceled ' + cancelAll.length + ', left ' + left.length);
        ok('cancelAll', cancelAll.length);
        const after = await exchange.fetchBalance();
        check(after.ETH.free > balance.ETH.free && after.USDT.free < balance.USDT.free, 'ETH bought with USDT');
        ok('balanceMoved', 'ETH ' + balance.ETH.free + ' -> ' + after.ETH.free);
        ok('loopbackOnly', [...seen].sort().join(' '));
      })().catch((e) => { console.log('ERROR ' + e.constructor.name + ': ' + e.message); process.exit(1); });
      """;
}
