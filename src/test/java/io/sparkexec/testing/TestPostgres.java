package io.sparkexec.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.journal.PostgresStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fresh PostgreSQL database for one test class of the {@code JOURNAL=postgres} profile, made
 * with {@code migrate-db}'s own code and dropped at close. The server is the one .ci/run starts
 * (PG_TEST_URL, default the local server's {@code spark} database, as role spark/spark with
 * CREATEDB); without one the test is skipped with a visible message, and fails on CI.
 */
public final class TestPostgres implements AutoCloseable {

  private static final String ADMIN_URL = env("PG_TEST_URL", "jdbc:postgresql://127.0.0.1:5432/spark");
  private static final String USER = env("PG_TEST_USER", "spark");
  private static final String PASSWORD = env("PG_TEST_PASSWORD", "spark");
  private static final AtomicInteger SEQ = new AtomicInteger();

  private final String name;
  private final String url;

  private TestPostgres(String name) {
    this.name = name;
    this.url = ADMIN_URL.substring(0, ADMIN_URL.lastIndexOf('/') + 1) + name;
  }

  /** A new, migrated database named after {@code purpose}; skips (fails on CI) when there is no server. */
  public static TestPostgres create(String purpose) {
    TestPostgres db = createEmpty(purpose);
    try {
      PostgresStore.migrate(db.settings());
    } catch (PostgresStore.Unavailable e) {
      db.close();
      throw new AssertionError(e.getMessage(), e);
    }
    return db;
  }

  /** A new database without the schema (tests of migrate-db and of the start check). */
  public static TestPostgres createEmpty(String purpose) {
    String name = ("spark_it_" + purpose + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet()).toLowerCase();
    try (Connection c = admin(); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name);
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      ExternalTools.requireTool(false, "PostgreSQL at " + ADMIN_URL + " as " + USER + " (" + e.getMessage() + ")");
    }
    return new TestPostgres(name);
  }

  public PostgresStore.Settings settings() {
    return new PostgresStore.Settings(url, USER, PASSWORD);
  }

  /** Settings for an in-process server on this database. */
  public Config overrides() {
    return ConfigFactory.parseMap(Map.of("spark.journal-profile", "postgres", "spark.postgres.url", url, "spark.postgres.user", USER,
        "spark.postgres.password", PASSWORD));
  }

  /** Environment for the jar on this database. */
  public Map<String, String> env() {
    return Map.of("JOURNAL", "postgres", "PG_URL", url, "PG_USER", USER, "PG_PASSWORD", PASSWORD);
  }

  /** Rows of the journal, counted in the database itself. */
  public long journalRows() {
    try (Connection c = DriverManager.getConnection(url, USER, PASSWORD); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM event_journal")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError("cannot count the journal's rows in " + url + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try (Connection c = admin(); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      System.err.println("TestPostgres: could not drop " + name + ": " + e.getMessage());
    }
  }

  private static Connection admin() throws SQLException {
    return DriverManager.getConnection(ADMIN_URL, USER, PASSWORD);
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
