package io.sparkexec.order;

import io.sparkexec.testing.TestPostgres;
import io.sparkexec.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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

  @Override
  @AfterAll
  void stop() {
    super.stop();
    if (db != null) db.close();
  }
}
