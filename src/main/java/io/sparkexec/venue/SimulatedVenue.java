package io.sparkexec.venue;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
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

  private final Settings settings;
  private final Map<String, Book> books;
  private final Map<String, SimOrder> ordersByClientId = new ConcurrentHashMap<>();
  private final List<Consumer<VenueOrderReport>> listeners = new CopyOnWriteArrayList<>();
  // final orders are forgotten oldest first past settings.rememberFinalOrders: bounded memory
  private final ConcurrentLinkedQueue<String> finalOrders = new ConcurrentLinkedQueue<>();
  private final AtomicInteger finalCount = new AtomicInteger();
  private final AtomicLong venueOrderIds = new AtomicLong();
  private final AtomicLong tradeIds = new AtomicLong();
  // ids stay unique across restarts of the simulator, so fills are never mistaken for old ones
  private final String runId;
  private final ActorSystem<?> system;
  private final Clock clock;
  private Cancellable ticker;

  /** The system's scheduler drives the price feed and the ack latency; nothing here blocks. */
  public SimulatedVenue(Settings settings, Map<String, SymbolRule> rules, ActorSystem<?> system, Clock clock) {
    this.settings = settings;
    this.system = system;
    this.clock = clock;
    this.runId = Long.toString(clock.millis(), 36);
    Map<String, Book> b = new ConcurrentHashMap<>();
    long i = 0;
    for (SymbolRule rule : rules.values()) {
      b.put(rule.symbol(), new Book(rule, new Random(settings.seed() + 31 * i++), clock.instant()));
    }
    this.books = Map.copyOf(b);
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
    List<SubmitResult> results = new ArrayList<>(orders.size());
    for (VenueOrder order : orders) results.add(place(order));
    return afterLatency(() -> results);
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    SimOrder order = ordersByClientId.get(clientOrderId);
    CancelResult result;
    if (order == null || !order.order.symbol().equals(symbol)) {
      result = new CancelRefused("unknown order", null);
    } else {
      synchronized (order.book) {
        if (order.status.isFinal()) {
          result = new CancelRefused("order is " + order.status, order.report());
        } else {
          order.status = VenueStatus.CANCELED;
          order.book.resting.remove(order);
          result = new Canceled(order.report());
          forgetOldFinalOrders(order);
        }
      }
    }
    return afterLatency(() -> result);
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
    List<VenueOrderReport> open = new ArrayList<>();
    for (SimOrder order : ordersByClientId.values()) {
      synchronized (order.book) {
        if (!order.status.isFinal()) open.add(order.report());
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

  private SubmitResult place(VenueOrder o) {
    Book book = books.get(o.symbol());
    if (book == null) return new Refused(o.clientOrderId(), "unknown symbol " + o.symbol());
    synchronized (book) {
      SimOrder existing = ordersByClientId.get(o.clientOrderId());
      if (existing != null) return new Acknowledged(existing.report());
      SymbolRule.Violation violation = book.rule.violation(o.quantity(), o.price(), book.quote.touch(o.side()));
      if (violation != null) return new Refused(o.clientOrderId(), violation.code() + ": " + violation.message());
      SimOrder order = new SimOrder(o, book, "SIM-" + runId + "-" + venueOrderIds.incrementAndGet(), clock.instant());
      ordersByClientId.put(o.clientOrderId(), order);
      execute(order);
      if (order.status.isFinal()) forgetOldFinalOrders(order);
      return new Acknowledged(order.report());
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
      if (o.timeInForce() == TimeInForce.GTC) book.resting.add(order);
      else order.status = VenueStatus.EXPIRED;
      return;
    }
    order.fill(touch, o.quantity().min(available));
    if (order.status == VenueStatus.PARTIALLY_FILLED) {
      if (o.timeInForce() == TimeInForce.GTC) book.resting.add(order);
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
    return raw.divide(rule.tickSize(), 0, mode).multiply(rule.tickSize());
  }

  /** One price step and matching round; package-private so tests drive it deterministically. */
  void tick() {
    List<VenueOrderReport> reports = new ArrayList<>();
    for (Book book : books.values()) {
      synchronized (book) {
        book.step(clock.instant());
        for (Iterator<SimOrder> it = book.resting.iterator(); it.hasNext(); ) {
          SimOrder order = it.next();
          VenueOrder o = order.order;
          boolean crosses = o.side() == Side.BUY ? o.price().compareTo(book.quote.ask()) >= 0 : o.price().compareTo(book.quote.bid()) <= 0;
          if (!crosses) continue;
          // a crossed resting order trades at its limit or better
          BigDecimal price = o.side() == Side.BUY ? o.price().min(book.quote.ask()) : o.price().max(book.quote.bid());
          order.fill(price, order.remaining().min(book.rule.touchQty()));
          if (order.status == VenueStatus.FILLED) {
            it.remove();
            forgetOldFinalOrders(order);
          }
          reports.add(order.report());
        }
      }
    }
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
      }
    }
  }

  private static final class Book {
    final SymbolRule rule;
    final Random random;
    final List<SimOrder> resting = new ArrayList<>();
    double mid;
    volatile Quote quote;

    Book(SymbolRule rule, Random random, Instant now) {
      this.rule = rule;
      this.random = random;
      this.mid = rule.initialPrice().doubleValue();
      publish(now);
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

  private final class SimOrder {
    final VenueOrder order;
    final Book book;
    final String venueOrderId;
    final List<Fill> fills = new ArrayList<>();
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
      fills.add(new Fill("T" + runId + "-" + tradeIds.incrementAndGet(), price, quantity, fee, book.rule.quoteAsset(), time));
      executed = executed.add(quantity);
      status = executed.compareTo(order.quantity()) >= 0 ? VenueStatus.FILLED : VenueStatus.PARTIALLY_FILLED;
    }

    VenueOrderReport report() {
      return new VenueOrderReport(
          order.clientOrderId(), venueOrderId, order.symbol(), status, Collections.unmodifiableList(new ArrayList<>(fills)),
          status == VenueStatus.EXPIRED ? "no liquidity for " + order.timeInForce() : null, time);
    }
  }
}
