package io.sparkexec.testing;

import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.venue.Signing;
import io.sparkexec.venue.sim.VenueSimServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
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
import java.util.concurrent.TimeUnit;

/**
 * The venue simulator under test: in this JVM ({@link #inProcess}: its own local ActorSystem on
 * the project's config with a temp data dir and a free port) or as the real
 * {@code java -jar target/spark-executor.jar venue-sim} process ({@link #launchJar}), plus
 * signed and unsigned loopback calls against it with the development credentials.
 */
public final class TestVenueSim implements AutoCloseable {

  public static final String API_KEY = "sim-dev-key";
  public static final String API_SECRET = "sim-dev-secret";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private static final Signing SIGNING = new Signing(API_SECRET);

  private final VenueSimServer server;
  private final Process process;
  private final Path log;
  private final int port;

  private TestVenueSim(VenueSimServer server, Process process, Path log, int port) {
    this.server = server;
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** The project's config with the simulator's ledger under {@code dataDir}, port 0, no JVM exit; {@code overrides} win. */
  public static Config config(Path dataDir, Map<String, Object> overrides) {
    Map<String, Object> base = new HashMap<>();
    base.put("spark.venue-sim.port", 0);
    base.put("spark.venue-sim.data-dir", dataDir.resolve("venue-sim").toString());
    base.put("pekko.coordinated-shutdown.exit-jvm", "off");
    base.putAll(overrides);
    return AppConfig.load(ConfigFactory.parseMap(base));
  }

  /** Starts the simulator in this JVM on a free port and waits until it listens. */
  public static TestVenueSim inProcess(Path dataDir, Map<String, Object> overrides) {
    try {
      VenueSimServer server = VenueSimServer.start(config(dataDir, overrides)).toCompletableFuture().get(TestServer.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return new TestVenueSim(server, null, null, server.port());
    } catch (Exception e) {
      throw new AssertionError("venue-sim did not start", e);
    }
  }

  public static TestVenueSim inProcess(Path dataDir) {
    return inProcess(dataDir, Map.of());
  }

  /**
   * Starts {@code java -jar target/spark-executor.jar venue-sim} with its ledger under
   * {@code dataDir} on a free port (or SIM_PORT from {@code extraEnv}) and waits until it answers.
   * Output goes to {@code dataDir/venue-sim.log}.
   */
  public static TestVenueSim launchJar(Path dataDir, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("SIM_PORT", String.valueOf(TestServer.freePort()));
    env.put("SIM_DATA_DIR", dataDir.resolve("venue-sim").toString());
    env.putAll(extraEnv);
    Path log = dataDir.resolve("venue-sim.log");
    Process process = JarProcess.start("venue-sim", dataDir, log, env);
    TestVenueSim sim = new TestVenueSim(null, process, log, Integer.parseInt(env.get("SIM_PORT")));
    try {
      await("venue-sim on port " + sim.port).atMost(TestServer.START_TIMEOUT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
        if (!process.isAlive()) throw new IllegalStateException("venue-sim exited with " + process.exitValue() + ":\n" + sim.logTail(40));
        return sim.get("/api/v3/ping").status() == 200;
      });
    } catch (RuntimeException | AssertionError e) {
      sim.close();
      throw e;
    }
    return sim;
  }

  public int port() {
    return port;
  }

  /** http://127.0.0.1:port (VENUE_URL for an executor under test). */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** The in-process server (null for a process). */
  public VenueSimServer server() {
    return server;
  }

  // ---- calls ----

  /** Unsigned GET, no API key. */
  public Response get(String pathAndQuery) {
    return send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery)).timeout(REQUEST_TIMEOUT).GET().build());
  }

  /** Unsigned POST of a JSON body (the /sim endpoints). */
  public Response postJson(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** A signed call: {@code params} (in order) plus timestamp, then the signature, in the query string. */
  public Response signed(String method, String path, Map<String, String> params) {
    return send(signedRequest(method, path, params, System.currentTimeMillis(), API_SECRET).build());
  }

  /** A call that carries the API key but no signature (userDataStream). */
  public Response keyed(String method, String pathAndQuery) {
    return send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery)).timeout(REQUEST_TIMEOUT).header("X-MBX-APIKEY", API_KEY)
        .method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  /** A signed request as a client would build it, with this timestamp and signed under this secret. */
  public HttpRequest.Builder signedRequest(String method, String path, Map<String, String> params, long timestamp, String secret) {
    Map<String, String> all = new LinkedHashMap<>(params);
    all.put("timestamp", String.valueOf(timestamp));
    String query = queryString(all);
    String signed = query + "&signature=" + new Signing(secret).sign(query);
    return HttpRequest.newBuilder(URI.create(url() + path + "?" + signed)).timeout(REQUEST_TIMEOUT).header("X-MBX-APIKEY", API_KEY)
        .method(method, HttpRequest.BodyPublishers.noBody());
  }

  public static String queryString(Map<String, String> params) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : params.entrySet()) {
      if (b.length() > 0) b.append('&');
      b.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return b.toString();
  }

  /** The place parameters of a LIMIT GTC order. */
  public static Map<String, String> limitOrder(String clientOrderId, String symbol, String side, String quantity, String price) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("symbol", symbol);
    m.put("side", side);
    m.put("type", "LIMIT");
    m.put("timeInForce", "GTC");
    m.put("quantity", quantity);
    m.put("price", price);
    m.put("newClientOrderId", clientOrderId);
    return m;
  }

  public Response place(Map<String, String> order) {
    return signed("POST", "/api/v3/order", order);
  }

  public Response query(String symbol, String clientOrderId) {
    return signed("GET", "/api/v3/order", Map.of("symbol", symbol, "origClientOrderId", clientOrderId));
  }

  public Response cancel(String symbol, String clientOrderId) {
    return signed("DELETE", "/api/v3/order", Map.of("symbol", symbol, "origClientOrderId", clientOrderId));
  }

  /** How many orders the simulator created for this clientOrderId (0 if none). */
  public int submissions(String clientOrderId) {
    return get("/sim/submissions").json().path(clientOrderId).asInt(0);
  }

  public int attempts(String clientOrderId) {
    return get("/sim/attempts").json().path(clientOrderId).asInt(0);
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

  // ---- lifecycle ----

  /** kill -9 of the process and wait until it is gone. */
  public void kill9() {
    JarProcess.kill9(process, "venue-sim");
  }

  public String logTail(int lines) {
    if (log == null) return "(in-process simulator: see the test output)";
    return JarProcess.logTail(log, lines);
  }

  /** Graceful stop (ledger closed, port released), waiting until it is done. */
  @Override
  public void close() {
    try {
      if (server != null) server.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) kill9();
      }
    } catch (Exception e) {
      throw new AssertionError("venue-sim did not stop", e);
    }
  }
}
