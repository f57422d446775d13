package io.sparkexec;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;

/**
 * Loads conf/application.conf (or $SPARK_CONF_DIR/application.conf) over the libraries'
 * reference.conf; environment variables override through the file's ${?NAME} entries.
 */
public final class AppConfig {

  private AppConfig() {}

  public static File confDir() {
    String dir = System.getenv("SPARK_CONF_DIR");
    return new File(dir != null && !dir.isBlank() ? dir : "conf");
  }

  public static Config load() {
    return load(ConfigFactory.empty());
  }

  /** {@code overrides} win over the file (tests: temp dirs, port 0). */
  public static Config load(Config overrides) {
    File file = new File(confDir(), "application.conf");
    if (!file.isFile()) {
      throw new IllegalStateException("configuration not found: " + file.getAbsolutePath() + " (run from the project root or set SPARK_CONF_DIR)");
    }
    return ConfigFactory.load(overrides.withFallback(ConfigFactory.parseFile(file)));
  }
}
