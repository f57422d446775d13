package io.sparkexec.journal;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.risk.RiskLedger;
import io.sparkexec.testing.JarProcess;
import io.sparkexec.testing.TestServer;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.Venue;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A journal as the per-order entities wrote it (persistence ids {@code Order|<id>}, manifests
 * {@code io.sparkexec.order.OrderEntity$...}, the old CBOR field names, one writer uuid per entity,
 * events of several orders interleaved in the {@code order} tag) plus a risk ledger that has
 * folded part of that tag, is upgraded with {@code migrate-journal --orders}; then the whole
 * server runs on the new journal and its default index dir.
 */
@ExtendWith(LogCapturingExtension.class)
class OrderJournalMigrationIT {

  @TempDir
  Path dataDir;

  /** No price ticks: the simulated book stays put, so the resubmitted resting order rests. */
  private static final Config FROZEN_MARKET = ConfigFactory.parseMap(Map.of("spark.venue.sim.tick-ms", 3_600_000));
  private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
  private static final String STRATEGY = "mig";

  /** One old event: its order, the old simple class name, its fields in the old record's order. */
  private record Old(String clientOrderId, String type, Map<String, Object> fields) {}

  private ActorSystem serializationSystem;
  private ObjectMapper cbor;
  private Payloads payloads;

