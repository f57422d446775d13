package io.sparkexec.journal;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL database of {@code JOURNAL=postgres} (conf/postgres.conf), seen from outside the
 * actor system: {@link #migrate} creates the journal's tables (the {@code migrate-db} command,
 * idempotent) and {@link #check} tells, before anything starts, whether the server can be reached
 * and holds them. Plain JDBC on the caller's thread: both run before the actor system exists.
 */
public final class PostgresStore {

  private static final Logger log = LoggerFactory.getLogger(PostgresStore.class);
  private static final String SCHEMA = "db/postgres-schema.sql";
  /** The tables the executor needs; a database without one of them was not migrated. */
  static final List<String> TABLES = List.of("event_journal", "event_tag", "snapshot");
  private static final int LOGIN_TIMEOUT_SECONDS = 5;

  /** The database cannot be used: unreachable, refused the credentials, or without the schema. */
  public static final class Unavailable extends Exception {
    public Unavailable(String message) {
      super(message);
    }
  }

  public record Settings(String url, String user, String password) {
    public static Settings fromConfig(Config spark) {
      Config pg = spark.getConfig("postgres");
      return new Settings(pg.getString("url"), pg.getString("user"), pg.getString("password"));
    }
  }

  private PostgresStore() {}

  /** Creates what is missing of the schema; run again it changes nothing. Returns the statements run. */
  public static int migrate(Settings settings) throws Unavailable {
    List<String> statements = statements(schema());
    try (Connection c = connect(settings); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (String sql : statements) s.execute(sql);
      c.commit();
      log.info("event=db_migrated url={} statements={} tables={}", settings.url(), statements.size(), TABLES);
      return statements.size();
    } catch (SQLException e) {
      throw new Unavailable("migrating " + settings.url() + " failed: " + e.getMessage());
    }
  }

  /** Fails, saying what to do, unless the database answers and holds every table. */
  public static void check(Settings settings) throws Unavailable {
    try (Connection c = connect(settings)) {
      List<String> missing = new ArrayList<>();
      for (String table : TABLES) {
        try (ResultSet rs = c.getMetaData().getTables(null, null, table, new String[] {"TABLE"})) {
          if (!rs.next()) missing.add(table);
        }
      }
      if (!missing.isEmpty()) {
        throw new Unavailable("database " + settings.url() + " has no " + String.join(", ", missing)
            + " table: create the schema with `java -jar spark-executor.jar migrate-db` (same PG_URL, PG_USER, PG_PASSWORD)");
      }
    } catch (SQLException e) {
      throw new Unavailable("database " + settings.url() + " as " + settings.user() + " cannot be used: " + e.getMessage()
          + " (PG_URL, PG_USER, PG_PASSWORD)");
    }
  }

  /** A tag's highest offset (the ordering of its newest event; 0 for a tag never written): one index read. Blocking. */
  public static long tagHead(Settings settings, String tag) throws Unavailable {
    try (Connection c = connect(settings);
        var statement = c.prepareStatement("SELECT COALESCE(MAX(event_id), 0) FROM event_tag WHERE tag = ?")) {
      statement.setString(1, tag);
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new Unavailable("reading the head of tag " + tag + " in " + settings.url() + " failed: " + e.getMessage());
    }
  }

  /** {@link #tagHead} for the feed, on the blocking dispatcher: the JDBC read journal has no such query. */
  public static TagHeadQuery tagHeadQuery(Settings settings, Executor blocking) {
    return tag -> Source.completionStage(CompletableFuture.supplyAsync(() -> {
      try {
        return tagHead(settings, tag);
      } catch (Unavailable e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }, blocking));
  }

  private static Connection connect(Settings settings) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", settings.user());
    props.setProperty("password", settings.password());
    props.setProperty("loginTimeout", Integer.toString(LOGIN_TIMEOUT_SECONDS));
    props.setProperty("connectTimeout", Integer.toString(LOGIN_TIMEOUT_SECONDS));
    return DriverManager.getConnection(settings.url(), props);
  }

  private static String schema() {
    try (InputStream in = PostgresStore.class.getClassLoader().getResourceAsStream(SCHEMA)) {
      if (in == null) throw new IllegalStateException(SCHEMA + " is missing from the classpath: a broken build");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The script's statements: split at semicolons that end a line, "--" comment lines dropped. */
  static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      if (line.strip().startsWith("--")) continue;
      current.append(line).append('\n');
      if (line.strip().endsWith(";")) {
        String sql = current.toString().strip();
        out.add(sql.substring(0, sql.length() - 1));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) out.add(current.toString().strip());
    return out;
  }
}
