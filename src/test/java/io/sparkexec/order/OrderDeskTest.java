package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.sparkexec.batch.Batcher;
import io.sparkexec.order.Order.Status;
import io.sparkexec.order.OrderDesk.ApplyVenueReport;
import io.sparkexec.order.OrderDesk.Cancel;
import io.sparkexec.order.OrderDesk.Command;
import io.sparkexec.order.OrderDesk.Conflict;
import io.sparkexec.order.OrderDesk.Event;
import io.sparkexec.order.OrderDesk.Found;
import io.sparkexec.order.OrderDesk.Get;
import io.sparkexec.order.OrderDesk.ListOpen;
import io.sparkexec.order.OrderDesk.NotFound;
import io.sparkexec.order.OrderDesk.NotOpen;
import io.sparkexec.order.OrderDesk.OpenOrders;
import io.sparkexec.order.OrderDesk.OrderAccepted;
import io.sparkexec.order.OrderDesk.OrderAcknowledged;
import io.sparkexec.order.OrderDesk.OrderCanceled;
import io.sparkexec.order.OrderDesk.OrderExpired;
import io.sparkexec.order.OrderDesk.OrderFilled;
import io.sparkexec.order.OrderDesk.OrderInDoubt;
import io.sparkexec.order.OrderDesk.OrderRejected;
import io.sparkexec.order.OrderDesk.Place;
import io.sparkexec.order.OrderDesk.Reconcile;
import io.sparkexec.order.OrderDesk.Reconciled;
import io.sparkexec.order.OrderDesk.Reply;
import io.sparkexec.order.OrderDesk.State;
import io.sparkexec.order.OrderRequest.RespType;
import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import io.sparkexec.venue.Venue.VenueStatus;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.ReadEvents;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The order desk, one symbol's event-sourced writer, on real (fast) time: each test runs its own
 * desk (its own symbol, so its own journal) with several orders on it, a fake venue the test
 * answers by hand, a probe in the batcher's place, and the class's {@link OrderIndex}.
 *
 * <p>A place or a venue answer does not persist at once: it joins the write buffer and the desk's
 * own {@code Flush} writes it. So events are read from the journal ({@link Fixture#awaitJournal})
 * or an order from a {@code Get} ({@link Fixture#awaitOrder}, answered from the journaled state),
 * never from the command's own result.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class OrderDeskTest {

  // an in-doubt order the venue cannot be asked about is never given up within a test
  static final Duration NEVER = Duration.ofHours(1);

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("OrderDeskTest")
      .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ActorTestKit.applicationTestConfig()))
      .build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final Instant RECEIVED = NOW.minusMillis(5);
  static final Instant SENT = NOW.minusMillis(2);
  static final BigDecimal QTY = new BigDecimal("2");
  static final BigDecimal PRICE = new BigDecimal("100.00");
  static final BigDecimal ASK = new BigDecimal("100.10");
  /** Every order of the fixture's requests; each of its events carries it. */
  static final String STRATEGY = "s1";
  static final Duration WAIT = Duration.ofSeconds(5);
  static final OrderDesk.Settings SETTINGS = new OrderDesk.Settings(8, 1000, 16);
  private static final AtomicInteger desks = new AtomicInteger();

  @TempDir
  static Path indexDir;
  OrderIndex index;

  @BeforeAll
  void openIndex() {
    index = OrderIndex.open(indexDir.toFile(),
        JacksonObjectMapperProvider.get(testKit.system()).getOrCreate("jackson-cbor", Optional.of(new CBORFactory())));
  }

  @AfterAll
  void closeIndex() {
    index.close();
  }

  /** One desk under test: its own symbol (so its own journal), probes and fake venue. */
  final class Fixture {
    final String symbol = "SYM" + desks.incrementAndGet();
    final String deskId;
    final FakeVenue venue = new FakeVenue().withQuote(symbol, "99.90", "100.10");
    final TestProbe<Batcher.Command> batcher = testKit.createTestProbe();
    final TestProbe<Reply> client = testKit.createTestProbe();
    final OrderDesk.Deps deps;
    final EventSourcedBehaviorTestKit<Command, Event, State> kit;
    private int orders;

    Fixture() {
      this(SETTINGS, NEVER, false, true);
    }

    Fixture(OrderDesk.Settings settings) {
      this(settings, NEVER, false, true);
    }

    /**
     * Checks in doubt at once (interval zero). Without the behavior test kit for a desk the test
     * spawns itself (its journal is the same in-memory one).
     */
    Fixture(OrderDesk.Settings settings, Duration giveUpAfter, boolean synthetic, boolean withKit) {
      deskId = synthetic ? OrderDesk.SYNTHETIC_PREFIX + symbol : symbol;
      deps = new OrderDesk.Deps(venue, s -> batcher.ref(), venue, new VenueChecks(venue, 4), index, CLOCK,
          new OrderDesk.InDoubt(Duration.ZERO, Duration.ZERO, Duration.ZERO, giveUpAfter), settings);
      // the state is a mutable class without equals: its serialization is not what is under test
      kit = withKit
          ? EventSourcedBehaviorTestKit.create(testKit.system(), OrderDesk.create(deskId, deps),
              EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false))
          : null;
    }

    String newId() {
      return symbol + "-o" + (++orders);
    }

    String persistenceId() {
      return PersistenceId.of(OrderDesk.ENTITY_KEY.name(), deskId).id();
    }

    OrderRequest request(String id, RespType respType) {
      return new OrderRequest(id, symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, STRATEGY, respType);
    }

    OrderAccepted accepted(String id) {
      return new OrderAccepted(id, request(id, RespType.ACCEPTED).spec(), ASK, RECEIVED, NOW);
    }

    Venue.VenueOrder venueOrder(String id, BigDecimal quantity) {
      return new Venue.VenueOrder(id, request(id, RespType.ACCEPTED).spec().withQuantity(quantity));
    }

    /** Places the order (answering {@link #client}) and takes the batch the batcher got: that order alone. */
    Batcher.SubmitBatch place(String id, RespType respType) {
      kit.runCommand(new Place(request(id, respType), RECEIVED, client.ref()));
      Batcher.SubmitBatch submit = expectSubmit(id, QTY);
      assertEquals(List.of(accepted(id)), journalOf(id));
      assertEquals(Status.ACCEPTED, order(id).status());
      assertEquals(Status.ACCEPTED, index.find(id).orElseThrow().status(), "indexed once journaled");
      return submit;
    }

    Batcher.SubmitBatch expectSubmit(String id, BigDecimal quantity) {
      Batcher.SubmitBatch submit = batcher.expectMessageClass(Batcher.SubmitBatch.class, WAIT);
      assertEquals(List.of(venueOrder(id, quantity)), submit.orders());
      return submit;
    }

    /** Places and has the venue acknowledge the order with nothing filled. */
    String placeAndAck() {
      String id = newId();
      Batcher.SubmitBatch submit = place(id, RespType.ACKNOWLEDGED);
      answer(submit, new Venue.Acknowledged(report(id, VenueStatus.NEW)));
      assertEquals(Status.ACKNOWLEDGED, foundOn(client).status());
      assertEquals(Status.ACKNOWLEDGED, index.find(id).orElseThrow().status());
      return id;
    }

    /** A client's cancel of the order; its answer arrives on the probe. */
    TestProbe<Reply> cancel(String id) {
      TestProbe<Reply> canceller = testKit.createTestProbe();
      kit.runCommand(new Cancel(id, canceller.ref()));
      return canceller;
    }

    /** The way the batcher answers: one message for the venue call, through the desk's adapter. */
    void answer(Batcher.SubmitBatch submit, Venue.SubmitResult... results) {
      submit.replyTo().tell(new Batcher.Outcomes(SENT, List.of(results)));
    }

    Venue.VenueOrderReport report(String id, VenueStatus status, Venue.Fill... fills) {
      return new Venue.VenueOrderReport(id, "V-" + id, symbol, status, List.of(fills), null, NOW);
    }

    void report(Venue.VenueOrderReport report) {
      kit.runCommand(new ApplyVenueReport(report));
    }

    List<Object> journal() {
      PersistenceTestKit journal = kit != null ? kit.persistenceTestKit() : PersistenceTestKit.create(testKit.system());
      return journal.persistedInStorage(persistenceId());
    }

    /** The desk's events of one order. */
    List<Object> journalOf(String id) {
      return journal().stream().filter(e -> ((Event) e).clientOrderId().equals(id)).toList();
    }

    void awaitJournalOf(String id, Object... expected) {
      client.awaitAssert(WAIT, () -> {
        assertEquals(List.of(expected), journalOf(id));
        return null;
      });
    }

    Reply get(String id) {
      return kit.<Reply>runCommand(replyTo -> new Get(id, replyTo)).reply();
    }

    Order order(String id) {
      return assertInstanceOf(Found.class, get(id)).order();
    }

    /** Polls Get (answered from the journaled state, after the write's side effects) until the order has the status. */
    Order awaitOrder(String id, Status status) {
      return client.awaitAssert(WAIT, () -> {
        Order o = order(id);
        assertEquals(status, o.status());
        return o;
      });
    }

    List<Order> open(String strategy) {
      return page(strategy == null ? null : java.util.Set.of(strategy), null, Integer.MAX_VALUE).orders();
    }

    OpenOrders page(java.util.Set<String> strategies, Order.ListingKey after, int limit) {
      return kit.<OpenOrders>runCommand(replyTo -> new ListOpen(strategies, after, limit, replyTo)).reply();
    }

    /**
     * Three round trips through the mailbox: whatever the desk had queued (a venue answer, the
     * Flush it sent itself, the write it started) has been handled, so "nothing happened" holds.
     */
    void settle() {
      for (int i = 0; i < 3; i++) get("none");
    }
  }

  static Venue.Fill fill(String tradeId, String quantity) {
    return new Venue.Fill(tradeId, new BigDecimal("100.00"), new BigDecimal(quantity), new BigDecimal("0.1"), "USDT", NOW);
  }

  static Order foundOn(TestProbe<Reply> probe) {
    return assertInstanceOf(Found.class, probe.receiveMessage(WAIT)).order();
  }

  static OrderAcknowledged ack(String id, Instant sentAt) {
    return new OrderAcknowledged(id, STRATEGY, "V-" + id, sentAt, NOW);
  }

  // ---- unknown orders ----

  @Test
  void getAndCancelOfUnknownOrderAnswerNotFound() {
    Fixture f = new Fixture();
    assertEquals(NotFound.INSTANCE, f.get("nope"));
    assertEquals(NotFound.INSTANCE, f.kit.<Reply>runCommand(replyTo -> new Cancel("nope", replyTo)).reply());
    assertEquals(NotFound.INSTANCE, f.kit.<Reply>runCommand(replyTo -> new Reconcile("nope", replyTo)).reply());
    f.settle();
    assertEquals(List.of(), f.journal());
  }

  @Test
  void venueReportForUnknownOrderIsIgnored() {
    Fixture f = new Fixture();
    f.report(f.report("nope", VenueStatus.FILLED, fill("t1", "2")));
    f.settle();
    assertEquals(List.of(), f.journal());
    assertEquals(NotFound.INSTANCE, f.get("nope"));
  }

  // ---- place ----

  @Test
  void placeJournalsAcceptedSubmitsAndAnswersOnAck() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACKNOWLEDGED);
    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.NEW)));
    // the first answer is the acknowledged order: nothing was sent while it was only accepted
    Order answered = foundOn(f.client);
    assertEquals(Status.ACKNOWLEDGED, answered.status());
    assertEquals("V-" + id, answered.venueOrderId());
    assertEquals(SENT, answered.timestamps().sent());
    assertEquals(NOW, answered.timestamps().acknowledged());
    assertEquals(List.of(f.accepted(id), ack(id, SENT)), f.journal());
    assertEquals(List.of(answered), f.open(null));
    assertEquals(answered, index.find(id).orElseThrow());
  }

  @Test
  void placeWithRespTypeAcceptedAnswersOnceJournaled() {
    Fixture f = new Fixture();
    String id = f.newId();
    f.place(id, RespType.ACCEPTED);
    Order answered = foundOn(f.client);
    assertEquals(Status.ACCEPTED, answered.status());
    assertEquals(RECEIVED, answered.timestamps().received());
    assertEquals(NOW, answered.timestamps().accepted());
    assertEquals(ASK, answered.decisionPrice());
  }

  @Test
  void placeWithRespTypeResultAnswersOnlyWhenFinal() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.RESULT);
    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5"))));
    f.awaitOrder(id, Status.PARTIALLY_FILLED);
    f.client.expectNoMessage(Duration.ofMillis(100));
    f.report(f.report(id, VenueStatus.FILLED, fill("t1", "0.5"), fill("t2", "1.5")));
    Order answered = foundOn(f.client);
    assertEquals(Status.FILLED, answered.status());
    assertEquals(0, QTY.compareTo(answered.executedQty()));
  }

  @ParameterizedTest
  @EnumSource(RespType.class)
  void placeAgainWithSameBodyWhileUnacknowledgedWaitsForItsOwnRespType(RespType respType) {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.RESULT);
    TestProbe<Reply> again = testKit.createTestProbe();
    // same order, quantity and price written differently: not a conflict
    OrderRequest same = new OrderRequest(id, f.symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("2.000"),
        new BigDecimal("100.0"), "s1", respType);
    f.kit.runCommand(new Place(same, RECEIVED, again.ref()));

    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.NEW)));
    f.awaitOrder(id, Status.ACKNOWLEDGED);
    f.report(f.report(id, VenueStatus.FILLED, fill("t1", "2")));
    Status expectedFirst = switch (respType) {
      case ACCEPTED -> Status.ACCEPTED;
      case ACKNOWLEDGED -> Status.ACKNOWLEDGED;
      case RESULT -> Status.FILLED;
    };
    assertEquals(expectedFirst, foundOn(again).status());
    assertEquals(Status.FILLED, foundOn(f.client).status());
    // the repeat journaled nothing and sent nothing
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "2"))), f.journal());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void placeAgainWithAnotherBodyIsAConflictWhileOpenAndWhenFinal() {
    Fixture f = new Fixture();
    String id = f.newId();
    f.place(id, RespType.ACCEPTED);
    Order open = foundOn(f.client);
    OrderRequest other = new OrderRequest(id, f.symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("3"), PRICE, "s1",
        RespType.ACCEPTED);
    assertEquals(new Conflict(open), f.kit.<Reply>runCommand(replyTo -> new Place(other, RECEIVED, replyTo)).reply());

    f.report(f.report(id, VenueStatus.CANCELED));
    Order closed = f.awaitOrder(id, Status.CANCELED);
    assertEquals(new Conflict(closed), f.kit.<Reply>runCommand(replyTo -> new Place(other, RECEIVED, replyTo)).reply());
    f.settle();
    assertEquals(List.of(f.accepted(id), ack(id, null), new OrderCanceled(id, STRATEGY, "canceled by venue", NOW)), f.journal());
  }

  @ParameterizedTest
  @EnumSource(RespType.class)
  void placeAgainOfAFinalOrderAnswersTheFinalStateAtOnce(RespType respType) {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACCEPTED);
    foundOn(f.client);
    f.answer(submit, new Venue.Refused(id, "MIN_NOTIONAL: too small"));
    f.awaitOrder(id, Status.REJECTED);
    var again = f.kit.<Reply>runCommand(replyTo -> new Place(f.request(id, respType), RECEIVED, replyTo));
    assertEquals(Status.REJECTED, assertInstanceOf(Found.class, again.reply()).order().status());
    f.settle();
    assertEquals(2, f.journal().size());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
  }

  // ---- get, list ----

  @Test
  void getAnswersCurrentOrderWhenOpenAndFinal() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    Order acked = f.order(id);
    assertEquals(Status.ACKNOWLEDGED, acked.status());
    f.report(f.report(id, VenueStatus.EXPIRED));
    assertEquals(Status.EXPIRED, f.awaitOrder(id, Status.EXPIRED).status());
    assertEquals(List.of(), f.open(null), "a final order is not open");
  }

  @Test
  void listOpenAndStartAnswerTheDesksOpenOrdersOldestFirstByStrategy() {
    Fixture f = new Fixture();
    String a = f.newId();
    String b = f.newId();
    String c = f.newId();
    f.kit.runCommand(new Place(f.request(a, RespType.ACCEPTED), RECEIVED, f.client.ref()));
    foundOn(f.client);
    OrderRequest other = new OrderRequest(b, f.symbol, Side.SELL, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, "s2", RespType.ACCEPTED);
    f.kit.runCommand(new Place(other, RECEIVED, f.client.ref()));
    foundOn(f.client);
    Batcher.SubmitBatch third = null;
    f.kit.runCommand(new Place(f.request(c, RespType.ACCEPTED), RECEIVED, f.client.ref()));
    foundOn(f.client);
    for (int i = 0; i < 3; i++) third = f.batcher.expectMessageClass(Batcher.SubmitBatch.class);
    f.answer(third, new Venue.Refused(c, "MIN_QTY"));
    f.awaitOrder(c, Status.REJECTED);

    // same accept time (fixed clock): then by clientOrderId
    assertEquals(List.of(a, b), f.open(null).stream().map(Order::clientOrderId).toList());
    assertEquals(List.of(a), f.open("s1").stream().map(Order::clientOrderId).toList());
    assertEquals(List.of(b), f.open("s2").stream().map(Order::clientOrderId).toList());
    OpenOrders started = f.kit.<OpenOrders>runCommand(OrderDesk.Start::new).reply();
    assertEquals(f.symbol, started.symbol());
    assertEquals(f.open(null), started.orders());

    // pages: a limit, a cursor after the last one listed, and whether more follow
    OpenOrders first = f.page(null, null, 1);
    assertEquals(List.of(a), first.orders().stream().map(Order::clientOrderId).toList());
    assertTrue(first.more());
    OpenOrders second = f.page(null, first.orders().get(0).listingKey(), 1);
    assertEquals(List.of(b), second.orders().stream().map(Order::clientOrderId).toList());
    assertFalse(second.more());
    assertEquals(List.of(b), f.page(java.util.Set.of("s2", "s9"), null, 5).orders().stream().map(Order::clientOrderId).toList());
    assertEquals(List.of(), f.page(java.util.Set.of("s1"), first.orders().get(0).listingKey(), 5).orders(), "after s1's only order");
  }

  // ---- cancel ----

  @Test
  void cancelBeforeAckIsSentToTheVenueAfterTheAck() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACCEPTED);
    foundOn(f.client);
    TestProbe<Reply> canceller = f.cancel(id);
    f.settle();
    assertEquals(0, f.venue.pendingCalls(), "no venue cancel before the venue knows the order");
    assertEquals(1, f.journal().size());

    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.NEW)));
    FakeVenue.CancelCall call = f.venue.expectCancel();
    assertEquals(id, call.clientOrderId());
    assertEquals(f.symbol, call.symbol());
    call.answer().complete(new Venue.Canceled(f.report(id, VenueStatus.CANCELED)));

    Order canceled = foundOn(canceller);
    assertEquals(Status.CANCELED, canceled.status());
    assertEquals("canceled by client", canceled.reason());
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderCanceled(id, STRATEGY, "canceled by client", NOW)), f.journal());
    assertEquals(canceled, f.order(id));
    assertEquals(List.of(), f.open(null));
  }

  @Test
  void cancelAfterAckGoesToTheVenueAtOnceAndLeavesTheOtherOrdersAlone() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    String other = f.placeAndAck();
    TestProbe<Reply> canceller = f.cancel(id);
    f.venue.expectCancel().answer().complete(new Venue.Canceled(f.report(id, VenueStatus.CANCELED, fill("t1", "0.5"))));
    Order canceled = foundOn(canceller);
    assertEquals(Status.CANCELED, canceled.status());
    assertEquals(0, new BigDecimal("0.5").compareTo(canceled.executedQty()));
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "0.5")), new OrderCanceled(id, STRATEGY, "canceled by client", NOW)),
        f.journalOf(id));
    assertEquals(List.of(f.accepted(other), ack(other, SENT)), f.journalOf(other));
    assertEquals(List.of(other), f.open(null).stream().map(Order::clientOrderId).toList());
  }

  @Test
  void cancelRefusedBecauseFilledAnswersNotOpenWithTheFills() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    TestProbe<Reply> canceller = f.cancel(id);
    f.venue.expectCancel().answer().complete(new Venue.CancelRefused("order is FILLED", f.report(id, VenueStatus.FILLED, fill("t1", "2"))));
    Order filled = assertInstanceOf(NotOpen.class, canceller.receiveMessage(WAIT)).order();
    assertEquals(Status.FILLED, filled.status());
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "2"))), f.journal());
  }

  @Test
  void cancelRefusedWhileStillOpenAtTheVenueAnswersAtOnceAndKeepsTheFill() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    TestProbe<Reply> canceller = f.cancel(id);
    f.venue.expectCancel().answer().complete(
        new Venue.CancelRefused("cancel rejected", f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "1"))));
    // answered with the order as it was, not left waiting for a final state that is not coming
    assertEquals(Status.ACKNOWLEDGED, foundOn(canceller).status());
    // the fill in the refusal is journaled all the same
    f.awaitOrder(id, Status.PARTIALLY_FILLED);
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "1"))), f.journal());
  }

  @Test
  void cancelWithUnknownOutcomeAnswersTheOpenOrder() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    TestProbe<Reply> canceller = f.cancel(id);
    f.venue.expectCancel().answer().completeExceptionally(new RuntimeException("link down"));
    assertEquals(Status.ACKNOWLEDGED, foundOn(canceller).status());
    f.settle();
    assertEquals(2, f.journal().size());
    // a second cancel is sent again (the first is no longer in flight)
    f.kit.runCommand(new Cancel(id, canceller.ref()));
    f.venue.expectCancel().answer().complete(new Venue.Canceled(f.report(id, VenueStatus.CANCELED)));
    assertEquals(Status.CANCELED, foundOn(canceller).status());
  }

  @Test
  void cancelOfAFinalOrderIsNotOpen() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACCEPTED);
    foundOn(f.client);
    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.FILLED, fill("t1", "2"))));
    Order filled = f.awaitOrder(id, Status.FILLED);
    assertEquals(new NotOpen(filled), f.kit.<Reply>runCommand(replyTo -> new Cancel(id, replyTo)).reply());
    f.settle();
    assertEquals(3, f.journal().size());
    assertEquals(0, f.venue.pendingCalls());
  }

  // ---- venue reports ----

  @Test
  void venueReportsAddEachFillOnceByTradeId() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    f.report(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5")));
    f.awaitJournalOf(id, f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "0.5")));
    assertEquals(Status.PARTIALLY_FILLED, f.order(id).status());
    assertEquals(Status.PARTIALLY_FILLED, index.find(id).orElseThrow().status());

    f.report(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5")));
    f.settle();
    assertEquals(3, f.journal().size(), "the same fill again is no new fact");

    f.report(f.report(id, VenueStatus.FILLED, fill("t1", "0.5"), fill("t2", "1.5")));
    Order filled = f.awaitOrder(id, Status.FILLED);
    assertEquals(new OrderFilled(id, STRATEGY, fill("t2", "1.5")), f.journal().get(3));
    assertEquals(4, f.journal().size());
    assertEquals(0, QTY.compareTo(filled.executedQty()));
    assertEquals(0, new BigDecimal("200.000").compareTo(filled.cumQuoteQty()));
    assertEquals(filled, index.find(id).orElseThrow());
  }

  @Test
  void reportBeforeTheSubmitAnswerAcknowledgesFirstAndTheLateAnswerAddsNothing() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACCEPTED);
    f.report(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "1")));
    f.awaitJournalOf(id, f.accepted(id), ack(id, null), new OrderFilled(id, STRATEGY, fill("t1", "1")));
    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "1"))));
    f.settle();
    assertEquals(3, f.journal().size());
  }

  @Test
  void venueSideCancelAndExpiryOfThreeOrdersOnOneDesk() {
    Fixture f = new Fixture();
    String canceled = f.placeAndAck();
    String expired = f.placeAndAck();
    String noReason = f.placeAndAck();
    f.report(f.report(canceled, VenueStatus.CANCELED, fill("t1", "0.5")));
    f.report(new Venue.VenueOrderReport(expired, "V-" + expired, f.symbol, VenueStatus.EXPIRED, List.of(), "self-trade prevention", NOW));
    f.report(f.report(noReason, VenueStatus.EXPIRED));
    f.awaitJournalOf(canceled, f.accepted(canceled), ack(canceled, SENT), new OrderFilled(canceled, STRATEGY, fill("t1", "0.5")),
        new OrderCanceled(canceled, STRATEGY, "canceled by venue", NOW));
    f.awaitJournalOf(expired, f.accepted(expired), ack(expired, SENT), new OrderExpired(expired, STRATEGY, "self-trade prevention", NOW));
    f.awaitJournalOf(noReason, f.accepted(noReason), ack(noReason, SENT), new OrderExpired(noReason, STRATEGY, "expired at venue", NOW));
    assertEquals(Status.CANCELED, f.order(canceled).status());
    assertEquals(Status.EXPIRED, f.order(expired).status());
    assertEquals(List.of(), f.open(null));
  }

  @Test
  void lateFillOnAFinalOrderIsKeptOnce() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    f.report(f.report(id, VenueStatus.CANCELED));
    f.awaitOrder(id, Status.CANCELED);

    f.report(f.report(id, VenueStatus.CANCELED, fill("t9", "0.5")));
    f.awaitJournalOf(id, f.accepted(id), ack(id, SENT), new OrderCanceled(id, STRATEGY, "canceled by venue", NOW), new OrderFilled(id, STRATEGY, fill("t9", "0.5")));
    Order order = f.order(id);
    assertEquals(Status.CANCELED, order.status());
    assertEquals(0, new BigDecimal("0.5").compareTo(order.executedQty()));
    assertEquals(order, index.find(id).orElseThrow());

    f.report(f.report(id, VenueStatus.CANCELED, fill("t9", "0.5")));
    f.settle();
    assertEquals(4, f.journal().size());
  }

  // ---- submit outcomes ----

  @Test
  void ackWithoutFills() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    assertEquals(List.of(f.accepted(id), ack(id, SENT)), f.journal());
  }

  @Test
  void ackWithFillsJournalsAckFillsAndFinalStateTogether() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACKNOWLEDGED);
    // an IOC-style answer: part filled at once, the rest expired
    Venue.VenueOrderReport report = new Venue.VenueOrderReport(id, "V-" + id, f.symbol, VenueStatus.EXPIRED, List.of(fill("t1", "1.5")),
        "no liquidity for IOC", NOW);
    f.answer(submit, new Venue.Acknowledged(report));
    Order answered = foundOn(f.client);
    assertEquals(Status.EXPIRED, answered.status());
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "1.5")), new OrderExpired(id, STRATEGY, "no liquidity for IOC", NOW)),
        f.journal());
    assertEquals(answered, f.order(id));
    assertEquals(answered, index.find(id).orElseThrow());
  }

  @Test
  void ackFullyFilledNeedsNoFinalEvent() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.RESULT);
    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, foundOn(f.client).status());
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "2"))), f.journal());
  }

  @Test
  void refusedIsRejectedByTheVenue() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACKNOWLEDGED);
    f.answer(submit, new Venue.Refused(id, "MIN_QTY: too small"));
    Order answered = foundOn(f.client);
    assertEquals(Status.REJECTED, answered.status());
    assertEquals("MIN_QTY: too small", answered.reason());
    assertNull(answered.venueOrderId());
    assertEquals(List.of(f.accepted(id), new OrderRejected(id, STRATEGY, "MIN_QTY: too small", "venue", NOW)), f.journal());
    assertEquals(Status.REJECTED, index.find(id).orElseThrow().status());
  }

  @Test
  void unknownOutcomeQueriesTheVenueThenResubmitsWhenItDoesNotKnowTheOrder() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.ACKNOWLEDGED);
    f.answer(submit, new Venue.Unknown(id, "timeout"));
    FakeVenue.QueryCall query = f.venue.expectQuery();
    assertEquals(id, query.clientOrderId());
    assertEquals(List.of(f.accepted(id), new OrderInDoubt(id, STRATEGY, "submit outcome unknown: timeout", NOW)), f.journal());
    query.answer().complete(Optional.empty());
    Batcher.SubmitBatch again = f.expectSubmit(id, QTY);
    f.answer(again, new Venue.Acknowledged(f.report(id, VenueStatus.NEW)));
    assertEquals(Status.ACKNOWLEDGED, foundOn(f.client).status());
  }

  @Test
  void unknownOutcomeMergesWhatTheVenueKnows() {
    Fixture f = new Fixture();
    String id = f.newId();
    Batcher.SubmitBatch submit = f.place(id, RespType.RESULT);
    f.answer(submit, new Venue.Unknown(id, "timeout"));
    // the query fails too: retried
    f.venue.expectQuery().answer().completeExceptionally(new RuntimeException("down"));
    f.venue.expectQuery().answer().complete(Optional.of(f.report(id, VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, foundOn(f.client).status());
    assertEquals(List.of(f.accepted(id), new OrderInDoubt(id, STRATEGY, "submit outcome unknown: timeout", NOW), ack(id, null),
        new OrderFilled(id, STRATEGY, fill("t1", "2"))), f.journal());
  }

  @Test
  void givesUpOnceTheVenueWasUnreachableForGiveUpAfterWithTheReason() {
    // checks come at once here (interval zero): the first failed check after an unreachable stretch of zero gives up
    Fixture f = new Fixture(SETTINGS, Duration.ZERO, false, true);
    String id = f.newId();
    Batcher.SubmitBatch first = f.place(id, RespType.RESULT);
    f.answer(first, new Venue.Unknown(id, "timeout"));
    f.venue.expectQuery().answer().complete(Optional.empty());
    Batcher.SubmitBatch second = f.expectSubmit(id, QTY);
    f.answer(second, new Venue.Unknown(id, "still down"));
    f.venue.expectQuery().answer().completeExceptionally(new RuntimeException("connection refused"));
    Order rejected = foundOn(f.client);
    assertEquals(Status.REJECTED, rejected.status());
    String reason = "venue outcome unknown: the venue was unreachable for 0 ms (2 checks): venue unreachable: java.lang.RuntimeException: connection refused";
    assertEquals(List.of(f.accepted(id), new OrderInDoubt(id, STRATEGY, "submit outcome unknown: timeout", NOW),
        new OrderRejected(id, STRATEGY, reason, "executor", NOW)), f.journal());
    // a last cancel by clientOrderId, in case the venue holds it after all
    assertEquals(id, f.venue.expectCancel().clientOrderId());
    assertTrue(f.venue.noPendingQuery());
  }

  // ---- restart / recovery ----

  @Test
  void restartOfUnacknowledgedOrderAsksTheVenueThenResubmitsIt() {
    Fixture f = new Fixture();
    String id = f.newId();
    f.place(id, RespType.ACCEPTED);
    Order before = foundOn(f.client);
    f.kit.restart();
    assertEquals(List.of(before), f.open(null));
    assertEquals(before, index.find(id).orElseThrow());
    f.venue.expectQuery().answer().complete(Optional.empty());
    Batcher.SubmitBatch resubmit = f.expectSubmit(id, QTY);
    f.answer(resubmit, new Venue.Acknowledged(f.report(id, VenueStatus.NEW)));
    f.awaitOrder(id, Status.ACKNOWLEDGED);
    assertEquals(Status.ACKNOWLEDGED, index.find(id).orElseThrow().status());
  }

  @Test
  void restartOfAcknowledgedOrderWaitsForReconcileWhichMergesTheVenuesView() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    f.report(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5")));
    Order before = f.awaitOrder(id, Status.PARTIALLY_FILLED);
    f.kit.restart();
    assertEquals(List.of(before), f.open(null));
    f.settle();
    assertEquals(0, f.venue.pendingCalls(), "an acknowledged order waits for reconciliation");
    TestProbe<Reply> reconciliation = testKit.createTestProbe();
    f.kit.runCommand(new Reconcile(id, reconciliation.ref()));
    FakeVenue.QueryCall query = f.venue.expectQuery();
    assertEquals(id, query.clientOrderId());
    query.answer().complete(Optional.of(f.report(id, VenueStatus.FILLED, fill("t1", "0.5"), fill("t2", "1.5"))));
    Reconciled reconciled = assertInstanceOf(Reconciled.class, reconciliation.receiveMessage(WAIT));
    assertEquals(List.of("fill"), reconciled.corrections());
    assertEquals(Status.FILLED, reconciled.order().status());
    assertEquals(Status.FILLED, index.find(id).orElseThrow().status());
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "0.5")), new OrderFilled(id, STRATEGY, fill("t2", "1.5"))),
        f.journal());
    // a final order has nothing to reconcile
    assertEquals(new Reconciled(reconciled.order(), List.of()), f.kit.<Reply>runCommand(replyTo -> new Reconcile(id, replyTo)).reply());
  }

  @Test
  void restartOfAcknowledgedOrderTheVenueLostResubmitsTheRemainder() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    f.report(f.report(id, VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5")));
    f.awaitOrder(id, Status.PARTIALLY_FILLED);
    f.kit.restart();
    TestProbe<Reply> reconciliation = testKit.createTestProbe();
    f.kit.runCommand(new Reconcile(id, reconciliation.ref()));
    f.venue.expectQuery().answer().complete(Optional.empty());
    f.expectSubmit(id, new BigDecimal("1.5"));
    assertEquals(List.of("resubmit"), assertInstanceOf(Reconciled.class, reconciliation.receiveMessage(WAIT)).corrections());
  }

  @Test
  void reconcileThatCannotAskTheVenueFails() {
    Fixture f = new Fixture();
    String id = f.placeAndAck();
    TestProbe<Reply> reconciliation = testKit.createTestProbe();
    f.kit.runCommand(new Reconcile(id, reconciliation.ref()));
    f.venue.expectQuery().answer().completeExceptionally(new RuntimeException("connection refused"));
    OrderDesk.ReconcileFailed failed = assertInstanceOf(OrderDesk.ReconcileFailed.class, reconciliation.receiveMessage(WAIT));
    assertTrue(failed.error().contains("connection refused"), failed.error());
    f.settle();
    assertEquals(Status.ACKNOWLEDGED, f.order(id).status());
    assertEquals(2, f.journal().size());
  }

  @Test
  void restartReplaysToEqualOrdersOpenAndFinalAndDoesNothing() {
    Fixture f = new Fixture();
    String open = f.placeAndAck();
    String closed = f.placeAndAck();
    f.report(f.report(open, VenueStatus.PARTIALLY_FILLED, fill("t1", "1")));
    f.report(f.report(closed, VenueStatus.CANCELED, fill("t2", "1")));
    f.awaitOrder(open, Status.PARTIALLY_FILLED);
    Order closedBefore = f.awaitOrder(closed, Status.CANCELED);
    List<Order> openBefore = f.open(null);
    f.kit.restart();
    assertEquals(openBefore, f.open(null));
    assertEquals(closedBefore, f.order(closed));
    f.settle();
    assertEquals(0, f.venue.pendingCalls());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
  }

  // ---- stop (spawned directly: the test kit's wrapper cannot be watched) ----

  @Test
  void stopStopsAnEmptyDesk() {
    Fixture f = new Fixture(SETTINGS, NEVER, false, false);
    ActorRef<Command> desk = testKit.spawn(OrderDesk.create(f.deskId, f.deps));
    desk.tell(OrderDesk.Stop.INSTANCE);
    testKit.createTestProbe().expectTerminated(desk);
  }

  @Test
  void stopStopsADeskWithOpenAndFinalOrders() {
    Fixture f = new Fixture(SETTINGS, NEVER, false, false);
    ActorRef<Command> desk = testKit.spawn(OrderDesk.create(f.deskId, f.deps));
    String open = f.newId();
    String done = f.newId();
    desk.tell(new Place(f.request(open, RespType.ACCEPTED), RECEIVED, f.client.ref()));
    desk.tell(new Place(f.request(done, RespType.RESULT), RECEIVED, f.client.ref()));
    desk.tell(new ApplyVenueReport(f.report(done, VenueStatus.FILLED, fill("t1", "2"))));
    List<Status> answers = List.of(foundOn(f.client).status(), foundOn(f.client).status());
    assertEquals(List.of(Status.ACCEPTED, Status.FILLED), answers);
    desk.tell(OrderDesk.Stop.INSTANCE);
    testKit.createTestProbe().expectTerminated(desk);
  }

  // ---- the desk's own behaviour: natural batching ----

  /** Holds the desk's first journal write until released, and records every write's events (one persistAll each). */
  static final class GatedWrites implements ProcessingPolicy<JournalOperation> {
    final String persistenceId;
    final CountDownLatch firstWriteStarted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<List<Object>> writes = new CopyOnWriteArrayList<>();

    GatedWrites(String persistenceId) {
      this.persistenceId = persistenceId;
    }

    @Override
    public ProcessingResult tryProcess(String pid, JournalOperation op) {
      if (pid.equals(persistenceId) && op instanceof WriteEvents w) {
        writes.add(List.copyOf(w.getBatch()));
        firstWriteStarted.countDown();
        try {
          // blocks the in-memory journal: the desk sits in its write, stashing what arrives
          if (!release.await(10, TimeUnit.SECONDS)) throw new AssertionError("never released");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return ProcessingSuccess.getInstance();
    }

    void awaitFirstWrite() throws InterruptedException {
      assertTrue(firstWriteStarted.await(5, TimeUnit.SECONDS), "the desk never wrote");
    }

    /** New orders per write. */
    List<Long> acceptedPerWrite() {
      return writes.stream().map(w -> w.stream().filter(e -> e instanceof OrderAccepted).count()).toList();
    }
  }

  /** The batches the batcher got, in order, until {@code total} orders came. */
  static List<Batcher.SubmitBatch> batches(Fixture f, int total) {
    List<Batcher.SubmitBatch> batches = new ArrayList<>();
    int seen = 0;
    while (seen < total) {
      Batcher.SubmitBatch b = f.batcher.expectMessageClass(Batcher.SubmitBatch.class, WAIT);
      batches.add(b);
      seen += b.orders().size();
    }
    return batches;
  }

  static List<String> idsOf(Batcher.SubmitBatch b) {
    return b.orders().stream().map(Venue.VenueOrder::clientOrderId).toList();
  }

  /** Places {@code n} new orders on a new desk: the first alone, the rest while its journal write is held; then lets the write go. */
  private List<String> placeWhileTheFirstWriteIsHeld(Fixture f, GatedWrites gate, int n, RespType respType) throws Exception {
    ActorRef<Command> desk = testKit.spawn(OrderDesk.create(f.deskId, f.deps));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(f.newId());
    desk.tell(new Place(f.request(ids.get(0), respType), RECEIVED, f.client.ref()));
    gate.awaitFirstWrite();
    for (String id : ids.subList(1, n)) desk.tell(new Place(f.request(id, respType), RECEIVED, f.client.ref()));
    gate.release.countDown();
    return ids;
  }

  @Test
  void aBurstWhileTheDeskIsWritingBecomesOneWriteAndOneVenueBatch() throws Exception {
    Fixture f = new Fixture(SETTINGS, NEVER, false, false);
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    GatedWrites gate = new GatedWrites(f.persistenceId());
    journal.withPolicy(gate);
    try {
      // five more while the first write is in flight: they wait in the desk's stash
      List<String> ids = placeWhileTheFirstWriteIsHeld(f, gate, 6, RespType.ACKNOWLEDGED);

      List<Batcher.SubmitBatch> batches = batches(f, 6);
      assertEquals(List.of(List.of(ids.get(0)), ids.subList(1, 6)), batches.stream().map(OrderDeskTest::idsOf).toList(),
          "the new orders of one write go to the venue as one batch");
      assertEquals(List.of(1L, 5L), gate.acceptedPerWrite(), "six places, two writes");
      assertEquals(ids.stream().map(f::accepted).toList(), journal.persistedInStorage(f.persistenceId()));

      // the venue answers the batch in one message: its five acks are one write too
      batches.get(1).replyTo().tell(new Batcher.Outcomes(SENT,
          ids.subList(1, 6).stream().map(id -> (Venue.SubmitResult) new Venue.Acknowledged(f.report(id, VenueStatus.NEW))).toList()));
      List<String> answered = new ArrayList<>();
      for (int i = 0; i < 5; i++) answered.add(foundOn(f.client).clientOrderId());
      assertEquals(ids.subList(1, 6), answered.stream().sorted().toList());
      assertEquals(3, gate.writes.size());
      assertEquals(ids.subList(1, 6).stream().map(id -> ack(id, SENT)).toList(), gate.writes.get(2));
    } finally {
      journal.resetPolicy();
    }
  }

  @Test
  void noWriteHoldsMoreThanMaxBatchNewOrders() throws Exception {
    int maxBatch = 3;
    Fixture f = new Fixture(new OrderDesk.Settings(maxBatch, 1000, 16), NEVER, false, false);
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    GatedWrites gate = new GatedWrites(f.persistenceId());
    journal.withPolicy(gate);
    try {
      // seven stashed places: unbounded they would be one write of seven
      List<String> ids = placeWhileTheFirstWriteIsHeld(f, gate, 8, RespType.ACCEPTED);

      List<Batcher.SubmitBatch> batches = batches(f, 8);
      for (int i = 0; i < 8; i++) foundOn(f.client);
      assertEquals(ids, batches.stream().flatMap(b -> idsOf(b).stream()).toList(), "every order sent once, in order");
      for (Batcher.SubmitBatch b : batches) assertTrue(b.orders().size() <= maxBatch, "a batch of " + b.orders().size());
      List<Long> perWrite = gate.acceptedPerWrite();
      assertEquals(8L, perWrite.stream().mapToLong(Long::longValue).sum());
      for (long n : perWrite) assertTrue(n <= maxBatch, "a write of " + n + " new orders: " + perWrite);
      // the stash was batched up to the bound, not written one by one
      assertTrue(perWrite.contains((long) maxBatch), "no write reached the bound: " + perWrite);
      assertTrue(perWrite.size() < 8, "one write per place: " + perWrite);
      assertEquals(batches.size(), perWrite.size(), "one venue batch per write");
    } finally {
      journal.resetPolicy();
    }
  }

  @Test
  void stopWritesAndAnswersWhatIsBufferedBeforeItStops() throws Exception {
    Fixture f = new Fixture(SETTINGS, NEVER, false, false);
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    GatedWrites gate = new GatedWrites(f.persistenceId());
    journal.withPolicy(gate);
    try {
      ActorRef<Command> desk = testKit.spawn(OrderDesk.create(f.deskId, f.deps));
      String first = f.newId();
      String second = f.newId();
      desk.tell(new Place(f.request(first, RespType.ACCEPTED), RECEIVED, f.client.ref()));
      gate.awaitFirstWrite();
      // a place, then sharding's stop (a hand-off): the place is buffered, its Flush queued behind the stop
      desk.tell(new Place(f.request(second, RespType.ACCEPTED), RECEIVED, f.client.ref()));
      desk.tell(OrderDesk.Stop.INSTANCE);
      gate.release.countDown();
      assertEquals(first, foundOn(f.client).clientOrderId());
      testKit.createTestProbe().expectTerminated(desk);
      assertEquals(second, foundOn(f.client).clientOrderId(), "a place the desk took was never answered");
      assertEquals(List.of(f.accepted(first), f.accepted(second)), journal.persistedInStorage(f.persistenceId()));
    } finally {
      journal.resetPolicy();
    }
  }

  // ---- the desk's own behaviour: the index keeps what the desk let go ----

  @Test
  void aRepeatAfterTheDeskLetTheOrderGoIsAnsweredFromTheIndex() {
    // one recent final kept: the second final order pushes the first out of the desk
    Fixture f = new Fixture(new OrderDesk.Settings(8, 1000, 1));
    String first = f.newId();
    f.answer(f.place(first, RespType.ACCEPTED), new Venue.Refused(first, "MIN_QTY"));
    foundOn(f.client);
    Order rejected = f.awaitOrder(first, Status.REJECTED);
    String second = f.newId();
    f.answer(f.place(second, RespType.ACCEPTED), new Venue.Refused(second, "MIN_QTY"));
    foundOn(f.client);
    f.awaitOrder(second, Status.REJECTED);
    assertEquals(NotFound.INSTANCE, f.get(first), "the desk no longer holds it");
    int events = f.journal().size();

    // the same body: the same order, answered as it is, nothing journaled or sent again
    var same = f.kit.<Reply>runCommand(replyTo -> new Place(f.request(first, RespType.RESULT), RECEIVED, replyTo));
    assertEquals(new Found(rejected), same.reply());
    // another body: still taken
    OrderRequest other = new OrderRequest(first, f.symbol, Side.SELL, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, "s1", RespType.ACCEPTED);
    assertEquals(new Conflict(rejected), f.kit.<Reply>runCommand(replyTo -> new Place(other, RECEIVED, replyTo)).reply());
    assertEquals(new NotOpen(rejected), f.kit.<Reply>runCommand(replyTo -> new Cancel(first, replyTo)).reply());
    f.settle();
    assertEquals(events, f.journal().size());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aLateFillOfAnOrderTheDeskLetGoIsJournaledAndIndexed() {
    Fixture f = new Fixture(new OrderDesk.Settings(8, 1000, 1));
    String first = f.placeAndAck();
    f.report(f.report(first, VenueStatus.CANCELED));
    f.awaitOrder(first, Status.CANCELED);
    String second = f.placeAndAck();
    f.report(f.report(second, VenueStatus.CANCELED));
    f.awaitOrder(second, Status.CANCELED);
    assertEquals(NotFound.INSTANCE, f.get(first));

    // fills can trail a cancel: a fact, kept even though the desk let the order go
    f.report(f.report(first, VenueStatus.CANCELED, fill("t9", "0.5")));
    f.awaitJournalOf(first, f.accepted(first), ack(first, SENT), new OrderCanceled(first, STRATEGY, "canceled by venue", NOW),
        new OrderFilled(first, STRATEGY, fill("t9", "0.5")));
    f.client.awaitAssert(WAIT, () -> {
      Order indexed = index.find(first).orElseThrow();
      assertEquals(Status.CANCELED, indexed.status());
      assertEquals(0, new BigDecimal("0.5").compareTo(indexed.executedQty()));
      return null;
    });
    // and only once
    f.report(f.report(first, VenueStatus.CANCELED, fill("t9", "0.5")));
    f.settle();
    assertEquals(4, f.journalOf(first).size());
  }

  @Test
  void theSameClientOrderIdOnAnotherSymbolsDeskIsAConflict() {
    Fixture btc = new Fixture();
    Fixture eth = new Fixture();
    String id = btc.newId();
    btc.place(id, RespType.ACCEPTED);
    Order taken = foundOn(btc.client);
    OrderRequest onEth = new OrderRequest(id, eth.symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, "s1", RespType.ACCEPTED);
    assertEquals(new Conflict(taken), eth.kit.<Reply>runCommand(replyTo -> new Place(onEth, RECEIVED, replyTo)).reply());
    eth.settle();
    assertEquals(List.of(), eth.journal());
    eth.batcher.expectNoMessage(Duration.ofMillis(50));
    assertEquals(taken, index.find(id).orElseThrow());
  }

  // ---- the desk's own behaviour: snapshots ----

  /** Records the events each recovery read of one desk's journal hands back. */
  static final class RecordedReads implements ProcessingPolicy<JournalOperation> {
    final String persistenceId;
    final List<PersistentRepr> read = new CopyOnWriteArrayList<>();

    RecordedReads(String persistenceId) {
      this.persistenceId = persistenceId;
    }

    @Override
    public ProcessingResult tryProcess(String pid, JournalOperation op) {
      if (pid.equals(persistenceId) && op instanceof ReadEvents r) {
        for (Object o : r.getBatch()) read.add((PersistentRepr) o);
      }
      return ProcessingSuccess.getInstance();
    }

    /** "seqNr:event" of each event read, tags taken off. */
    List<String> events() {
      return read.stream().map(p -> p.sequenceNr() + ":" + (p.payload() instanceof Tagged t ? t.payload() : p.payload())).toList();
    }

    List<Object> tagged() {
      return read.stream().map(PersistentRepr::payload).filter(p -> p instanceof Tagged).toList();
    }
  }

  @Test
  void aRestartRecoversTheOpenOrdersFromTheSnapshotAndReplaysOnlyWhatCameAfter() {
    Fixture f = new Fixture(new OrderDesk.Settings(8, 4, 16));
    String a = f.newId();
    String b = f.newId();
    String c = f.newId();
    // events 1-3: three accepted, one write each; event 4: a's ack, which is snapshot time
    Batcher.SubmitBatch submitA = f.place(a, RespType.ACCEPTED);
    f.place(b, RespType.ACCEPTED);
    f.place(c, RespType.ACCEPTED);
    for (int i = 0; i < 3; i++) foundOn(f.client);
    f.answer(submitA, new Venue.Acknowledged(f.report(a, VenueStatus.NEW)));
    f.awaitOrder(a, Status.ACKNOWLEDGED);
    SnapshotTestKit snapshots = f.kit.snapshotTestKit().orElseThrow();
    OrderDesk.Snapshot snapshot = f.client.awaitAssert(WAIT, () -> {
      var stored = snapshots.persistedInStorage(f.persistenceId());
      assertEquals(1, stored.size());
      assertEquals(4L, stored.get(0).first().sequenceNr());
      return (OrderDesk.Snapshot) stored.get(0).second();
    });
    Map<String, Order> openAtSnapshot = f.open(null).stream().collect(Collectors.toMap(Order::clientOrderId, Function.identity()));
    assertEquals(openAtSnapshot, snapshot.open().stream().collect(Collectors.toMap(Order::clientOrderId, Function.identity())));
    assertEquals(List.of(), snapshot.unindexedFinals());

    // events 5-6, after the snapshot: b filled in part (and so acknowledged)
    f.report(f.report(b, VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5")));
    f.awaitOrder(b, Status.PARTIALLY_FILLED);
    List<Order> openBefore = f.open(null);

    RecordedReads reads = new RecordedReads(f.persistenceId());
    f.kit.persistenceTestKit().withPolicy(reads);
    try {
      f.kit.restart();
    } finally {
      f.kit.persistenceTestKit().resetPolicy();
    }
    assertEquals(openBefore, f.open(null));
    assertEquals(List.of("5:" + ack(b, null), "6:" + new OrderFilled(b, STRATEGY, fill("t1", "0.5"))), reads.events(),
        "replayed other events than those after the snapshot");
  }

  // ---- the desk's own behaviour: synthetic desks ----

  @Test
  void aSyntheticDeskWritesNothingToTheIndex() {
    Fixture f = new Fixture(SETTINGS, NEVER, true, true);
    String id = f.newId();
    f.kit.runCommand(new Place(f.request(id, RespType.ACKNOWLEDGED), RECEIVED, f.client.ref()));
    Batcher.SubmitBatch submit = f.expectSubmit(id, QTY);
    assertEquals(Optional.empty(), index.find(id), "indexed on accept");
    f.answer(submit, new Venue.Acknowledged(f.report(id, VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, foundOn(f.client).status());
    assertEquals(List.of(f.accepted(id), ack(id, SENT), new OrderFilled(id, STRATEGY, fill("t1", "2"))), f.journal());
    assertEquals(Optional.empty(), index.find(id), "indexed once final");
    RecordedReads reads = new RecordedReads(f.persistenceId());
    f.kit.persistenceTestKit().withPolicy(reads);
    try {
      f.kit.restart();
    } finally {
      f.kit.persistenceTestKit().resetPolicy();
    }
    assertEquals(Optional.empty(), index.find(id), "re-indexed on recovery");
    // untagged: synthetic orders stay out of the order event stream (feed, risk, export)
    assertEquals(3, reads.read.size());
    assertEquals(List.of(), reads.tagged());

    // the id was never claimed: a real desk takes it, even for another order
    Fixture real = new Fixture();
    OrderRequest other = new OrderRequest(id, real.symbol, Side.SELL, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, "s1", RespType.ACCEPTED);
    Order accepted = assertInstanceOf(Found.class, real.kit.<Reply>runCommand(replyTo -> new Place(other, RECEIVED, replyTo)).reply()).order();
    assertEquals(Status.ACCEPTED, accepted.status());
    assertEquals(Side.SELL, index.find(id).orElseThrow().side());
  }
}
