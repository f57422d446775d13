package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A venue whose every answer the test gives by hand: each call is recorded with an open
 * future, and the test completes (or fails) it when it wants the caller to see the answer.
 */
public final class FakeVenue implements Venue, MarketData {

  public record SubmitCall(List<VenueOrder> orders, CompletableFuture<List<SubmitResult>> answer) {}

  public record CancelCall(String symbol, String clientOrderId, CompletableFuture<CancelResult> answer) {}

  public record QueryCall(String symbol, String clientOrderId, CompletableFuture<Optional<VenueOrderReport>> answer) {}

  private final BlockingQueue<SubmitCall> submits = new LinkedBlockingQueue<>();
  private final BlockingQueue<CancelCall> cancels = new LinkedBlockingQueue<>();
  private final BlockingQueue<QueryCall> queries = new LinkedBlockingQueue<>();
  private final Map<String, Quote> quotes = new ConcurrentHashMap<>();
  private final List<Consumer<VenueOrderReport>> listeners = new CopyOnWriteArrayList<>();

  public FakeVenue withQuote(String symbol, String bid, String ask) {
    quotes.put(symbol, new Quote(symbol, new BigDecimal(bid), new BigDecimal(ask), Instant.EPOCH));
    return this;
  }

  @Override
  public Quote quote(String symbol) {
    return quotes.get(symbol);
  }

  @Override
  public CompletionStage<List<SubmitResult>> submit(List<VenueOrder> orders) {
    SubmitCall call = new SubmitCall(List.copyOf(orders), new CompletableFuture<>());
    submits.add(call);
    return call.answer();
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    CancelCall call = new CancelCall(symbol, clientOrderId, new CompletableFuture<>());
    cancels.add(call);
    return call.answer();
  }

  @Override
  public CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId) {
    QueryCall call = new QueryCall(symbol, clientOrderId, new CompletableFuture<>());
    queries.add(call);
    return call.answer();
  }

  /** What {@link #openOrders()} answers; tests set it to play a venue holding orders of its own. */
  public final List<VenueOrderReport> venueOpenOrders = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<List<VenueOrderReport>> openOrders() {
    return CompletableFuture.completedFuture(List.copyOf(venueOpenOrders));
  }

  @Override
  public void onExecutionReport(Consumer<VenueOrderReport> listener) {
    listeners.add(listener);
  }

  /** Pushes an unsolicited execution report to every listener, as a venue does. */
  public void push(VenueOrderReport report) {
    listeners.forEach(l -> l.accept(report));
  }

  @Override
  public boolean isSimulator() {
    return true;
  }

  public SubmitCall expectSubmit() {
    return next(submits, "submit");
  }

  public CancelCall expectCancel() {
    return next(cancels, "cancel");
  }

  public QueryCall expectQuery() {
    return next(queries, "query");
  }

  /** Calls made and not yet taken by an expect method. */
  public int pendingCalls() {
    return submits.size() + cancels.size() + queries.size();
  }

  public boolean noPendingQuery() {
    return queries.isEmpty();
  }

  private static <T> T next(BlockingQueue<T> calls, String what) {
    try {
      T call = calls.poll(5, TimeUnit.SECONDS);
      assertNotNull(call, "expected a venue " + what + " call within 5 s");
      return call;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(e);
    }
  }
}
