package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.sparkexec.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** ReplayIT on JOURNAL=postgres (issue #17): three systems in turn on one PostgreSQL journal. */
class ReplayPostgresIT extends ReplayIT {

  private TestPostgres db;

  @BeforeEach
  void database() {
    db = TestPostgres.create("replay");
  }

  @AfterEach
  void dropDatabase() {
    try (TestPostgres used = db) {
      assertTrue(used.journalRows() > 0, "no event_journal rows: the test did not run on the database");
    }
  }

  @Override
  Config journal() {
    return db.overrides();
  }
}
