package io.sparkexec.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.CborSerializable;
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
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
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
    kit = book(3, 2);
  }

  /** The book has one persistence id: each test starts it on a cleared journal. */
  EventSourcedBehaviorTestKit<ShadowBook.Command, ShadowBook.Event, ShadowBook.State> book(int keep, int snapshotEvery) {
    var book = EventSourcedBehaviorTestKit.<ShadowBook.Command, ShadowBook.Event, ShadowBook.State>create(testKit.system(),
        ShadowBook.create(keep, snapshotEvery));
    book.clear();
    return book;
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

  @Test
  void restartRecoversAnEqualStateJournalOnly() {
    restartRecoversAnEqualState(book(3, 1000));
  }

  @Test
  void restartRecoversAnEqualStateFromASnapshot() {
    restartRecoversAnEqualState(kit);
  }

  /** Twins and plain orders past the bound; the twin index must come back with the kept orders. */
  private void restartRecoversAnEqualState(EventSourcedBehaviorTestKit<ShadowBook.Command, ShadowBook.Event, ShadowBook.State> book) {
    ShadowOrder r3Twin = order("r3", "r3");
    for (ShadowOrder o : List.of(order("r1", "r1"), order("p2", null), r3Twin, order("r4", "r4"), order("p5", null))) {
      long offset = o.twinOf() == null ? 0 : Long.parseLong(o.clientOrderId().substring(1));
      book.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(o, offset, replyTo));
    }
    ShadowBook.State before = book.getState();

    assertEquals(before, book.restart().state());
    assertEquals(List.of("r3", "r4", "p5"), book.getState().orders().stream().map(ShadowOrder::clientOrderId).toList());
    var kept = book.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("r3-again", "r3"), 3, replyTo));
    assertTrue(kept.hasNoEvents(), "r3's twin is kept: the stream's repeat is answered by it");
    assertEquals(r3Twin, kept.reply());
    var evicted = book.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("r1-again", "r1"), 1, replyTo));
    assertEquals(1, evicted.events().size(), "r1's twin left the book with its order: the index forgot it too");
  }

  /** Pekko recovers again from the empty state it was given once, after a failed write too: the write's event must not stay in it. */
  @Test
  void aFailedWriteLeavesNoTraceInTheStateRecoveredAfterIt() {
    kit.persistenceTestKit().failNextPersisted();
    var failed = kit.runCommand(new ShadowBook.Record(order("r1", "r1"), 1, testKit.<ShadowOrder>createTestProbe().ref()));
    assertTrue(failed.hasNoEvents());
    assertEquals(List.of(), failed.state().orders());
    assertEquals(1, kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("r1", "r1"), 1, replyTo)).events().size());
  }

  @Test
  void getRepliesWithACopyThatStaysAsItWas() {
    kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("o1", null), 0, replyTo));
    ShadowBook.State got = kit.<ShadowBook.State>runCommand(ShadowBook.Get::new).reply();
    kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("o2", null), 0, replyTo));
    assertEquals(List.of("o1"), got.orders().stream().map(ShadowOrder::clientOrderId).toList());
  }

  /** What the book journaled as a snapshot before its state became mutable. */
  record RecordShapedState(List<ShadowOrder> orders, long twinOffset) implements CborSerializable {}

  @Test
  void aSnapshotOfTheRecordShapedStateStillLoads() {
    ShadowOrder twin = order("r1", "r1");
    kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(order("p1", null), 0, replyTo));
    kit.<ShadowOrder>runCommand(replyTo -> new ShadowBook.Record(twin, 9, replyTo));
    RecordShapedState old = new RecordShapedState(kit.getState().orders(), 9);

    Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());
    Serializer serializer = serialization.findSerializerFor(old);
    ShadowBook.State loaded = (ShadowBook.State) serialization.deserialize(serializer.toBinary(old), serializer.identifier(),
        ShadowBook.State.class.getName()).get();
    assertEquals(kit.getState(), loaded);
    assertEquals(twin, loaded.twinOf("r1"), "the twin index is rebuilt from the orders");
  }
}
