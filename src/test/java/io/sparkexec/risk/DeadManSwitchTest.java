package io.sparkexec.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Timers on manual time: the test moves time, so nothing depends on how busy the machine is. */
@ExtendWith(TestKitJUnit5Extension.class)
class DeadManSwitchTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("DeadManSwitchTest").withCustomConfig(ManualTime.config()).build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  final ManualTime time = ManualTime.get(testKit.system());
  final TestProbe<String> canceled = testKit.createTestProbe();
  final List<SystemEvents.SystemEvent> events = new CopyOnWriteArrayList<>();

  ActorRef<DeadManSwitch.Command> deadMan() {
    SystemEvents systemEvents = new SystemEvents();
    systemEvents.subscribe(events::add);
    return testKit.spawn(DeadManSwitch.create(Clock.fixed(NOW, ZoneOffset.UTC), strategy -> {
      canceled.ref().tell(strategy);
      return CompletableFuture.completedFuture(3);
    }, systemEvents));
  }

  DeadManSwitch.Armed heartbeat(ActorRef<DeadManSwitch.Command> d, String strategy, long ms) {
    TestProbe<DeadManSwitch.Armed> reply = testKit.createTestProbe();
    d.tell(new DeadManSwitch.Heartbeat(strategy, Duration.ofMillis(ms), "trader", reply.ref()));
    return reply.receiveMessage();
  }

  @Test
  void silenceForTheWindowCancelsTheStrategysOpenOrdersOnceAndTellsTheSystemChannel() {
    var d = deadMan();
    assertEquals(new DeadManSwitch.Armed("alpha", 1000, NOW.plusMillis(1000)), heartbeat(d, "alpha", 1000));
    time.timePasses(Duration.ofMillis(999));
    canceled.expectNoMessage(Duration.ZERO);
    time.timePasses(Duration.ofMillis(1));
    assertEquals("alpha", canceled.receiveMessage());
    time.timePasses(Duration.ofSeconds(10));
    canceled.expectNoMessage(Duration.ofMillis(50));
    org.awaitility.Awaitility.await().until(() -> events.size() == 1);
    assertEquals("dead_man_triggered", events.get(0).type());
    assertEquals("alpha", events.get(0).strategy());
    assertEquals(3, events.get(0).details().get("canceledOrders"));
  }

  @Test
  void eachHeartbeatRestartsTheWindowAndStrategiesAreIndependent() {
    var d = deadMan();
    heartbeat(d, "alpha", 1000);
    heartbeat(d, "beta", 3000);
    for (int i = 0; i < 3; i++) {
      time.timePasses(Duration.ofMillis(800));
      heartbeat(d, "alpha", 1000);
    }
    canceled.expectNoMessage(Duration.ZERO);
    time.timePasses(Duration.ofMillis(600));
    assertEquals("beta", canceled.receiveMessage(), "beta: no heartbeat for 3 s");
    time.timePasses(Duration.ofMillis(399));
    canceled.expectNoMessage(Duration.ZERO);
    time.timePasses(Duration.ofMillis(1));
    assertEquals("alpha", canceled.receiveMessage(), "alpha: 1 s after its last heartbeat at 2.4 s");
  }

  @Test
  void aZeroWindowDisarms() {
    var d = deadMan();
    heartbeat(d, "alpha", 1000);
    DeadManSwitch.Armed disarmed = heartbeat(d, "alpha", 0);
    assertNull(disarmed.deadline());
    time.timePasses(Duration.ofSeconds(5));
    canceled.expectNoMessage(Duration.ofMillis(50));
  }
}
