package io.sparkexec;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration: the defaults embedded in the jar (conf/*.conf, packaged by pom.xml), under
 * {@code conf/application.conf} of the working directory (or {@code $SPARK_CONF_DIR}) when there is
 * one, under JVM system properties, over the libraries' reference.conf. Environment variables
 * override through the files' {@code ${?NAME}} entries; a value that has not the type of its
 * default fails here, naming the variable. Relative paths are resolved against {@code spark.data-dir}.
 */
public final class AppConfig {

  /** Where pom.xml puts conf/ on the classpath. */
  static final String EMBEDDED = "conf/application.conf";

  /** Every setting that names a file or directory; a relative one is resolved against spark.data-dir. */
  static final List<String> PATHS = List.of("spark.journal.dir", "spark.orders.index-dir", "spark.snapshot.dir", "spark.venue-sim.data-dir",
      "pekko.persistence.journal.leveldb.dir", "pekko.persistence.snapshot-store.local.dir");

  /** spark.journal-profile (JOURNAL) -> the embedded file laid over the defaults (none for the default). */
  static final Map<String, String> PROFILES = profiles();

  private static Map<String, String> profiles() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("leveldb", null);
    p.put("postgres", "conf/postgres.conf");
    return Collections.unmodifiableMap(p);
  }

  /** A setting that cannot be used: the message names the setting, where its value came from and what it must be. */
  public static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message);
    }
  }

  private AppConfig() {}

  public static File confDir() {
    String dir = System.getenv("SPARK_CONF_DIR");
    return new File(dir != null && !dir.isBlank() ? dir : "conf");
  }

  public static Config load() {
    return load(ConfigFactory.empty());
  }

  /** {@code overrides} win over the files (tests: temp dirs, port 0). */
  public static Config load(Config overrides) {
    return load(overrides, confDir(), System.getenv());
  }

  static Config load(Config overrides, File confDir, Map<String, String> env) {
    try {
      Config embedded = ConfigFactory.parseResourcesAnySyntax(AppConfig.class.getClassLoader(), EMBEDDED);
      if (embedded.isEmpty()) throw new Invalid("the embedded defaults (" + EMBEDDED + ") are missing from the classpath: a broken build");
      File file = new File(confDir, "application.conf");
      Config local = file.isFile() ? ConfigFactory.parseFile(file) : ConfigFactory.empty();
      Config config = resolve(overrides, ConfigFactory.empty(), local, embedded, env);
      String profile = config.getString("spark.journal-profile");
      if (!PROFILES.containsKey(profile)) {
        ConfigValue value = config.getValue("spark.journal-profile");
        throw new Invalid(value.origin().description() + ": spark.journal-profile = \"" + profile + "\" is not one of " + PROFILES.keySet());
      }
      String profileFile = PROFILES.get(profile);
      Config defaults = embedded;
      if (profileFile != null) {
        // over conf/ too, which is often a copy of the defaults: the profile's settings are tuned through their env variables
        Config profileConfig = ConfigFactory.parseResourcesAnySyntax(AppConfig.class.getClassLoader(), profileFile);
        config = resolve(overrides, profileConfig, local, embedded, env);
        defaults = profileConfig.withFallback(embedded);
      }
      checkTypes(config, defaults.resolve(ConfigResolveOptions.noSystem()));
      return withDataDir(config);
    } catch (ConfigException e) {
      throw new Invalid(e.getMessage());
    }
  }

  /** As ConfigFactory.load, but environment variables come through our resolver so a value names its variable. */
  private static Config resolve(Config overrides, Config profile, Config local, Config embedded, Map<String, String> env) {
    return ConfigFactory.defaultOverrides().withFallback(overrides).withFallback(profile).withFallback(local).withFallback(embedded)
        .withFallback(ConfigFactory.defaultReference())
        .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false).appendResolver(new EnvResolver(env)));
  }

  /** The data directory, absolute: relative paths in the configuration are resolved against it. */
  public static Path dataDir(Config config) {
    return Path.of(config.getString("spark.data-dir")).toAbsolutePath().normalize();
  }

  private static Config withDataDir(Config config) {
    Path dataDir = dataDir(config);
    Map<String, Object> resolved = new HashMap<>();
    resolved.put("spark.data-dir", dataDir.toString());
    for (String path : PATHS) {
      if (config.hasPath(path) && !Path.of(config.getString(path)).isAbsolute()) {
        resolved.put(path, dataDir.resolve(config.getString(path)).normalize().toString());
      }
    }
    return ConfigFactory.parseMap(resolved, "relative to spark.data-dir").withFallback(config);
  }

  /**
   * Every setting whose default is a number, a boolean or a duration must still be one, whatever
   * set it: fails before anything starts, naming the setting and the variable (rather than a room
   * failing seconds later with "env variables: port has type STRING").
   */
  private static void checkTypes(Config config, Config defaults) {
    for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) {
      String path = e.getKey();
      ConfigValue reference = e.getValue();
      String expected = null;
      try {
        if (reference.valueType() == ConfigValueType.NUMBER) {
          boolean whole = reference.unwrapped() instanceof Integer || reference.unwrapped() instanceof Long;
          expected = whole ? "a whole number" : "a number";
          if (whole) config.getLong(path);
          else config.getDouble(path);
        } else if (reference.valueType() == ConfigValueType.BOOLEAN || isBoolean(defaults, path)) {
          expected = "true or false (on/off, yes/no)";
          config.getBoolean(path);
        } else if (reference.valueType() == ConfigValueType.STRING && isDuration(defaults, path)) {
          expected = "a duration such as \"" + reference.unwrapped() + "\"";
          config.getDuration(path);
        }
      } catch (ConfigException.WrongType | ConfigException.BadValue bad) {
        ConfigValue actual = config.getValue(path);
        throw new Invalid(actual.origin().description() + ": " + path + " = \"" + actual.unwrapped() + "\" is not " + expected);
      }
    }
  }

  /** HOCON reads an unquoted on/off/yes/no as a string; getBoolean takes it. */
  private static boolean isBoolean(Config defaults, String path) {
    try {
      defaults.getBoolean(path);
      return true;
    } catch (ConfigException e) {
      return false;
    }
  }

  /** "5 s" is a duration; "1m" is also a size in bytes, so it is not checked as either. */
  private static boolean isDuration(Config defaults, String path) {
    try {
      defaults.getDuration(path);
    } catch (ConfigException e) {
      return false;
    }
    try {
      defaults.getBytes(path);
      return false;
    } catch (ConfigException e) {
      return true;
    }
  }

  /** {@code ${?NAME}} from the environment, with an origin that names the variable. */
  private record EnvResolver(Map<String, String> env) implements ConfigResolver {
    @Override
    public ConfigValue lookup(String path) {
      String value = env.get(path);
      return value == null ? null : ConfigValueFactory.fromAnyRef(value, "environment variable " + path);
    }

    @Override
    public ConfigResolver withFallback(ConfigResolver fallback) {
      return new ConfigResolver() {
        @Override
        public ConfigValue lookup(String path) {
          ConfigValue v = EnvResolver.this.lookup(path);
          return v != null ? v : fallback.lookup(path);
        }

        @Override
        public ConfigResolver withFallback(ConfigResolver next) {
          return EnvResolver.this.withFallback(fallback.withFallback(next));
        }
      };
    }
  }
}
