package io.sparkexec.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
class ChaosVenueTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("ChaosVenueTest").build();

  private static final Duration TIMEOUT_AFTER = Duration.ofMillis(100);

  private FakeVenue fake;
  private final AtomicReference<ChaosSettings> settings = new AtomicReference<>();
  private ChaosVenue venue;

  @BeforeEach
  void freshVenue() {
    fake = new FakeVenue();
    settings.set(ChaosSettings.OFF);
    venue = new ChaosVenue(fake, settings::get, testKit.system(), TIMEOUT_AFTER);
  }

  private static Venue.VenueOrder order(String id, String symbol) {
    return new Venue.VenueOrder(id, symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE, BigDecimal.TEN);
  }

  private static Venue.VenueOrderReport report(String id) {
    return new Venue.VenueOrderReport(id, "V-" + id, "BTCUSDT", Venue.VenueStatus.NEW, List.of(), null, Instant.EPOCH);
  }

  private static ChaosSettings venueChaos(int errorPct, int latencyMs, int timeoutPct, List<String> symbols) {
    return new ChaosSettings(0, 0, errorPct, latencyMs, timeoutPct, 0, new ChaosSettings.Scope(List.of(), symbols));
  }

  private static <T> T result(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void offPassesEveryCallAndAnswerThrough() throws Exception {
    CompletionStage<List<Venue.SubmitResult>> submitted = venue.submit(List.of(order("a", "BTCUSDT")));
    Venue.SubmitResult ack = new Venue.Acknowledged(report("a"));
    fake.expectSubmit().answer().complete(List.of(ack));
    assertEquals(List.of(ack), result(submitted));

    fake.venueOpenOrders.add(report("b"));
    assertEquals(List.of(report("b")), result(venue.openOrders()));
    assertTrue(venue.isSimulator());
  }

  @Test
  void errorsAnswerAsATransportFailureWouldWithoutReachingTheVenue() throws Exception {
    settings.set(venueChaos(100, 0, 0, List.of()));

    List<Venue.SubmitResult> results = result(venue.submit(List.of(order("a", "BTCUSDT"), order("b", "BTCUSDT"))));
    assertEquals(List.of(new Venue.Unknown("a", ChaosVenue.INJECTED_ERROR), new Venue.Unknown("b", ChaosVenue.INJECTED_ERROR)), results);
    assertEquals(new Venue.CancelUnknown(ChaosVenue.INJECTED_ERROR), result(venue.cancel("BTCUSDT", "a")));
    ExecutionException queryFailed = assertThrows(ExecutionException.class, () -> result(venue.query("BTCUSDT", "a")));
    assertInstanceOf(IOException.class, queryFailed.getCause());
    assertEquals(0, fake.pendingCalls(), "an injected error never reaches the venue");
  }

  @Test
  void aTimeoutReachesTheVenueAndLosesItsAnswer() throws Exception {
    settings.set(venueChaos(0, 0, 100, List.of()));

    CompletionStage<List<Venue.SubmitResult>> submitted = venue.submit(List.of(order("a", "BTCUSDT")));
    fake.expectSubmit().answer().complete(List.of(new Venue.Acknowledged(report("a")))); // the venue took it
    assertEquals(List.of(new Venue.Unknown("a", ChaosVenue.LOST_RESPONSE)), result(submitted));

    CompletionStage<Venue.CancelResult> canceled = venue.cancel("BTCUSDT", "a");
    fake.expectCancel().answer().complete(new Venue.Canceled(report("a")));
    assertEquals(new Venue.CancelUnknown(ChaosVenue.LOST_RESPONSE), result(canceled));

    CompletionStage<Optional<Venue.VenueOrderReport>> queried = venue.query("BTCUSDT", "a");
    fake.expectQuery().answer().complete(Optional.of(report("a")));
    ExecutionException lost = assertThrows(ExecutionException.class, () -> result(queried));
    assertInstanceOf(TimeoutException.class, lost.getCause());
  }

  @Test
  void latencyHoldsTheCallOnATimerNotOnTheCallersThread() throws Exception {
    settings.set(venueChaos(0, 2_000, 0, List.of()));

    long start = System.nanoTime();
    CompletionStage<List<Venue.SubmitResult>> submitted = venue.submit(List.of(order("a", "BTCUSDT")));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(1).toNanos(), "submit returned at once");
    assertEquals(0, fake.pendingCalls(), "the call waits for its added latency before it leaves");
    assertFalse(submitted.toCompletableFuture().isDone());

    FakeVenue.SubmitCall call = fake.expectSubmit();
    assertTrue(System.nanoTime() - start >= Duration.ofMillis(2_000).toNanos(), "the latency was added");
    call.answer().complete(List.of(new Venue.Acknowledged(report("a"))));
    assertInstanceOf(Venue.Acknowledged.class, result(submitted).get(0));
  }

  @Test
  void scopeBySymbolLeavesOtherSymbolsAlone() throws Exception {
    settings.set(venueChaos(100, 0, 0, List.of("ETHUSDT")));

    CompletionStage<List<Venue.SubmitResult>> btc = venue.submit(List.of(order("a", "BTCUSDT")));
    fake.expectSubmit().answer().complete(List.of(new Venue.Acknowledged(report("a"))));
    assertInstanceOf(Venue.Acknowledged.class, result(btc).get(0));
    CompletableFuture<Venue.CancelResult> btcCancel = venue.cancel("BTCUSDT", "a").toCompletableFuture();
    fake.expectCancel().answer().complete(new Venue.Canceled(report("a")));
    assertInstanceOf(Venue.Canceled.class, result(btcCancel));

    assertEquals(List.of(new Venue.Unknown("e", ChaosVenue.INJECTED_ERROR)), result(venue.submit(List.of(order("e", "ETHUSDT")))));
    await().atMost(Duration.ofSeconds(1)).until(() -> fake.pendingCalls() == 0);
  }

  @Test
  void executionReportsReachTheListenersThroughTheDecorator() {
    AtomicReference<Venue.VenueOrderReport> heard = new AtomicReference<>();
    venue.onExecutionReport(heard::set);
    fake.push(report("x"));
    assertEquals(report("x"), heard.get());
  }
}
