package io.sparkexec;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.journal.PostgresStore;
import io.sparkexec.testing.JarProcess;
import io.sparkexec.testing.TestPostgres;
import io.sparkexec.testing.TestServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar as a supervisor runs it (issue #16): from a directory that is not the project root, with
 * its defaults embedded; the exit status of each start-up failure, of SIGTERM and of the CLI; HTTP
 * answering (503, then 200) from the bind on; every metric the dashboard and the alert rules read
 * on a fresh server's page.
 */
class ServiceIT {

  private static final Duration START_FAILURE_MAX = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path tmp;

  /** A finished process: its exit status, what it printed, how long it ran. */
  private record Run(int exit, String output, Duration took) {}

  private Run run(Path workDir, Map<String, String> env, String... args) throws Exception {
    Path log = Files.createTempFile(tmp, "run", ".log");
    long start = System.nanoTime();
    Process p = JarProcess.startIn(workDir, List.of(args), log, env);
    if (!p.waitFor(START_FAILURE_MAX.toSeconds(), TimeUnit.SECONDS)) {
      JarProcess.kill9(p, String.join(" ", args));
      throw new AssertionError(String.join(" ", args) + " did not exit:\n" + JarProcess.logTail(log, 30));
    }
    return new Run(p.exitValue(), Files.readString(log), Duration.ofNanos(System.nanoTime() - start));
  }

  private static Map<String, String> ports(int httpPort) {
    Map<String, String> env = new HashMap<>();
    env.put("HTTP_PORT", String.valueOf(httpPort));
    env.put("CLUSTER_PORT", "0");
    env.put("WARMUP_ENABLED", "false");
    return env;
  }

  private static void noStackTrace(Run run) {
    assertFalse(Pattern.compile("^\\s+at [a-z]", Pattern.MULTILINE).matcher(run.output()).find(), "a stack trace:\n" + run.output());
  }

  /** One server from a temp working directory: 503 from the bind, ready, every dashboard metric, a second executor refused, SIGTERM exits 0. */
  @Test
  void servesFromAnyDirectoryAndStopsCleanly() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work"));
    int port = TestServer.freePort();
    Map<String, String> env = ports(port);
    env.put("METRICS_TICK_INTERVAL", "1s");
    Path log = work.resolve("server.log");
    Process server = JarProcess.startIn(work, List.of("serve"), log, env);
    try {
      // from the bind log line on, the port answers: 503 with the pending gates, or 200; never refused
      await("http_bound").atMost(TestServer.START_TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> {
        if (!server.isAlive()) throw new AssertionError("exited " + server.exitValue() + ":\n" + JarProcess.logTail(log, 30));
        return Files.readString(log).contains("event=http_bound");
      });
      HttpResponse<String> first = get(port, "/api/public/ready");
      assertTrue(first.statusCode() == 503 || first.statusCode() == 200, first.statusCode() + " " + first.body());
      if (first.statusCode() == 503) {
        JsonNode gates = TestServer.MAPPER.readTree(first.body()).get("gates");
        assertTrue(gates.size() > 0 && Stream.of("cluster", "journal", "risk", "reconciliation")
            .anyMatch(g -> !gates.get(g).get("status").asText().equals("PASSED")), first.body());
      }
      await("ready").atMost(TestServer.START_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
        if (!server.isAlive()) throw new AssertionError("exited " + server.exitValue() + ":\n" + JarProcess.logTail(log, 30));
        return get(port, "/api/public/ready").statusCode() == 200;
      });
      // relative paths resolved against the working directory (the default data dir), not the project root
      assertTrue(Files.isRegularFile(work.resolve("journal/executor/CURRENT")), "journal not under the working directory");

      Set<String> wanted = dashboardAndAlertMetrics();
      assertTrue(wanted.size() > 20 && wanted.contains("spark_ws_connections") && wanted.contains("spark_chaos_ws_flaps_total"), wanted.toString());
      // the page is refreshed at each metric tick (1 s here): from the first tick after ready on, every name must be on it
      await("a metric tick after ready").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> metricsPage(port).contains("\nspark_ready 1.0"));
      Set<String> onPage = metricNames(metricsPage(port));
      Set<String> missing = new TreeSet<>(wanted);
      missing.removeAll(onPage);
      assertEquals(Set.of(), missing, "on the dashboard or in an alert rule, not on a fresh server's metrics page");

      // a second executor on the same data (SPARK_DATA_DIR, from another directory): refused at once, one clear line
      Path other = Files.createDirectories(tmp.resolve("other"));
      Map<String, String> second = ports(TestServer.freePort());
      second.put("SPARK_DATA_DIR", work.toString());
      Run locked = run(other, second, "serve");
      assertEquals(ExitCode.JOURNAL_LOCKED.code, locked.exit(), locked.output());
      assertTrue(locked.output().contains("another executor uses journal " + work.resolve("journal/executor")), locked.output());
      assertTrue(locked.output().contains("event=start_refused cause=journal_locked"), locked.output());
      noStackTrace(locked);
      assertFalse(locked.output().contains("Resource temporarily unavailable"), locked.output());
      assertFalse(Files.exists(other.resolve("journal")), "the refused executor wrote a journal");

      server.destroy(); // SIGTERM
      assertTrue(server.waitFor(60, TimeUnit.SECONDS), "no exit after SIGTERM:\n" + JarProcess.logTail(log, 30));
      assertEquals(ExitCode.OK.code, server.exitValue(), JarProcess.logTail(log, 30));
      assertTrue(Files.readString(log).contains("event=stopped exitCode=0"), JarProcess.logTail(log, 30));
    } finally {
      if (server.isAlive()) JarProcess.kill9(server, "server");
    }
  }

  @Test
  void takenHttpPortExitsWithItsCodeBeforeTheJournalOpens() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path work = Files.createDirectories(tmp.resolve("http-taken"));
      Run r = run(work, ports(taken.getLocalPort()), "serve");
      assertEquals(ExitCode.HTTP_PORT_TAKEN.code, r.exit(), r.output());
      assertTrue(r.output().contains("cause=http_port_taken") && r.output().contains("HTTP_PORT"), r.output());
      assertFalse(Files.exists(work.resolve("journal")), "the journal was opened");
      noStackTrace(r);
    }
  }

  /** JOURNAL=postgres: a database without the schema, or none at all, is refused in seconds with exit 9; migrate-db creates it, twice. */
  @Test
  void databaseUnavailableExitsWithItsCodeAndMigrateDbCreatesTheSchemaIdempotently() throws Exception {
    try (TestPostgres db = TestPostgres.createEmpty("service")) {
      Path work = Files.createDirectories(tmp.resolve("postgres"));
      Map<String, String> env = ports(TestServer.freePort());
      env.putAll(db.env());
      Run empty = run(work, env, "serve");
      assertEquals(ExitCode.DATABASE_UNAVAILABLE.code, empty.exit(), empty.output());
      assertTrue(empty.output().contains("cause=database_unavailable") && empty.output().contains("migrate-db"), empty.output());
      noStackTrace(empty);

      Map<String, String> nowhere = new HashMap<>(env);
      nowhere.put("PG_URL", "jdbc:postgresql://127.0.0.1:" + TestServer.freePort() + "/spark");
      Run unreachable = run(work, nowhere, "serve");
      assertEquals(ExitCode.DATABASE_UNAVAILABLE.code, unreachable.exit(), unreachable.output());
      assertTrue(unreachable.output().contains("PG_URL"), unreachable.output());
      noStackTrace(unreachable);

      for (int i = 0; i < 2; i++) {
        Run migrated = run(work, db.env(), "migrate-db");
        assertEquals(0, migrated.exit(), migrated.output());
        assertTrue(migrated.output().contains("event=db_migrated"), migrated.output());
      }
      PostgresStore.check(db.settings());
    }
  }

  @Test
  void takenClusterPortExitsWithItsCode() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path work = Files.createDirectories(tmp.resolve("cluster-taken"));
      Map<String, String> env = ports(TestServer.freePort());
      env.put("CLUSTER_PORT", String.valueOf(taken.getLocalPort()));
      Run r = run(work, env, "serve");
      assertEquals(ExitCode.CLUSTER_PORT_TAKEN.code, r.exit(), r.output());
      assertTrue(r.output().contains("cause=cluster_port_taken") && r.output().contains("CLUSTER_PORT"), r.output());
      assertFalse(Files.exists(work.resolve("journal")), "the journal was opened");
      noStackTrace(r);
    }
  }

  @Test
  void badEnvValueNamesTheVariableAndExitsAtOnce() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("bad-env"));
    Map<String, String> env = ports(TestServer.freePort());
    env.put("HTTP_PORT", "abc");
    Run r = run(work, env, "serve");
    assertEquals(ExitCode.CONFIG.code, r.exit(), r.output());
    assertTrue(r.output().contains("environment variable HTTP_PORT: spark.http.port = \"abc\" is not a whole number"), r.output());
    assertTrue(r.output().contains("event=start_refused cause=config_invalid"), r.output());
    assertFalse(Files.exists(work.resolve("journal")), "the journal was opened");
    noStackTrace(r);
    env.put("HTTP_PORT", String.valueOf(TestServer.freePort()));
    env.put("JOURNAL_FSYNC", "sometimes");
    Run fsync = run(work, env, "serve");
    assertEquals(ExitCode.CONFIG.code, fsync.exit(), fsync.output());
    assertTrue(fsync.output().contains("environment variable JOURNAL_FSYNC"), fsync.output());
  }

  @Test
  void cliHelpVersionAndUnknownOptions() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("cli"));
    Map<String, String> env = ports(TestServer.freePort());
    for (String command : List.of("serve", "venue-sim", "export", "migrate-journal", "bench", "chaos-drill", "index-bench")) {
      Run help = run(work, env, command, "--help");
      assertEquals(0, help.exit(), command + " --help: " + help.output());
      assertTrue(help.output().contains("usage:") && help.output().contains(command), command + " --help: " + help.output());
    }
    try (Stream<Path> files = Files.list(work)) {
      assertEquals(List.of(), files.filter(p -> !p.getFileName().toString().endsWith(".log")).toList(), "--help left files (a journal?)");
    }
    Run version = run(work, env, "--version");
    assertEquals(0, version.exit(), version.output());
    assertTrue(version.output().trim().matches("spark-executor \\S+ \\(commit ([0-9a-f]{7,40}|unknown)\\)"), version.output());
    for (List<String> bad : List.of(List.of("serve", "--frob"), List.of("venue-sim", "--frob"), List.of("bench", "--frob"),
        List.of("export", "fills", "--frob"), List.of("migrate-journal", "--frob"), List.of("index-bench", "--frob"), List.of("--frob"))) {
      Run r = run(work, env, bad.toArray(String[]::new));
      assertEquals(ExitCode.USAGE.code, r.exit(), bad + ": " + r.output());
      assertTrue(r.output().contains("unknown option --frob"), bad + ": " + r.output());
    }
  }

  // ---- helpers ----

  private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new AssertionError("connection refused on " + path, e);
    }
  }

  /**
   * The metrics page, with the admin key and, when a test run sets SPARK_METRICS_AUTHORIZATION, that
   * Authorization header (the page may sit behind a token).
   */
  private static String metricsPage(int port) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/public/metrics/prom"))
        .timeout(Duration.ofSeconds(30)).header("X-API-Key", "admin-dev-key");
    String authorization = System.getenv("SPARK_METRICS_AUTHORIZATION");
    if (authorization != null) b.header("Authorization", authorization);
    HttpResponse<String> r = HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static final Pattern METRIC = Pattern.compile("\\b((?:spark|executor)_[a-z0-9_]+)");

  /** Every metric name in the dashboard's queries and in the alert rules (not the rules' unit tests). */
  static Set<String> dashboardAndAlertMetrics() throws IOException {
    List<String> exprs = new ArrayList<>();
    try (Stream<Path> dashboards = Files.list(Path.of("docs", "grafana"))) {
      for (Path d : dashboards.filter(p -> p.toString().endsWith(".json")).toList()) {
        TestServer.MAPPER.readTree(d.toFile()).findValues("expr").forEach(e -> exprs.add(e.asText()));
      }
    }
    try (Stream<Path> rules = Files.list(Path.of("conf", "prometheus"))) {
      for (Path r : rules.filter(p -> p.toString().endsWith(".yml") && !p.toString().endsWith("_test.yml")).toList()) {
        for (String line : Files.readAllLines(r)) if (!line.trim().startsWith("#")) exprs.add(line);
      }
    }
    Set<String> names = new TreeSet<>();
    for (String e : exprs) {
      Matcher m = METRIC.matcher(e);
      while (m.find()) names.add(m.group(1));
    }
    return names;
  }

  private static Set<String> metricNames(String page) {
    Set<String> names = new TreeSet<>();
    for (String line : page.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) continue;
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
      names.add(line.substring(0, end));
    }
    return names;
  }
}
