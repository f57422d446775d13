package io.sparkexec.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.Guardian;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.OrderDesk;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The executor under test, in this JVM ({@link #inProcess}: one ActorSystem on the project's
 * conf/application.conf with temp dirs and free ports) or as the real {@code java -jar} process
 * ({@link #launchJar}), and the loopback HTTP calls every integration test makes against it.
 */
public final class TestServer implements AutoCloseable {

  public static final String TRADER_KEY = "trader-dev-key";
  /** The price collar the test servers run with: wide enough for far-from-market resting orders. */
  public static final String WIDE_COLLAR_PCT = "1000";
  public static final ObjectMapper MAPPER = new ObjectMapper();
  /** Start-up on a busy 2-core box: JVM, cluster join, journal scan. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** A response with its body as sent (decode with {@link #text()}). */
  public record Response(int status, HttpHeaders headers, byte[] raw) {
    public Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    /** The body as text, gunzipped when the server gzip-encoded it. */
    public String text() {
      try {
        byte[] bytes = raw;
        if (header("Content-Encoding").filter("gzip"::equalsIgnoreCase).isPresent()) {
          try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            bytes = in.readAllBytes();
          }
        }
        return new String(bytes, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public JsonNode json() {
      try {
        return MAPPER.readTree(text());
      } catch (IOException e) {
        throw new AssertionError("not JSON (status " + status + "): " + text(), e);
      }
    }

    @Override
    public String toString() {
      return status + " " + text();
    }
  }

  private final int port;
  private final ActorSystem<Guardian.Command> system;
  private final Config config;
  private final Process process;
  private final Path log;

  private TestServer(int port, ActorSystem<Guardian.Command> system, Config config, Process process, Path log) {
    this.port = port;
    this.system = system;
    this.config = config;
    this.process = process;
    this.log = log;
  }

  // ---- in this JVM ----

  /**
   * The project's configuration with this test's dirs and ports: journal and snapshots under
   * {@code dataDir}, HTTP on a free port, remoting on port 0, a 1 s metric tick, no JVM exit on
   * shutdown. {@code overrides} win over all of it.
   */
  public static Config config(Path dataDir, Config overrides) {
    Map<String, Object> base = new HashMap<>();
    base.put("spark.http.port", freePort());
    base.put("pekko.remote.artery.canonical.port", 0);
    base.put("pekko.persistence.journal.leveldb.dir", dataDir.resolve("journal").toString());
    base.put("spark.journal.dir", dataDir.resolve("journal").toString());
    base.put("pekko.persistence.snapshot-store.local.dir", dataDir.resolve("snapshots").toString());
    base.put("spark.snapshot.dir", dataDir.resolve("state-snapshots").toString());
    base.put("kamon.metric.tick-interval", "1 second");
    base.put("pekko.coordinated-shutdown.exit-jvm", "off");
    // ITs keep orders open with BUYs far below the market (1000.00 for BTCUSDT) and fill LIMITs far
    // above it (9999.00 for ETHUSDT); the 5% price collar would refuse both. Tests of the collar set it back.
    base.put("spark.risk.limits.price-collar-pct", WIDE_COLLAR_PCT);
    // the warm-up's canary orders would land in every test's journal; its own tests turn it on
    base.put("spark.canary.warm-up.enabled", false);
    return AppConfig.load(overrides.withFallback(ConfigFactory.parseMap(base)));
  }

  /** Starts the executor as an ActorSystem in this JVM and waits until it is ready. */
  public static TestServer inProcess(Config config) {
    return readyOrClosed(starting(config));
  }

  /** Starts the executor as an ActorSystem in this JVM without waiting (tests of start-up itself). */
  public static TestServer starting(Config config) {
    Metrics.init(config);
    ActorSystem<Guardian.Command> system = ActorSystem.create(Guardian.create(config), "spark-executor", config);
    return new TestServer(config.getInt("spark.http.port"), system, config, null, null);
  }

  private static TestServer readyOrClosed(TestServer server) {
    try {
      server.awaitReady();
    } catch (RuntimeException | AssertionError e) {
      server.close();
      throw e;
    }
    return server;
  }

  public static TestServer inProcess(Path dataDir, Config overrides) {
    return inProcess(config(dataDir, overrides));
  }

  public static TestServer inProcess(Path dataDir) {
    return inProcess(dataDir, ConfigFactory.empty());
  }

  public ActorSystem<Guardian.Command> system() {
    if (system == null) throw new IllegalStateException("not an in-process server");
    return system;
  }

  public Config config() {
    return config;
  }

  /** Order events in the journal, counted through the order stream's read journal. */
  public long orderEventCount() {
    CurrentEventsByTagQuery query = PersistenceQuery.get(system())
        .getReadJournalFor(CurrentEventsByTagQuery.class, config.getString("spark.orders.read-journal"));
    try {
      return query.currentEventsByTag(OrderDesk.TAG, NoOffset.getInstance())
          .runWith(Sink.fold(0L, (n, e) -> n + 1), system())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot count order events", e);
    }
  }

  // ---- the real process ----

  /**
   * Starts {@code java -jar target/spark-executor.jar serve} from the project root with the
   * journal and snapshots under {@code dataDir}, a free HTTP port and remoting on port 0, and
   * waits until it is ready. Output goes to {@code dataDir/server.log}.
   */
  public static TestServer launchJar(Path dataDir, Map<String, String> extraEnv) {
    int port = freePort();
    Path log = dataDir.resolve("server.log");
    Map<String, String> env = new java.util.HashMap<>();
    env.put("HTTP_PORT", String.valueOf(port));
    env.put("JOURNAL_DIR", dataDir.resolve("journal").toString());
    env.put("SNAPSHOT_STORE_DIR", dataDir.resolve("snapshots").toString());
    env.put("SNAPSHOT_DIR", dataDir.resolve("state-snapshots").toString());
    env.put("CLUSTER_PORT", "0");
    env.put("RISK_PRICE_COLLAR_PCT", WIDE_COLLAR_PCT);
    env.put("WARMUP_ENABLED", "false");
    env.putAll(extraEnv);
    Process process = JarProcess.start("serve", dataDir, log, env);
    return readyOrClosed(new TestServer(port, null, null, process, log));
  }

  /** The server's process (the java process itself: it is started without a shell). */
  public ProcessHandle processHandle() {
    if (process == null) throw new IllegalStateException("not a process server");
    return process.toHandle();
  }

  /** kill -9 (SIGKILL on the java process) and wait until it is gone. */
  public void kill9() {
    JarProcess.kill9(process, "server");
  }

  public String logTail(int lines) {
    if (log == null) return "(in-process server: see the test output)";
    return JarProcess.logTail(log, lines);
  }

  // ---- lifecycle ----

  /** Polls GET /api/public/ready until 200. */
  public void awaitReady() {
    await("ready on port " + port).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException("server exited with " + process.exitValue() + ":\n" + logTail(40));
      }
      if (system != null && system.getWhenTerminated().toCompletableFuture().isDone()) {
        throw new IllegalStateException("actor system terminated during start-up");
      }
      return publicGet("/api/public/ready").status() == 200;
    });
  }

  /** Graceful stop: terminates the ActorSystem (or SIGTERMs the process) and waits until it is down. */
  @Override
  public void close() {
    try {
      if (system != null) {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) kill9();
      }
    } catch (Exception e) {
      throw new AssertionError("server did not stop", e);
    }
  }

  // ---- HTTP ----

  public int port() {
    return port;
  }

  public URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  /** A request builder for {@code pathAndQuery} carrying the trader key. */
  public HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(REQUEST_TIMEOUT).header("X-API-Key", TRADER_KEY);
  }

  public Response send(HttpRequest request) {
    try {
      HttpResponse<byte[]> r = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Response(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public Response get(String pathAndQuery) {
    return send(request(pathAndQuery).GET().build());
  }

  public Response publicGet(String pathAndQuery) {
    return send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(REQUEST_TIMEOUT).GET().build());
  }

  public Response delete(String pathAndQuery) {
    return send(request(pathAndQuery).DELETE().build());
  }

  /** POST of a JSON body with the trader key. */
  public Response post(String pathAndQuery, String json) {
    return send(request(pathAndQuery).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  public Response placeOrder(String json) {
    return post("/api/private/order", json);
  }

  public Response getOrder(String clientOrderId) {
    return get("/api/private/order/" + clientOrderId);
  }

  public String metrics() {
    Response r = publicGet("/api/public/metrics/prom");
    if (r.status() != 200) throw new AssertionError("metrics: " + r);
    return r.text();
  }

  /** The sample value of {@code name{labels...}} on the Prometheus page, or 0 when absent. */
  public static double metricValue(String page, String name, String labelsContain) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{.*\\})?\\s+(\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(page);
    double sum = 0;
    while (m.find()) {
      String labels = m.group(1) == null ? "" : m.group(1);
      if (labels.contains(labelsContain)) sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }

  // ---- helpers ----

  /** A JSON object from key/value pairs (null values are left out). */
  public static String json(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) if (keyValues[i + 1] != null) m.put((String) keyValues[i], keyValues[i + 1]);
    try {
      return MAPPER.writeValueAsString(m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