  @Test
  void upgradesTheEntityJournalAndTheServerServesItsOrders() throws Exception {
    Path oldDir = dataDir.resolve("journal-entities");
    Path newDir = dataDir.resolve("journal");
    List<Old> history = history();
    int ledgerFoldedTo = 6;
    serializationSystem = ActorSystem.create("old-writer", ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.actor.serialization-bindings { "io.sparkexec.CborSerializable" = jackson-cbor }
        """).withFallback(ConfigFactory.defaultReference()));
    try {
      cbor = JacksonObjectMapperProvider.get(serializationSystem).getOrCreate("jackson-cbor", Optional.of(new CBORFactory()));
      payloads = new Payloads(serializationSystem);
      writeOldJournal(oldDir, history, ledgerFoldedTo);
    } finally {
      TestJournal.stop(serializationSystem);
    }

    // the server refuses the old journal: the start-up check (Main) and the plugin (JournalStore.open)
    IOException refused = assertThrows(IOException.class, () -> JournalStore.checkOpenable(oldDir.toFile()));
    assertTrue(refused.getMessage().contains("migrate-journal --orders"), refused.getMessage());
    assertThrows(IOException.class, () -> JournalStore.open(settings(oldDir)));
    Path serveLog = dataDir.resolve("serve.log");
    Process serve = JarProcess.start(List.of("serve"), dataDir, serveLog, Map.of("JOURNAL_DIR", oldDir.toString(), "HTTP_PORT",
        String.valueOf(TestServer.freePort()), "CLUSTER_PORT", "0", "SNAPSHOT_STORE_DIR", dataDir.resolve("snapshots").toString()));
    assertTrue(serve.waitFor(120, TimeUnit.SECONDS), "serve on the old journal did not exit");
    assertEquals(io.sparkexec.ExitCode.JOURNAL_UNREADABLE.code, serve.exitValue(), JarProcess.logTail(serveLog, 20));
    String served = Files.readString(serveLog);
    assertTrue(served.contains("event=start_refused") && served.contains("migrate-journal --orders --from " + oldDir), served);

    // the command line, with the default index dir beside its --to
    Path cliDir = dataDir.resolve("journal-cli");
    Path cliLog = dataDir.resolve("migrate.log");
    Process cli = JarProcess.start(List.of("migrate-journal", "--orders", "--from", oldDir.toString(), "--to", cliDir.toString()), dataDir, cliLog,
        Map.of());
    assertTrue(cli.waitFor(120, TimeUnit.SECONDS), "migrate-journal did not exit");
    assertEquals(0, cli.exitValue(), JarProcess.logTail(cliLog, 20));
    assertTrue(Files.readString(cliLog).contains("event=journal_migration_done kind=orders orderEvents=13 orders=4 openOrders=1"),
        JarProcess.logTail(cliLog, 20));
    assertTrue(Files.isRegularFile(dataDir.resolve("journal-cli-index").resolve("CURRENT")));

    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger migrationLog = (Logger) LoggerFactory.getLogger(OrderJournalMigration.class);
    logs.start();
    migrationLog.addAppender(logs);
    OrderJournalMigration.Result result;
    try {
      result = OrderJournalMigration.run(oldDir.toFile(), newDir.toFile(), OrderJournalMigration.defaultIndexDir(newDir.toFile()), 4);
    } finally {
      migrationLog.detachAppender(logs);
    }
    List<String> progress = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith("event=journal_migration_progress kind=orders phase=orders")).toList();
    assertEquals(3, progress.size(), "every 4 of 13 order events: " + progress);
    assertTrue(progress.get(2).contains("orderEvents=12 orders=4 openOrders=2 desks=2"), progress.get(2));
    assertEquals(history.size(), result.orderEvents());
    assertEquals(4, result.orders());
    assertEquals(1, result.openOrders());
    assertEquals(Map.of("BTCUSDT", 6L, "ETHUSDT", 7L), result.desks());
    assertEquals(1, result.copiedPersistenceIds(), "the risk ledger");
    assertEquals(1, result.copiedEvents());
    assertEquals(4, result.indexed(), "3 final orders as they closed, the open one at the end");
    JournalStore.checkOpenable(newDir.toFile());
    assertThrows(IOException.class, () -> OrderJournalMigration.run(oldDir.toFile(), newDir.toFile(),
        OrderJournalMigration.defaultIndexDir(newDir.toFile()), 4), "target not empty");

    // the tag keeps its offsets and its order of facts; each fact now lives in its symbol's desk
    try (JournalStore store = JournalStore.open(settings(newDir))) {
      List<JournalStore.TagEntry> tag = store.tagEntries(OrderDesk.TAG, 0, Long.MAX_VALUE, 100).entries();
      assertEquals(history.size(), tag.size());
      assertEquals(history.size(), store.highestTagOffset(OrderDesk.TAG));
      Map<String, Long> deskSeq = new HashMap<>();
      for (int i = 0; i < tag.size(); i++) {
        Old old = history.get(i);
        StoredEvent e = tag.get(i).event();
        String desk = "OrderDesk|" + symbolOf(history, old.clientOrderId());
        assertEquals(i + 1, tag.get(i).offset());
        assertEquals(desk, e.persistenceId());
        assertEquals(deskSeq.merge(desk, 1L, Long::sum), e.sequenceNr());
        assertEquals("io.sparkexec.order.OrderDesk$" + old.type(), e.serializerManifest());
        assertEquals(T0.plusSeconds(i).toEpochMilli(), e.timestamp());
        // every rewritten event names its order's strategy, as the desks write them (the old ones had it on the acceptance only)
        JsonNode fields = cbor.readTree(e.payload());
        assertEquals(STRATEGY, (old.type().equals("OrderAccepted") ? fields.path("spec") : fields).path("strategy").asText(), fields::toString);
      }
      assertEquals(1, store.events("RiskLedger|node", 1, Long.MAX_VALUE, 10).size());
      assertEquals(0, store.highestSequenceNr("Order|m-final"));
    }

    try (TestServer server = TestServer.inProcess(dataDir, FROZEN_MARKET)) {
      // a final old order, from the index: status, fills
      JsonNode filled = server.getOrder("m-final").json();
      assertEquals("FILLED", filled.path("status").asText(), filled::toString);
      assertEquals(2, filled.path("fills").size(), filled::toString);
      assertEquals(0, new BigDecimal(filled.path("executedQty").asText()).compareTo(new BigDecimal("0.002")), filled::toString);
      assertEquals("CANCELED", server.getOrder("m-cxl").json().path("status").asText());

      // the risk ledger resumed at its offset: no fact skipped, none folded twice
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
          Map.of("BTCUSDT", new BigDecimal("0.002"), "ETHUSDT", new BigDecimal("-0.01")), positions(server)));

      // ids stay taken: the same body answers the old order, another body is a conflict
      TestServer.Response again = server.placeOrder(limit("m-final", "BTCUSDT", "BUY", "0.002", "65000.01"));
      assertEquals(200, again.status(), again::toString);
      assertEquals("FILLED", again.json().path("status").asText(), again::toString);
      TestServer.Response conflict = server.placeOrder(limit("m-final", "BTCUSDT", "BUY", "0.003", "65000.01"));
      assertEquals(409, conflict.status(), conflict::toString);
      TestServer.Response otherDesk = server.placeOrder(limit("m-eth", "BTCUSDT", "BUY", "0.01", "1000.00"));
      assertEquals(409, otherDesk.status(), otherDesk::toString);

      // the open old order is open in its desk, and can be canceled
      JsonNode open = server.get("/api/private/open-orders").json();
      List<String> openIds = new ArrayList<>();
      for (JsonNode o : open.path("orders")) openIds.add(o.path("clientOrderId").asText());
      assertEquals(List.of("m-open"), openIds, open::toString);
      server.delete("/api/private/order/m-open");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        server.delete("/api/private/order/m-open");
        assertEquals("CANCELED", server.getOrder("m-open").json().path("status").asText());
      });
      assertFalse(server.get("/api/private/open-orders").text().contains("m-open"));
      // the ledger folds new facts after the migrated ones (the cancel, at the next tag offset)
      await().atMost(Duration.ofSeconds(30)).until(() -> server.orderEventCount() > history.size());
      assertEquals(Map.of("BTCUSDT", new BigDecimal("0.002"), "ETHUSDT", new BigDecimal("-0.01")), positions(server));
    }
  }

  /** Net filled quantity by symbol for the test's strategy, from GET /positions. */
  private static Map<String, BigDecimal> positions(TestServer server) {
    Map<String, BigDecimal> out = new LinkedHashMap<>();
    for (JsonNode p : server.get("/api/private/positions?strategy=" + STRATEGY).json().path("positions")) {
      out.put(p.path("symbol").asText(), new BigDecimal(p.path("quantity").asText()));
    }
    return out;
  }

  private static String limit(String id, String symbol, String side, String quantity, String price) {
    return json("clientOrderId", id, "symbol", symbol, "side", side, "type", "LIMIT", "quantity", quantity, "price", price,
        "timeInForce", "GTC", "strategy", STRATEGY);
  }

  private static JournalStore.Settings settings(Path dir) {
    return new JournalStore.Settings(dir.toFile(), false, 100, 100, 0);
  }

  private static String symbolOf(List<Old> history, String id) {
    for (Old o : history) if (o.clientOrderId().equals(id) && o.type().equals("OrderAccepted")) return (String) o.fields().get("symbol");
    throw new AssertionError(id);
  }

  /**
   * Four orders, interleaved as the entities wrote them: m-final (BTCUSDT, filled in two fills),
   * m-open (BTCUSDT, acknowledged, resting far below the market), m-eth (ETHUSDT MARKET sell,
   * filled), m-cxl (ETHUSDT, in doubt, acknowledged, canceled).
   */
  private static List<Old> history() {
    List<Old> h = new ArrayList<>();
    h.add(accepted("m-final", "BTCUSDT", "BUY", "LIMIT", "0.002", "65000.01", "65000.01", 0));
    h.add(accepted("m-open", "BTCUSDT", "BUY", "LIMIT", "0.02", "1000.00", "65000.01", 1));
    h.add(old("m-final", "OrderAcknowledged", "venueOrderId", "v-1", "sentAt", T0.plusSeconds(2), "acknowledgedAt", T0.plusSeconds(2)));
    h.add(accepted("m-eth", "ETHUSDT", "SELL", "MARKET", "0.01", null, "3000.00", 3));
    h.add(old("m-open", "OrderAcknowledged", "venueOrderId", "v-2", "sentAt", T0.plusSeconds(4), "acknowledgedAt", T0.plusSeconds(4)));
    h.add(old("m-final", "OrderFilled", "fill", fill("t-1", "65000.01", "0.001", 5)));
    // the risk ledger has folded up to here (offset 6)
    h.add(old("m-eth", "OrderAcknowledged", "venueOrderId", "v-3", "sentAt", T0.plusSeconds(6), "acknowledgedAt", T0.plusSeconds(6)));
    h.add(old("m-eth", "OrderFilled", "fill", fill("t-2", "2999.99", "0.01", 7)));
    h.add(accepted("m-cxl", "ETHUSDT", "BUY", "LIMIT", "0.1", "100.00", "3000.00", 8));
    h.add(old("m-cxl", "OrderInDoubt", "reason", "submit outcome unknown: timeout", "at", T0.plusSeconds(9)));
    h.add(old("m-final", "OrderFilled", "fill", fill("t-3", "65000.01", "0.001", 10)));
    h.add(old("m-cxl", "OrderAcknowledged", "venueOrderId", "v-4", "sentAt", null, "acknowledgedAt", T0.plusSeconds(11)));
    h.add(old("m-cxl", "OrderCanceled", "reason", "canceled by client", "at", T0.plusSeconds(12)));
    return h;
  }

  private static Old accepted(String id, String symbol, String side, String type, String qty, String price, String decision, int at) {
    return old(id, "OrderAccepted", "clientOrderId", id, "symbol", symbol, "side", side, "type", type, "timeInForce", "GTC",
        "quantity", new BigDecimal(qty), "price", price == null ? null : new BigDecimal(price), "strategy", STRATEGY,
        "decisionPrice", new BigDecimal(decision), "receivedAt", T0.plusSeconds(at), "acceptedAt", T0.plusSeconds(at));
  }

  private static Venue.Fill fill(String tradeId, String price, String qty, int at) {
    return new Venue.Fill(tradeId, new BigDecimal(price), new BigDecimal(qty), new BigDecimal("0.0000001"), "BNB", T0.plusSeconds(at));
  }

  private static Old old(String id, String type, Object... keyValues) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) fields.put((String) keyValues[i], keyValues[i + 1]);
    return new Old(id, type, fields);
  }

  /**
   * Writes the history as the entities did (one AtomicWrite per event, tagged {@code order}, the
   * old manifest, each entity its own writer uuid), and the risk ledger's one Applied event for
   * the facts of offsets 1..{@code ledgerFoldedTo}.
   */
  private void writeOldJournal(Path dir, List<Old> history, int ledgerFoldedTo) throws Exception {
    Map<String, Long> seqs = new HashMap<>();
    Map<String, String> writers = new HashMap<>();
    List<RiskLedger.Fact> facts = new ArrayList<>();
    try (JournalStore store = JournalStore.open(settings(dir))) {
      for (int i = 0; i < history.size(); i++) {
        Old e = history.get(i);
        String pid = "Order|" + e.clientOrderId();
        ObjectNode tree = cbor.createObjectNode();
        e.fields().forEach((k, v) -> tree.set(k, cbor.valueToTree(v)));
        long seq = seqs.merge(pid, 1L, Long::sum);
        StoredEvent stored = new StoredEvent(pid, seq, payloads.serialize(new TestJournal.Evt("x", 1)).serializerId(),
            "io.sparkexec.order.OrderEntity$" + e.type(), "", writers.computeIfAbsent(pid, p -> UUID.randomUUID().toString()),
            T0.plusSeconds(i).toEpochMilli(), cbor.writeValueAsBytes(tree));
        store.append(List.of(new JournalStore.AtomicAppend(pid, List.of(JournalStore.NewEvent.of(stored, Set.of(OrderDesk.TAG))))))
            .get(10, TimeUnit.SECONDS);
        if (i < ledgerFoldedTo) {
          RiskLedger.Fact fact = factOf(e);
          if (fact != null) facts.add(fact);
        }
      }
      Payloads.Serialized applied = payloads.serialize(new RiskLedger.Applied(ledgerFoldedTo, facts));
      StoredEvent ledger = new StoredEvent(RiskLedger.PERSISTENCE_ID.id(), 1, applied.serializerId(), applied.manifest(), "",
          UUID.randomUUID().toString(), T0.plusSeconds(30).toEpochMilli(), applied.bytes());
      store.append(List.of(new JournalStore.AtomicAppend(ledger.persistenceId(), List.of(JournalStore.NewEvent.of(ledger, Set.of())))))
          .get(10, TimeUnit.SECONDS);
    }
    assertEquals(4, facts.size(), "three acceptances and one fill folded before the migration");
  }

  /** The ledger's fact of an old event, as the old RiskProjection folded it. */
  private static RiskLedger.Fact factOf(Old e) {
    Map<String, Object> f = e.fields();
    return switch (e.type()) {
      case "OrderAccepted" -> {
        BigDecimal qty = (BigDecimal) f.get("quantity");
        BigDecimal price = f.get("price") != null ? (BigDecimal) f.get("price") : (BigDecimal) f.get("decisionPrice");
        yield new RiskLedger.Accepted(e.clientOrderId(), STRATEGY, (String) f.get("symbol"), Side.valueOf((String) f.get("side")), qty,
            qty.multiply(price), (Instant) f.get("acceptedAt"));
      }
      case "OrderFilled" -> new RiskLedger.Filled(e.clientOrderId(), ((Venue.Fill) f.get("fill")).quantity());
      case "OrderCanceled", "OrderRejected", "OrderExpired" -> new RiskLedger.Closed(e.clientOrderId());
      default -> null;
    };
  }
}
