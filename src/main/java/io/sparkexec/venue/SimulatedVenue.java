package io.sparkexec.venue;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process venue simulator: a seeded random-walk price feed per symbol, market orders filled
 * at the touch plus size impact, limit orders resting until the price crosses (partial fills
 * up to the touch size per tick), cancels, venue-rule rejects, and dedupe by clientOrderId.
 * Each symbol's book is guarded by its own lock, held only for in-memory arithmetic.
 *
 * <p>The stand-alone simulator (io.sparkexec.venue.sim) makes it durable with an {@link OrderLog}:
 * every creation and change is handed to the log under the book's lock (so in the order it
 * happened), and answers and pushed reports wait until the log says it is durable.
 */
public final class SimulatedVenue implements Venue, MarketData {

  private static final Logger log = LoggerFactory.getLogger(SimulatedVenue.class);
  private static final BigDecimal TEN_THOUSAND = BigDecimal.valueOf(10_000);

  public record Settings(long seed, Duration ackLatency, Duration tick, BigDecimal feeRate, BigDecimal impactBpsPerTouch, int rememberFinalOrders) {
    public static Settings fromConfig(Config sim) {
      return new Settings(
          sim.getLong("seed"),
          Duration.ofMillis(sim.getLong("ack-latency-ms")),
          Duration.ofMillis(sim.getLong("tick-ms")),
          new BigDecimal(sim.getString("fee-rate")),
          new BigDecimal(sim.getString("impact-bps-per-touch")),
          sim.getInt("remember-final-orders"));
    }
  }

  /**
   * Records what the venue creates and changes. Called under the book's lock, so it must only
   * enqueue, never block; the returned stage completes once the record is durable.
   */
  public interface OrderLog {
    CompletableFuture<Void> created(VenueOrder order, VenueOrderReport report);

    CompletableFuture<Void> changed(VenueOrderReport report);

    /** The venue no longer remembers this final order (past rememberFinalOrders): what is kept for it can go. */
    default void forgotten(String clientOrderId) {}

    /** The in-process venue: nothing is recorded, everything is "durable" at once. */
    OrderLog NONE = new OrderLog() {
      @Override
      public CompletableFuture<Void> created(VenueOrder order, VenueOrderReport report) {
        return DONE;
      }

      @Override
      public CompletableFuture<Void> changed(VenueOrderReport report) {
        return DONE;
      }
    };
  }

  /** An order as a log restores it: what was placed and its last recorded state. */
  public record RestoredOrder(VenueOrder order, VenueOrderReport report) {}

  /**
   * What a durable venue resumes from: its orders in creation order and the highest numeric
   * order and trade ids it ever handed out (ids then continue from there, as plain numbers).
   */
  public record Restored(List<RestoredOrder> orders, long lastOrderId, long lastTradeId) {}

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final Settings settings;
  private final OrderLog orderLog;
  private final Map<String, Book> books;
  private final Map<String, SimOrder> ordersByClientId = new ConcurrentHashMap<>();
  private final List<Consumer<VenueOrderReport>> listeners = new CopyOnWriteArrayList<>();
  // final orders are forgotten oldest first past settings.rememberFinalOrders: bounded memory
  private final ConcurrentLinkedQueue<String> finalOrders = new ConcurrentLinkedQueue<>();
  private final AtomicInteger finalCount = new AtomicInteger();
  private final AtomicLong venueOrderIds = new AtomicLong();
  private final AtomicLong tradeIds = new AtomicLong();
  // ids stay unique across restarts: the in-process venue prefixes a run id, a durable one continues its counters
  private final String orderIdPrefix;
  private final String tradeIdPrefix;
  // listeners hear reports in order, each only once its change is durable
  private CompletableFuture<Void> delivered = DONE;
  private final ActorSystem<?> system;
  private final Clock clock;
  private Cancellable ticker;

