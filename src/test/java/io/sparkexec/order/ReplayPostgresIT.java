package io.sparkexec.order;

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
    if (db != null) db.close();
  }

  @Override
  Config journal() {
    return db.overrides();
  }
}
