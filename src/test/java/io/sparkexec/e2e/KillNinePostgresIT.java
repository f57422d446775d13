package io.sparkexec.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.TestPostgres;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** KillNineIT on JOURNAL=postgres (issue #17): the jar killed with SIGKILL three times under load, its journal in PostgreSQL. */
class KillNinePostgresIT extends KillNineIT {

  private TestPostgres db;

  @BeforeEach
  void database() {
    db = TestPostgres.create("kill_nine");
  }

  @AfterEach
  void dropDatabase() {
    try (TestPostgres used = db) {
      assertTrue(used.journalRows() > 0, "no event_journal rows: the test did not run on the database");
    }
  }

  @Override
  Map<String, String> env() {
    Map<String, String> env = new HashMap<>(super.env());
    env.putAll(db.env());
    return env;
  }
}