  /** The system's scheduler drives the price feed and the ack latency; nothing here blocks. */
  public SimulatedVenue(Settings settings, Map<String, SymbolRule> rules, ActorSystem<?> system, Clock clock) {
    this(settings, rules, system, clock, OrderLog.NONE, null);
  }

  /**
   * A durable venue: {@code orderLog} records every creation and change, {@code restored} (null
   * for the in-process venue) is what an earlier run recorded; its open orders rest and match again.
   */
  public SimulatedVenue(Settings settings, Map<String, SymbolRule> rules, ActorSystem<?> system, Clock clock, OrderLog orderLog, Restored restored) {
    this.settings = settings;
    this.system = system;
    this.clock = clock;
    this.orderLog = orderLog;
    Map<String, Book> b = new ConcurrentHashMap<>();
    long i = 0;
    for (SymbolRule rule : rules.values()) {
      b.put(rule.symbol(), new Book(rule, new Random(settings.seed() + 31 * i++), clock.instant()));
    }
    this.books = Map.copyOf(b);
    if (restored == null) {
      String runId = Long.toString(clock.millis(), 36);
      this.orderIdPrefix = "SIM-" + runId + "-";
      this.tradeIdPrefix = "T" + runId + "-";
    } else {
      this.orderIdPrefix = "";
      this.tradeIdPrefix = "";
      venueOrderIds.set(restored.lastOrderId());
      tradeIds.set(restored.lastTradeId());
      for (RestoredOrder r : restored.orders()) restore(r);
    }
  }

  private void restore(RestoredOrder restored) {
    VenueOrder o = restored.order();
    VenueOrderReport report = restored.report();
    Book book = books.get(o.symbol());
    if (book == null) {
      log.warn("event=venue_sim_order_not_restored clientOrderId={} symbol={} reason=symbol_not_configured", o.clientOrderId(), o.symbol());
      return;
    }
    SimOrder order = new SimOrder(o, book, report.venueOrderId(), report.time());
    order.fills.addAll(report.fills());
    for (Fill f : report.fills()) order.executed = order.executed.add(f.quantity());
    order.status = report.status();
    ordersByClientId.put(o.clientOrderId(), order);
    if (order.status.isFinal()) forgetOldFinalOrders(order);
    else if (o.type() == OrderType.LIMIT && o.timeInForce() == TimeInForce.GTC) book.resting(o.side()).add(order);
  }

  /** Starts the price feed; resting orders are matched on every tick. */
  public SimulatedVenue start() {
    ticker = system.scheduler().scheduleAtFixedRate(settings.tick(), settings.tick(), this::tick, system.executionContext());
    log.info("event=venue_sim_started symbols={} tickMs={} ackLatencyMs={} seed={}",
        books.keySet(), settings.tick().toMillis(), settings.ackLatency().toMillis(), settings.seed());
    return this;
  }

  public void stop() {
    if (ticker != null) ticker.cancel();
  }

  @Override
  public boolean isSimulator() {
    return true;
  }

  @Override
  public Quote quote(String symbol) {
    Book book = books.get(symbol);
    return book == null ? null : book.quote;
  }

  @Override
  public void onExecutionReport(Consumer<VenueOrderReport> listener) {
    listeners.add(listener);
  }

  @Override
  public CompletionStage<List<SubmitResult>> submit(List<VenueOrder> orders) {
    List<CompletableFuture<SubmitResult>> results = new ArrayList<>(orders.size());
    for (VenueOrder order : orders) results.add(place(order));
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenCompose(durable -> afterLatency(() -> results.stream().map(CompletableFuture::join).toList()));
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    SimOrder order = ordersByClientId.get(clientOrderId);
    CancelResult result;
    CompletableFuture<Void> durable = DONE;
    if (order == null || !order.order.symbol().equals(symbol)) {
      result = new CancelRefused("unknown order", null);
    } else {
      synchronized (order.book) {
        if (order.status.isFinal()) {
          result = new CancelRefused("order is " + order.status, order.report());
        } else {
          order.status = VenueStatus.CANCELED;
          order.book.resting(order.order.side()).remove(order);
          VenueOrderReport report = order.report();
          result = new Canceled(report);
          durable = orderLog.changed(report);
          forgetOldFinalOrders(order);
        }
      }
    }
    return durable.thenCompose(done -> afterLatency(() -> result));
  }

