package io.sparkexec;

import com.typesafe.config.Config;
import io.sparkexec.journal.GroupCommitJournal;
import io.sparkexec.journal.JournalStore;
import io.sparkexec.journal.PostgresStore;
import io.sparkexec.risk.TradeMode;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * What can refuse a start, checked in a second before any actor, port or journal is opened: the
 * trade mode, the HTTP and cluster ports, the journal's lock and format. Each refusal carries its
 * exit code and a message naming the setting to change.
 */
final class StartChecks {

  static final class Refused extends Exception {
    final ExitCode code;
    final String cause;

    Refused(ExitCode code, String cause, String message) {
      super(message);
      this.code = code;
      this.cause = cause;
    }
  }

  private StartChecks() {}

  static void check(Config config) throws Refused {
    try {
      TradeMode.check(config.getString("spark.trade-mode"), config.getBoolean("spark.live-enabled"), config.getString("spark.venue.kind"));
    } catch (IllegalStateException e) {
      throw new Refused(ExitCode.CONFIG, "config_invalid", e.getMessage());
    }
    port(config.getString("spark.http.host"), config.getInt("spark.http.port"), ExitCode.HTTP_PORT_TAKEN, "http_port_taken",
        "the HTTP port", "HTTP_HOST/HTTP_PORT (spark.http.host/port)");
    Config artery = config.getConfig("pekko.remote.artery");
    // remoting binds TCP unless configured for Aeron (UDP), which this check does not cover
    if (!config.getString("pekko.actor.provider").equals("local") && artery.getString("transport").endsWith("tcp")) {
      String host = artery.getString("bind.hostname").isEmpty() ? artery.getString("canonical.hostname") : artery.getString("bind.hostname");
      int port = artery.getString("bind.port").isEmpty() ? artery.getInt("canonical.port") : artery.getInt("bind.port");
      port(host, port, ExitCode.CLUSTER_PORT_TAKEN, "cluster_port_taken", "the cluster (remoting) port",
          "CLUSTER_PORT (pekko.remote.artery.canonical.port; 0 = any free port)");
    }
    String plugin = config.getString("pekko.persistence.journal.plugin");
    if (config.getString("spark.journal-profile").equals("postgres")) {
      unlocked(new File(config.getString("spark.orders.index-dir")), "order index", "ORDER_INDEX_DIR");
      try {
        PostgresStore.check(PostgresStore.Settings.fromConfig(config.getConfig("spark")));
      } catch (PostgresStore.Unavailable e) {
        throw new Refused(ExitCode.DATABASE_UNAVAILABLE, "database_unavailable", e.getMessage());
      }
      return;
    }
    File journal = new File(config.getString(plugin + ".dir"));
    unlocked(journal, "journal", "JOURNAL_DIR");
    unlocked(new File(config.getString("spark.orders.index-dir")), "order index", "ORDER_INDEX_DIR");
    // an old or foreign journal (e.g. still holding the per-order entities' events) is refused here, with the command that upgrades it
    if (GroupCommitJournal.class.getName().equals(config.getString(plugin + ".class"))) {
      try {
        JournalStore.checkOpenable(journal);
      } catch (IOException e) {
        throw new Refused(ExitCode.JOURNAL_UNREADABLE, "journal_unreadable", e.getMessage() + " (JOURNAL_DIR=" + journal + ")");
      }
    }
  }

  /** Binds and releases the port at once: taken now means taken when the server binds a moment later. */
  private static void port(String host, int port, ExitCode code, String cause, String what, String settings) throws Refused {
    if (port == 0) return;
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new Refused(code, cause, what + " " + host + ":" + port + " cannot be bound (" + e.getMessage()
          + "): another process has it; stop that one or set " + settings);
    }
  }

  private static void unlocked(File dir, String what, String setting) throws Refused {
    try {
      if (JournalStore.lockedByAnotherProcess(dir)) {
        throw new Refused(ExitCode.JOURNAL_LOCKED, "journal_locked", "another executor uses " + what + " " + dir
            + " (its LevelDB lock is held by another process): stop that executor, or give this one its own SPARK_DATA_DIR or " + setting);
      }
    } catch (IOException e) {
      throw new Refused(ExitCode.JOURNAL_UNREADABLE, "journal_unreadable", "cannot read the lock of " + what + " " + dir + ": " + e.getMessage()
          + " (" + setting + ")");
    }
  }

  /** Exceptions that mean a port was taken after the check (a race with another process). */
  static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) return true;
    }
    return false;
  }
}
