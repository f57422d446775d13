package io.sparkexec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppConfigTest {

  @TempDir
  Path tmp;

  private Config load(Map<String, String> env) {
    return AppConfig.load(ConfigFactory.empty(), tmp.resolve("no-conf").toFile(), env);
  }

  @Test
  void theEmbeddedDefaultsNeedNoConfDirectory() {
    Config c = load(Map.of());
    assertEquals(8080, c.getInt("spark.http.port"));
    assertEquals(Path.of("").toAbsolutePath().resolve("journal/executor").toString(), c.getString("spark.journal.dir"));
  }

  @Test
  void aConfDirectoryOverridesTheDefaults() throws Exception {
    File dir = Files.createDirectories(tmp.resolve("conf")).toFile();
    Files.writeString(dir.toPath().resolve("application.conf"), "spark.http.port = 7777\n");
    Config c = AppConfig.load(ConfigFactory.empty(), dir, Map.of());
    assertEquals(7777, c.getInt("spark.http.port"));
    assertEquals(8, c.getInt("spark.batch.max-size"), "the other defaults stay");
  }

  @Test
  void environmentValuesOverrideAndABadOneNamesItsVariable() {
    assertEquals(9999, load(Map.of("HTTP_PORT", "9999")).getInt("spark.http.port"));
    AppConfig.Invalid port = assertThrows(AppConfig.Invalid.class, () -> load(Map.of("HTTP_PORT", "abc")));
    assertEquals("environment variable HTTP_PORT: spark.http.port = \"abc\" is not a whole number", port.getMessage());
    AppConfig.Invalid timeout = assertThrows(AppConfig.Invalid.class, () -> load(Map.of("HTTP_ASK_TIMEOUT", "soon")));
    assertTrue(timeout.getMessage().startsWith("environment variable HTTP_ASK_TIMEOUT: spark.http.ask-timeout = \"soon\" is not a duration"),
        timeout.getMessage());
    AppConfig.Invalid fsync = assertThrows(AppConfig.Invalid.class, () -> load(Map.of("JOURNAL_FSYNC", "sometimes")));
    assertTrue(fsync.getMessage().startsWith("environment variable JOURNAL_FSYNC: ") && fsync.getMessage().endsWith("is not true or false (on/off, yes/no)"),
        fsync.getMessage());
  }

  @Test
  void journalPostgresSelectsTheJdbcPluginsOverAConfDirectoryCopyOfTheDefaults() throws Exception {
    assertEquals("spark.journal", load(Map.of()).getString("pekko.persistence.journal.plugin"));
    File dir = Files.createDirectories(tmp.resolve("conf")).toFile();
    Files.writeString(dir.toPath().resolve("application.conf"), "pekko.persistence.journal.plugin = \"spark.journal\"\n");
    Config c = AppConfig.load(ConfigFactory.empty(), dir, Map.of("JOURNAL", "postgres", "PG_URL", "jdbc:postgresql://db:5432/x",
        "PG_POOL_SIZE", "4"));
    assertEquals("jdbc-journal", c.getString("pekko.persistence.journal.plugin"));
    assertEquals("jdbc-snapshot-store", c.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("jdbc-read-journal", c.getString("spark.orders.read-journal"));
    assertEquals("jdbc:postgresql://db:5432/x", c.getString("pekko-persistence-jdbc.shared-databases.spark.db.url"));
    assertEquals(4, c.getInt("pekko-persistence-jdbc.shared-databases.spark.db.maxConnections"));
    AppConfig.Invalid pool = assertThrows(AppConfig.Invalid.class, () -> load(Map.of("JOURNAL", "postgres", "PG_POOL_SIZE", "many")));
    assertTrue(pool.getMessage().startsWith("environment variable PG_POOL_SIZE: ") && pool.getMessage().endsWith("= \"many\" is not a whole number"),
        pool.getMessage());
    AppConfig.Invalid profile = assertThrows(AppConfig.Invalid.class, () -> load(Map.of("JOURNAL", "mongo")));
    assertEquals("environment variable JOURNAL: spark.journal-profile = \"mongo\" is not one of [leveldb, postgres]", profile.getMessage());
  }

  @Test
  void relativePathsResolveAgainstTheDataDirectory() {
    Path data = tmp.resolve("data");
    Config c = load(Map.of("SPARK_DATA_DIR", data.toString(), "SNAPSHOT_DIR", "/abs/state"));
    assertEquals(data.resolve("journal/executor").toString(), c.getString("spark.journal.dir"));
    assertEquals(data.resolve("journal/executor-index").toString(), c.getString("spark.orders.index-dir"));
    assertEquals(data.resolve("snapshots/entities").toString(), c.getString("pekko.persistence.snapshot-store.local.dir"));
    assertEquals(data.resolve("journal/venue-sim").toString(), c.getString("spark.venue-sim.data-dir"));
    assertEquals("/abs/state", c.getString("spark.snapshot.dir"), "an absolute path stays");
  }
}
