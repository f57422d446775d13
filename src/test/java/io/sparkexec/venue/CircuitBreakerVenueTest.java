package io.sparkexec.venue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class CircuitBreakerVenueTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("CircuitBreakerVenueTest").build();

  private static Venue.VenueOrder order(String id) {
    return new Venue.VenueOrder(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE, BigDecimal.TEN);
  }

  private static <T> T now(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private CircuitBreakerVenue breaker(FakeVenue venue, Duration callTimeout, Duration reset) {
    return new CircuitBreakerVenue(venue, new CircuitBreakerVenue.Settings(2, callTimeout, reset, reset.multipliedBy(4)), testKit.system());
  }

  @Test
  void unknownOutcomesOpenTheBreakerWhichAnswersAtOnceThenHalfOpensAndCloses() throws Exception {
    FakeVenue venue = new FakeVenue();
    CircuitBreakerVenue breaker = breaker(venue, Duration.ofSeconds(30), Duration.ofMillis(300));

    for (int i = 0; i < 2; i++) {
      CompletableFuture<List<Venue.SubmitResult>> answer = breaker.submit(List.of(order("o" + i))).toCompletableFuture();
      venue.expectSubmit().answer().complete(List.of(new Venue.Unknown("o" + i, "connection reset")));
      assertInstanceOf(Venue.Unknown.class, now(answer).get(0));
    }
    // the breaker's listeners run on the dispatcher: its state shows a moment later
    await().atMost(Duration.ofSeconds(10)).until(() -> breaker.state() == CircuitBreakerVenue.State.OPEN);

    // open: answered without a venue call
    Venue.SubmitResult whileOpen = now(breaker.submit(List.of(order("x")))).get(0);
    assertInstanceOf(Venue.Unknown.class, whileOpen);
    assertTrue(((Venue.Unknown) whileOpen).error().contains("circuit breaker open"), whileOpen.toString());
    assertInstanceOf(Venue.CancelUnknown.class, now(breaker.cancel("BTCUSDT", "x")));
    assertEquals(0, venue.pendingCalls());

    await().atMost(Duration.ofSeconds(30)).until(() -> breaker.state() == CircuitBreakerVenue.State.HALF_OPEN);
    CompletableFuture<List<Venue.SubmitResult>> trial = breaker.submit(List.of(order("t"))).toCompletableFuture();
    Venue.VenueOrderReport report = new Venue.VenueOrderReport("t", "1", "BTCUSDT", Venue.VenueStatus.NEW, List.of(), null, java.time.Instant.now());
    venue.expectSubmit().answer().complete(List.of(new Venue.Acknowledged(report)));
    assertInstanceOf(Venue.Acknowledged.class, now(trial).get(0));
    await().atMost(Duration.ofSeconds(10)).until(() -> breaker.state() == CircuitBreakerVenue.State.CLOSED);
  }

  @Test
  void callsPastTheTimeoutCountAsFailuresAndRefusalsDoNot() throws Exception {
    FakeVenue venue = new FakeVenue();
    CircuitBreakerVenue breaker = breaker(venue, Duration.ofMillis(200), Duration.ofMinutes(10));

    for (int i = 0; i < 5; i++) {
      CompletableFuture<List<Venue.SubmitResult>> answer = breaker.submit(List.of(order("r" + i))).toCompletableFuture();
      venue.expectSubmit().answer().complete(List.of(new Venue.Refused("r" + i, "Filter failure: LOT_SIZE")));
      assertInstanceOf(Venue.Refused.class, now(answer).get(0));
    }
    assertEquals(CircuitBreakerVenue.State.CLOSED, breaker.state(), "refusals are the venue working");

    for (int i = 0; i < 2; i++) {
      Venue.SubmitResult r = now(breaker.submit(List.of(order("slow" + i)))).get(0); // the fake never answers
      assertInstanceOf(Venue.Unknown.class, r);
      venue.expectSubmit();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> breaker.state() == CircuitBreakerVenue.State.OPEN);
    boolean queryFailed = now(breaker.query("BTCUSDT", "q").handle((v, e) -> e != null));
    assertTrue(queryFailed, "a query fails at once while open");
    assertEquals(0, venue.pendingCalls());
  }

  @Test
  void afterCloseNothingCallsThrough() throws Exception {
    FakeVenue venue = new FakeVenue();
    CircuitBreakerVenue breaker = breaker(venue, Duration.ofSeconds(30), Duration.ofSeconds(1));
    breaker.close();
    assertInstanceOf(Venue.Unknown.class, now(breaker.submit(List.of(order("late")))).get(0));
    assertEquals(0, venue.pendingCalls());
  }
}