  /** True while the venue still holds the order (final ones are forgotten past rememberFinalOrders). */
  public boolean remembers(String clientOrderId) {
    return ordersByClientId.containsKey(clientOrderId);
  }

  @Override
  public CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId) {
    SimOrder order = ordersByClientId.get(clientOrderId);
    if (order == null || !order.order.symbol().equals(symbol)) return afterLatency(Optional::empty);
    synchronized (order.book) {
      VenueOrderReport report = order.report();
      return afterLatency(() -> Optional.of(report));
    }
  }

  @Override
  public CompletionStage<List<VenueOrderReport>> openOrders() {
    // every open order rests in its book (market, IOC and FOK orders end at once): the scan costs the
    // open orders, not the final ones still remembered
    List<VenueOrderReport> open = new ArrayList<>();
    for (Book book : books.values()) {
      synchronized (book) {
        for (Side side : Side.values()) {
          for (SimOrder order : book.resting(side).orders) open.add(order.report());
        }
      }
    }
    return afterLatency(() -> open);
  }

  private <T> CompletionStage<T> afterLatency(Supplier<T> value) {
    if (settings.ackLatency().isZero()) return CompletableFuture.completedFuture(value.get());
    CompletableFuture<T> future = new CompletableFuture<>();
    system.scheduler().scheduleOnce(settings.ackLatency(), () -> future.complete(value.get()), system.executionContext());
    return future;
  }

  /** Completes once the order's creation is durable: a known clientOrderId answers the existing order. */
  private CompletableFuture<SubmitResult> place(VenueOrder o) {
    Book book = books.get(o.symbol());
    if (book == null) return CompletableFuture.completedFuture(new Refused(o.clientOrderId(), "unknown symbol " + o.symbol()));
    synchronized (book) {
      SimOrder existing = ordersByClientId.get(o.clientOrderId());
      if (existing != null) {
        SubmitResult known = new Acknowledged(existing.report());
        return existing.created.thenApply(durable -> known);
      }
      SymbolRule.Violation violation = book.rule.violation(o.quantity(), o.price(), book.quote.touch(o.side()));
      if (violation != null) return CompletableFuture.completedFuture(new Refused(o.clientOrderId(), violation.code() + ": " + violation.message()));
      SimOrder order = new SimOrder(o, book, orderIdPrefix + venueOrderIds.incrementAndGet(), clock.instant());
      ordersByClientId.put(o.clientOrderId(), order);
      execute(order);
      SubmitResult result = new Acknowledged(order.report());
      order.created = orderLog.created(o, order.report());
      if (order.status.isFinal()) forgetOldFinalOrders(order);
      return order.created.thenApply(durable -> result);
    }
  }

  /** Immediate execution against the touch; called with the book's lock held. */
  private void execute(SimOrder order) {
    Book book = order.book;
    VenueOrder o = order.order;
    BigDecimal touch = book.quote.touch(o.side());
    if (o.type() == OrderType.MARKET) {
      order.fill(impactPrice(book, o.side(), touch, o.quantity()), o.quantity());
      return;
    }
    boolean crosses = o.side() == Side.BUY ? o.price().compareTo(touch) >= 0 : o.price().compareTo(touch) <= 0;
    BigDecimal available = book.rule.touchQty();
    if (!crosses || (o.timeInForce() == TimeInForce.FOK && o.quantity().compareTo(available) > 0)) {
      if (o.timeInForce() == TimeInForce.GTC) book.resting(o.side()).add(order);
      else order.status = VenueStatus.EXPIRED;
      return;
    }
    order.fill(touch, o.quantity().min(available));
    if (order.status == VenueStatus.PARTIALLY_FILLED) {
      if (o.timeInForce() == TimeInForce.GTC) book.resting(o.side()).add(order);
      else order.status = VenueStatus.EXPIRED;
    }
  }

  private BigDecimal impactPrice(Book book, Side side, BigDecimal touch, BigDecimal quantity) {
    return impactPrice(book.rule, settings.impactBpsPerTouch(), side, touch, quantity);
  }

  /**
   * The simulator's market-order price: the touch moved against the taker by {@code impactBpsPerTouch}
   * for every touch size traded, rounded to the tick against the taker. Shared with shadow fills.
   */
  public static BigDecimal impactPrice(SymbolRule rule, BigDecimal impactBpsPerTouch, Side side, BigDecimal touch, BigDecimal quantity) {
    BigDecimal bps = impactBpsPerTouch.multiply(quantity).divide(rule.touchQty(), 8, RoundingMode.HALF_UP);
    BigDecimal move = touch.multiply(bps).divide(TEN_THOUSAND, 12, RoundingMode.HALF_UP);
    BigDecimal raw = side == Side.BUY ? touch.add(move) : touch.subtract(move);
    RoundingMode mode = side == Side.BUY ? RoundingMode.CEILING : RoundingMode.FLOOR;
    // a SELL large enough to walk the price through zero trades at the lowest price there is: one tick
    return raw.divide(rule.tickSize(), 0, mode).multiply(rule.tickSize()).max(rule.tickSize());
  }

  /** One price step and matching round; package-private so tests drive it deterministically. */
  void tick() {
    List<VenueOrderReport> reports = new ArrayList<>();
    List<CompletableFuture<Void>> durable = new ArrayList<>();
    for (Book book : books.values()) {
      synchronized (book) {
        book.step(clock.instant());
        for (Side side : Side.values()) {
          // best price first: the scan ends at the first order the quote does not cross
          List<SimOrder> resting = book.resting(side).orders;
          for (int i = 0; i < resting.size(); ) {
            SimOrder order = resting.get(i);
            BigDecimal limit = order.order.price();
            boolean crosses = side == Side.BUY ? limit.compareTo(book.quote.ask()) >= 0 : limit.compareTo(book.quote.bid()) <= 0;
            if (!crosses) break;
            // a crossed resting order trades at its limit or better
            BigDecimal price = side == Side.BUY ? limit.min(book.quote.ask()) : limit.max(book.quote.bid());
            order.fill(price, order.remaining().min(book.rule.touchQty()));
            if (order.status == VenueStatus.FILLED) {
              resting.remove(i);
              forgetOldFinalOrders(order);
            } else {
              i++;
            }
            VenueOrderReport report = order.report();
            reports.add(report);
            durable.add(orderLog.changed(report));
          }
        }
      }
    }
    if (!reports.isEmpty()) deliverWhenDurable(reports, CompletableFuture.allOf(durable.toArray(CompletableFuture[]::new)));
  }

  /** Listeners hear a tick's reports after the ones before them, and only once they are durable. */
  private synchronized void deliverWhenDurable(List<VenueOrderReport> reports, CompletableFuture<Void> durable) {
    if (delivered.isDone() && durable.isDone()) {
      if (!durable.isCompletedExceptionally()) notifyListeners(reports);
      return;
    }
    delivered = delivered.thenCombine(durable, (a, b) -> b).handleAsync((ok, error) -> {
      if (error == null) notifyListeners(reports);
      else log.warn("event=venue_sim_reports_not_delivered count={} reason=not_durable error=\"{}\"", reports.size(), error.toString());
      return null;
    }, system.executionContext());
  }

  private void notifyListeners(List<VenueOrderReport> reports) {
    for (VenueOrderReport report : reports) {
      for (Consumer<VenueOrderReport> listener : listeners) listener.accept(report);
    }
  }

  private void forgetOldFinalOrders(SimOrder justFinal) {
    finalOrders.add(justFinal.order.clientOrderId());
    if (finalCount.incrementAndGet() > settings.rememberFinalOrders()) {
      String oldest = finalOrders.poll();
      if (oldest != null) {
        finalCount.decrementAndGet();
        ordersByClientId.remove(oldest);
        orderLog.forgotten(oldest);
      }
    }
  }

  private static final class Book {
    final SymbolRule rule;
    final Random random;
    final RestingOrders bids = new RestingOrders(Comparator.reverseOrder());
    final RestingOrders asks = new RestingOrders(Comparator.naturalOrder());
    double mid;
    volatile Quote quote;

    Book(SymbolRule rule, Random random, Instant now) {
      this.rule = rule;
      this.random = random;
      this.mid = rule.initialPrice().doubleValue();
      publish(now);
    }

    RestingOrders resting(Side side) {
      return side == Side.BUY ? bids : asks;
    }

    void step(Instant now) {
      mid *= 1 + random.nextGaussian() * rule.volatilityBps() / 10_000;
      publish(now);
    }

    private void publish(Instant now) {
      BigDecimal tick = rule.tickSize();
      BigDecimal bid = BigDecimal.valueOf(mid).divide(tick, 0, RoundingMode.FLOOR).multiply(tick);
      BigDecimal ask = bid.add(tick.multiply(BigDecimal.valueOf(rule.spreadTicks())));
      quote = new Quote(rule.symbol(), bid, ask, now);
    }
  }

  /** One side's resting orders, best price first and oldest first at a price (price-time priority). */
  private static final class RestingOrders {
    final List<SimOrder> orders = new ArrayList<>();
    /** Negative when the first price is better than the second. */
    final Comparator<BigDecimal> better;

    RestingOrders(Comparator<BigDecimal> better) {
      this.better = better;
    }

    /** After every order priced at least as well. */
    void add(SimOrder order) {
      int lo = 0;
      int hi = orders.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (better.compare(orders.get(mid).order.price(), order.order.price()) <= 0) lo = mid + 1;
        else hi = mid;
      }
      orders.add(lo, order);
    }

    void remove(SimOrder order) {
      orders.remove(order);
    }
  }

  private final class SimOrder {
    final VenueOrder order;
    final Book book;
    final String venueOrderId;
    final List<Fill> fills = new ArrayList<>();
    CompletableFuture<Void> created = DONE;
    VenueStatus status = VenueStatus.NEW;
    BigDecimal executed = BigDecimal.ZERO;
    Instant time;

    SimOrder(VenueOrder order, Book book, String venueOrderId, Instant time) {
      this.order = order;
      this.book = book;
      this.venueOrderId = venueOrderId;
      this.time = time;
    }

    BigDecimal remaining() {
      return order.quantity().subtract(executed);
    }

    void fill(BigDecimal price, BigDecimal quantity) {
      time = clock.instant();
      BigDecimal fee = price.multiply(quantity).multiply(settings.feeRate()).setScale(8, RoundingMode.HALF_UP);
      fills.add(new Fill(tradeIdPrefix + tradeIds.incrementAndGet(), price, quantity, fee, book.rule.quoteAsset(), time));
      executed = executed.add(quantity);
      status = executed.compareTo(order.quantity()) >= 0 ? VenueStatus.FILLED : VenueStatus.PARTIALLY_FILLED;
    }

    VenueOrderReport report() {
      return new VenueOrderReport(
          order.clientOrderId(), venueOrderId, order.symbol(), status, Collections.unmodifiableList(new ArrayList<>(fills)),
          status == VenueStatus.EXPIRED ? "no liquidity for " + order.timeInForce() : null, time,
          new Venue.VenueTerms(order.symbol(), order.side().name(), order.type().name(), order.quantity(), order.spec().price()));
    }
  }
}
