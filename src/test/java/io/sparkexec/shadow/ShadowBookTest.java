package io.sparkexec.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class ShadowBookTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("ShadowBookTest").withCustomConfig(EventSourcedBehaviorTestKit.config()
      .withFallback(ConfigFactory.parseString("pekko.actor.serialization-bindings { \"io.sparkexec.CborSerializable\" = jackson-cbor }"))).build();

  EventSourcedBehaviorTestKit<ShadowBook.Command, ShadowBook.Event, ShadowBook.State> kit;

  @BeforeEach
  void fresh() {
    // keep 3, snapshot every 2: the restart recovers from a snapshot plus an event
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), ShadowBook.create(3, 2));
    kit.clear();
    kit.restart();
  }

  static ShadowOrder order(String id, String twinOf) {
    return new ShadowOrder("s-" + id, twinOf == null ? ShadowOrder.REQUEST : ShadowOrder.TWIN, twinOf, id, "alpha", "BTCUSDT", Side.BUY,
        OrderType.MARKET, TimeInForce.IOC, BigDecimal.ONE, null, new BigDecimal("100"), List.of(new ShadowFill.Fill(new BigDecimal("100.01"),
        BigDecimal.ONE)), BigDecimal.ONE, new BigDecimal("100.01"), ShadowFill.Status.FILLED, new BigDecimal("1"), 4, Instant.EPOCH);
  }

  @Test
  void aRealOrderHasOneTwinEvenWhenTheStreamDeliversItAgain() {
    ShadowOrder first = order("r1", "r1");
    var recorded = kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(first, 7, replyTo));
    assertEquals(new ShadowBook.ShadowRecorded(first, 7), recorded.event());
    var again = kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("r1-again", "r1"), 7, replyTo));
    assertTrue(again.hasNoEvents());
    assertEquals(first, again.reply());
    assertEquals(7, kit.getState().twinOffset());
  }

  @Test
  void keepsTheLatestOrdersAndSurvivesARestart() {
    for (int i = 1; i <= 5; i++) {
      ShadowOrder o = order("o" + i, i % 2 == 0 ? "o" + i : null);
      long offset = i % 2 == 0 ? i : 0;
      kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(o, offset, replyTo));
    }
    ShadowBook.State before = kit.getState();
    assertEquals(List.of("o3", "o4", "o5"), before.orders().stream().map(ShadowOrder::clientOrderId).toList());
    assertEquals(4, before.twinOffset(), "the offset of the last twin, not of a plain shadow order");

    kit.restart();

    assertEquals(before, kit.getState());
  }
}
