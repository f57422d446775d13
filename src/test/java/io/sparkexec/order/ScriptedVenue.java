package io.sparkexec.order;

import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.Venue;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A venue that outlives executor restarts and that the test steers: it can be unreachable
 * (every call fails, as a dead link does), lose its answers (a submit creates the order but
 * the caller hears nothing back, and no other call gets an answer either), and change orders behind the executor's back (fills, cancels, orders
 * of its own). Unlike {@link io.sparkexec.venue.FakeVenue} it answers by itself, so a whole
 * executor can run against it.
 */
final class ScriptedVenue implements Venue, MarketData {

  private final Map<String, VenueOrderReport> orders = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> created = new ConcurrentHashMap<>();
  private final AtomicInteger venueIds = new AtomicInteger();
  private volatile boolean unreachable;
  private volatile boolean loseAnswers;

  void unreachable(boolean value) {
    unreachable = value;
  }

  void loseAnswers(boolean value) {
    loseAnswers = value;
  }

  /** How many times the venue created an order under this clientOrderId (a second submit is deduped). */
  int created(String clientOrderId) {
    AtomicInteger n = created.get(clientOrderId);
    return n == null ? 0 : n.get();
  }

  Optional<VenueOrderReport> order(String clientOrderId) {
    return Optional.ofNullable(orders.get(clientOrderId));
  }

  void fillCompletely(String clientOrderId, BigDecimal quantity) {
    orders.computeIfPresent(clientOrderId, (id, r) -> new VenueOrderReport(id, r.venueOrderId(), r.symbol(), VenueStatus.FILLED,
        List.of(new Fill("T-" + id, new BigDecimal("100.00"), quantity, BigDecimal.ZERO, "USDT", Instant.now())), null, Instant.now()));
  }

  void cancelHere(String clientOrderId) {
    orders.computeIfPresent(clientOrderId, (id, r) -> withStatus(r, VenueStatus.CANCELED));
  }

  /** An order placed at the venue by someone else (another tool, a manual trade). */
  void addForeignOrder(String clientOrderId, String symbol) {
    orders.put(clientOrderId, new VenueOrderReport(clientOrderId, "V-" + venueIds.incrementAndGet(), symbol, VenueStatus.NEW, List.of(), null,
        Instant.now()));
  }

  @Override
  public CompletionStage<List<SubmitResult>> submit(List<VenueOrder> batch) {
    return CompletableFuture.completedFuture(batch.stream().map(o -> {
      if (unreachable) return (SubmitResult) new Unknown(o.clientOrderId(), "connection refused");
      VenueOrderReport report = orders.computeIfAbsent(o.clientOrderId(), id -> {
        created.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        return new VenueOrderReport(id, "V-" + venueIds.incrementAndGet(), o.symbol(), VenueStatus.NEW, List.of(), null, Instant.now());
      });
      return loseAnswers ? new Unknown(o.clientOrderId(), "read timeout") : new Acknowledged(report);
    }).toList());
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    if (unreachable || loseAnswers) return down();
    VenueOrderReport r = orders.get(clientOrderId);
    if (r == null) return CompletableFuture.completedFuture(new CancelRefused("unknown order", null));
    if (r.status().isFinal()) return CompletableFuture.completedFuture(new CancelRefused("order is " + r.status(), r));
    VenueOrderReport canceled = withStatus(r, VenueStatus.CANCELED);
    orders.put(clientOrderId, canceled);
    return CompletableFuture.completedFuture(new Canceled(canceled));
  }

  @Override
  public CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId) {
    return unreachable || loseAnswers ? down() : CompletableFuture.completedFuture(Optional.ofNullable(orders.get(clientOrderId)));
  }

  @Override
  public CompletionStage<List<VenueOrderReport>> openOrders() {
    return unreachable || loseAnswers ? down() : CompletableFuture.completedFuture(orders.values().stream().filter(r -> !r.status().isFinal()).toList());
  }

  @Override
  public void onExecutionReport(Consumer<VenueOrderReport> listener) {}

  @Override
  public boolean isSimulator() {
    return true;
  }

  @Override
  public Quote quote(String symbol) {
    return new Quote(symbol, new BigDecimal("99.99"), new BigDecimal("100.01"), Instant.now());
  }

  private static VenueOrderReport withStatus(VenueOrderReport r, VenueStatus status) {
    return new VenueOrderReport(r.clientOrderId(), r.venueOrderId(), r.symbol(), status, r.fills(), null, Instant.now());
  }

  private static <T> CompletionStage<T> down() {
    return CompletableFuture.failedFuture(new IOException("connection refused"));
  }
}
