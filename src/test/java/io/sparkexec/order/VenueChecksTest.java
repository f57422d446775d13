package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.venue.FakeVenue;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** Many orders checking at once reach the venue a bounded number at a time, and every one gets its answer. */
class VenueChecksTest {

  @Test
  void atMostParallelismQueriesInFlightTheRestWaitTheirTurn() {
    FakeVenue venue = new FakeVenue();
    VenueChecks checks = new VenueChecks(venue, 2);
    List<CompletionStage<?>> answers = new ArrayList<>();
    for (int i = 0; i < 5; i++) answers.add(checks.query("BTCUSDT", "c" + i));
    assertEquals(2, venue.pendingCalls(), "more than the bound in flight");

    venue.expectQuery().answer().complete(Optional.empty());
    assertEquals(2, venue.pendingCalls(), "a finished query must let exactly one waiting query start");
    venue.expectQuery().answer().completeExceptionally(new RuntimeException("down"));
    for (int i = 0; i < 3; i++) venue.expectQuery().answer().complete(Optional.empty());
    assertEquals(0, venue.pendingCalls());
    CompletableFuture.allOf(answers.stream().map(a -> a.toCompletableFuture().exceptionally(e -> null)).toArray(CompletableFuture[]::new))
        .join();
    assertTrue(answers.get(1).toCompletableFuture().isCompletedExceptionally(), "the failure reaches its own caller");
    assertEquals(4, answers.stream().filter(a -> !a.toCompletableFuture().isCompletedExceptionally()).count());
  }
}
