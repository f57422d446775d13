package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.journal.PostgresStore;
import io.sparkexec.testing.TestPostgres;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OrderApiIT's tests on JOURNAL=postgres (issue #17): its start and stop replace OrderApiIT's, so
 * the one server of the class runs on a fresh PostgreSQL database.
 */
class OrderApiPostgresIT extends OrderApiIT {

  private TestPostgres db;

  @Override
  @BeforeAll
  void start() {
    db = TestPostgres.create("order_api");
    server = TestServer.inProcess(dataDir, db.overrides());
  }

  @Test
  void theJournalIsThePostgresDatabase() {
    assertEquals("jdbc-journal", server.config().getString("pekko.persistence.journal.plugin"));
    long before = db.journalRows();
    Response placed = server.placeOrder(json("clientOrderId", "pg-journal-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.001"));
    assertEquals("FILLED", placed.json().path("status").asText(), placed::toString);
    assertTrue(db.journalRows() > before, "the order's events are rows of event_journal");
  }

  @Test
  void theTagHeadFromTheIndexIsTheReadJournalsNewestOffset() throws Exception {
    server.placeOrder(json("clientOrderId", "pg-head-1", "symbol", "ETHUSDT", "side", "SELL", "type", "MARKET", "quantity", "0.01"));
    CurrentEventsByTagQuery query = PersistenceQuery.get(server.system())
        .getReadJournalFor(CurrentEventsByTagQuery.class, server.config().getString("spark.orders.read-journal"));
    long newest = query.currentEventsByTag(OrderDesk.TAG, NoOffset.getInstance())
        .runWith(Sink.fold(0L, (last, e) -> ((Sequence) e.offset()).value()), server.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(newest > 0);
    assertEquals(newest, PostgresStore.tagHead(db.settings(), OrderDesk.TAG));
  }

  @Override
  @AfterAll
  void stop() {
    super.stop();
    if (db != null) db.close();
  }
}
