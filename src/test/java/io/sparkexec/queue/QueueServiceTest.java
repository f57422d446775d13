package io.sparkexec.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.sparkexec.order.Rejection;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class QueueServiceTest {

  @JUnit5TestKit
  final ActorTestKit testKit = ActorTestKit.create("QueueServiceTest");

  /** The queue stashes while it persists; past the bound the service refuses instead of adding to the stash. */
  @Test
  void requestsPastTheInFlightBoundAreRefusedUntilAnAnswerFreesASlot() {
    TestProbe<DurableQueue.Command> queue = testKit.createTestProbe();
    DurableQueue.Settings settings = new DurableQueue.Settings("q", Duration.ofSeconds(10), Duration.ofHours(12), 3, 100, 1000, 1, 10, 100_000,
        Duration.ofSeconds(5), 10_000, 100, Duration.ofSeconds(1),
        Duration.ofSeconds(30));
    QueueService service = new QueueService(testKit.system(), queue.ref(), settings);

    CompletionStage<QueueService.Result> first = service.stats();
    DurableQueue.GetStats asked = queue.expectMessageClass(DurableQueue.GetStats.class);
    QueueService.Result refused = service.stats().toCompletableFuture().join();
    Rejection r = assertInstanceOf(QueueService.Refused.class, refused).rejection();
    assertEquals(Rejection.Kind.TOO_MANY, r.kind());
    assertEquals("TOO_MANY_IN_FLIGHT", r.code());

    asked.replyTo().tell(new DurableQueue.Stats(0, 0, 0, 0));
    assertInstanceOf(QueueService.Answered.class, first.toCompletableFuture().join());
    CompletionStage<QueueService.Result> next = service.stats();
    queue.expectMessageClass(DurableQueue.GetStats.class);
    assertFalse(next.toCompletableFuture().isDone());
  }
}
