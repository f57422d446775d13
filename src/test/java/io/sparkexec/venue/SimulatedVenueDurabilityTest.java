package io.sparkexec.venue;

import static io.sparkexec.venue.SimulatedVenueTest.CLOCK;
import static io.sparkexec.venue.SimulatedVenueTest.limit;
import static io.sparkexec.venue.SimulatedVenueTest.market;
import static io.sparkexec.venue.SimulatedVenueTest.rule;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import io.sparkexec.venue.Venue.VenueStatus;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The simulator with an {@link SimulatedVenue.OrderLog}: answers and pushed reports wait until
 * the log says durable, and a venue restored from what the log recorded answers as before,
 * keeps matching its open orders and continues its ids.
 */
class SimulatedVenueDurabilityTest {

  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Records like a ledger would; {@code hold} keeps new records pending until released. */
  static final class RecordingLog implements SimulatedVenue.OrderLog {
    final Map<String, VenueOrder> orders = new LinkedHashMap<>();
    final Map<String, VenueOrderReport> latest = new LinkedHashMap<>();
    final List<CompletableFuture<Void>> pending = new ArrayList<>();
    boolean hold;

    @Override
    public synchronized CompletableFuture<Void> created(VenueOrder order, VenueOrderReport report) {
      orders.put(order.clientOrderId(), order);
      return changed(report);
    }

    @Override
    public synchronized CompletableFuture<Void> changed(VenueOrderReport report) {
      latest.put(report.clientOrderId(), report);
      if (!hold) return CompletableFuture.completedFuture(null);
      CompletableFuture<Void> f = new CompletableFuture<>();
      pending.add(f);
      return f;
    }

    synchronized void release() {
      pending.forEach(f -> f.complete(null));
      pending.clear();
    }

    SimulatedVenue.Restored restored() {
      List<SimulatedVenue.RestoredOrder> restored = new ArrayList<>();
      long lastOrder = 0;
      long lastTrade = 0;
      for (VenueOrder o : orders.values()) {
        VenueOrderReport r = latest.get(o.clientOrderId());
        restored.add(new SimulatedVenue.RestoredOrder(o, r));
        lastOrder = Math.max(lastOrder, Long.parseLong(r.venueOrderId()));
        for (Venue.Fill f : r.fills()) lastTrade = Math.max(lastTrade, Long.parseLong(f.tradeId()));
      }
      return new SimulatedVenue.Restored(restored, lastOrder, lastTrade);
    }
  }

  final List<VenueOrderReport> heard = new CopyOnWriteArrayList<>();

  SimulatedVenue venue(RecordingLog log, SimulatedVenue.Restored restored) {
    SimulatedVenue v = new SimulatedVenue(new SimulatedVenue.Settings(7, Duration.ZERO, Duration.ofMillis(100), new BigDecimal("0.001"),
        new BigDecimal("5"), 1000), Map.of("TSTUSDT", rule(20)), testKit.system(), CLOCK, log, restored);
    v.onExecutionReport(heard::add);
    return v;
  }

  static final SimulatedVenue.Restored NOTHING = new SimulatedVenue.Restored(List.of(), 0, 0);

  @Test
  void placeAnswersOnlyOnceTheCreationIsDurable() {
    RecordingLog log = new RecordingLog();
    log.hold = true;
    SimulatedVenue v = venue(log, NOTHING);
    CompletionStage<List<Venue.SubmitResult>> first = v.submit(List.of(limit("d1", Side.BUY, TimeInForce.GTC, "0.5", "90.00")));
    CompletionStage<List<Venue.SubmitResult>> duplicate = v.submit(List.of(limit("d1", Side.BUY, TimeInForce.GTC, "0.5", "90.00")));
    assertFalse(first.toCompletableFuture().isDone(), "answered before durable");
    assertFalse(duplicate.toCompletableFuture().isDone(), "the duplicate told of an order that may not survive");
    log.release();
    Venue.Acknowledged ack = assertInstanceOf(Venue.Acknowledged.class, first.toCompletableFuture().join().get(0));
    assertEquals(ack.report().venueOrderId(), ((Venue.Acknowledged) duplicate.toCompletableFuture().join().get(0)).report().venueOrderId());
    assertEquals("1", ack.report().venueOrderId(), "a durable venue counts plain numbers");
  }

  @Test
  void fillsReachListenersOnlyOnceDurable() {
    RecordingLog log = new RecordingLog();
    SimulatedVenue v = venue(log, NOTHING);
    v.submit(List.of(limit("rest", Side.BUY, TimeInForce.GTC, "0.5", "99.90"))).toCompletableFuture().join();
    log.hold = true;
    for (int i = 0; i < 200_000 && log.pending.isEmpty(); i++) v.tick();
    assertFalse(log.pending.isEmpty(), "the resting order never filled");
    assertTrue(heard.isEmpty(), "a fill was pushed before it was durable");
    log.release();
    await().atMost(Duration.ofSeconds(30)).until(() -> !heard.isEmpty());
    assertEquals("rest", heard.get(0).clientOrderId());
  }

  @Test
  void aRestoredVenueAnswersAsBeforeKeepsMatchingAndContinuesIds() {
    RecordingLog log = new RecordingLog();
    SimulatedVenue before = venue(log, NOTHING);
    VenueOrderReport filled = ((Venue.Acknowledged) before.submit(List.of(market("m", Side.BUY, "0.5"))).toCompletableFuture().join().get(0)).report();
    VenueOrderReport open = ((Venue.Acknowledged) before.submit(List.of(limit("o", Side.BUY, TimeInForce.GTC, "0.5", "99.90"))).toCompletableFuture().join().get(0)).report();
    before.cancel("TSTUSDT", "o").toCompletableFuture().join();
    before.submit(List.of(limit("o2", Side.BUY, TimeInForce.GTC, "0.5", "99.90"))).toCompletableFuture().join();

    SimulatedVenue after = venue(log, log.restored());
    assertEquals(Optional.of(filled), after.query("TSTUSDT", "m").toCompletableFuture().join());
    assertEquals(VenueStatus.CANCELED, after.query("TSTUSDT", "o").toCompletableFuture().join().orElseThrow().status());
    assertEquals(open.venueOrderId(), after.query("TSTUSDT", "o").toCompletableFuture().join().orElseThrow().venueOrderId());
    assertEquals(List.of("o2"), after.openOrders().toCompletableFuture().join().stream().map(VenueOrderReport::clientOrderId).toList());
    // dedupe holds: the known id answers the restored order
    assertEquals(filled, ((Venue.Acknowledged) after.submit(List.of(market("m", Side.BUY, "0.5"))).toCompletableFuture().join().get(0)).report());
    // ids continue past the restored ones
    VenueOrderReport fresh = ((Venue.Acknowledged) after.submit(List.of(market("new", Side.BUY, "0.5"))).toCompletableFuture().join().get(0)).report();
    assertEquals(4, Long.parseLong(fresh.venueOrderId()), "three were created before");
    assertTrue(Long.parseLong(fresh.fills().get(0).tradeId()) > Long.parseLong(filled.fills().get(0).tradeId()));
    // the restored open order rests again and fills
    for (int i = 0; i < 200_000 && heard.stream().noneMatch(r -> r.clientOrderId().equals("o2")); i++) after.tick();
    await().atMost(Duration.ofSeconds(30)).until(() -> heard.stream().anyMatch(r -> r.clientOrderId().equals("o2")));
  }
}
