package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.TestPostgres;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
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

  @Override
  @AfterAll
  void stop() {
    super.stop();
    if (db != null) db.close();
  }
}
