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
