package io.sparkexec.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.CborSerializable;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;

/** Test systems on the product's config with our journal in a temp dir (one dir per test class). */
final class TestJournal {

  /** A test event serialized like the product's (Jackson CBOR through the marker interface). */
  record Evt(String text, long n) implements CborSerializable {}

  private TestJournal() {}

  static Config config(Path dir, String extra) {
    String base = """
        pekko.actor.provider = local
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.loglevel = WARNING
        pekko.persistence.journal.plugin = "spark.journal"
        pekko.persistence.snapshot-store.plugin = "pekko.persistence.snapshot-store.local"
        spark.journal.dir = "%s"
        spark.journal.fsync = off
        pekko.persistence.snapshot-store.local.dir = "%s"
        """.formatted(dir.resolve("journal").toString().replace("\\", "/"), dir.resolve("snapshots").toString().replace("\\", "/"));
    return AppConfig.load(ConfigFactory.parseString(extra).withFallback(ConfigFactory.parseString(base)));
  }

  static ActorSystem start(String name, Path dir) {
    return ActorSystem.create(name, config(dir, ""));
  }

  static void stop(ActorSystem system) {
    TestKit.shutdownActorSystem(system, scala.concurrent.duration.Duration.create(30, "s"), true);
  }

  static final Duration TIMEOUT = Duration.ofSeconds(20);
}
