package io.sparkexec.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract matches the code: every operation of the served OpenAPI document reaches its own
 * route template (not "unmatched", not 404/405) and answers a status the document lists; every
 * route template in the sources is in the document; every error code the document names is one
 * the sources can emit, and every code the sources emit is in the document, the feed's AsyncAPI
 * document or docs/api.md.
 */
class OpenApiIT {

  private static final Path MAIN = Path.of("src/main/java/io/sparkexec");
  private static final String ADMIN_KEY = "admin-dev-key";
  private static final Pattern CODE = Pattern.compile("\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|UNAUTHORIZED|FORBIDDEN|TIMEOUT|UNAVAILABLE|REQUIRED|STARTING)\"");
  /** Upper-case strings in the sources that no HTTP answer carries, each with why. */
  private static final Map<String, String> NOT_HTTP_CODES = Map.of(
      "JOURNAL_DIR", "an env variable named in a start-up message",
      "ORDER_INDEX_DIR", "an env variable named in a start-up message",
      "SPARK_CONF_DIR", "an env variable named in a start-up message",
      "REQUEST_WEIGHT", "a Binance rate-limit type read from the venue's exchangeInfo");

  @TempDir
  static Path dir;
  private static TestServer server;
  private static JsonNode openApi;
  private static JsonNode asyncApi;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dir);
    TestServer.Response o = server.publicGet("/api/public/openapi.json");
    assertEquals(200, o.status(), o.toString());
    assertEquals("application/json", o.header("Content-Type").orElse(""));
    openApi = o.json();
    TestServer.Response a = server.publicGet("/api/public/asyncapi.json");
    assertEquals(200, a.status(), a.toString());
    asyncApi = a.json();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  private record Operation(String method, String path, JsonNode spec) {}

  private static List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    openApi.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(m ->
        ops.add(new Operation(m.getKey().toUpperCase(), p.getKey(), m.getValue()))));
    return ops;
  }

  @Test
  void documentsAreOpenApi31AndAsyncApi30WithSecurityOnEveryPrivateOperation() {
    assertTrue(openApi.path("openapi").asText().startsWith("3.1."), openApi.path("openapi").asText());
    assertEquals("3.0.0", asyncApi.path("asyncapi").asText());
    assertEquals("X-API-Key", openApi.at("/components/securitySchemes/apiKey/name").asText());
    for (Operation op : operations()) {
      String where = op.method() + " " + op.path();
      boolean isPublic = op.path().startsWith("/api/public/");
      assertEquals(isPublic, op.spec().path("security").isEmpty(), where + ": security");
      if (!isPublic) assertTrue(Set.of("trader", "admin").contains(op.spec().path("x-role").asText()), where + ": x-role");
      assertEquals(op.path(), op.spec().path("x-route-template").asText(), where);
      for (JsonNode p : op.spec().path("parameters")) {
        if (p.path("in").asText().equals("path")) assertTrue(op.path().contains("{" + p.path("name").asText() + "}"), where);
      }
      op.spec().path("responses").fields().forEachRemaining(r -> {
        for (JsonNode c : r.getValue().path("x-error-codes")) {
          assertTrue(errorCodes().contains(c.asText()), where + " " + r.getKey() + ": " + c + " is not in components.schemas.Error");
        }
      });
    }
  }

  @Test
  void everySpecOperationIsServedUnderItsOwnRouteTemplate() {
    Map<String, Integer> expected = new TreeMap<>();
    for (Operation op : operations()) {
      String path = op.path().replace("{clientOrderId}", "contract-probe");
      HttpRequest.Builder b = server.request(path).setHeader("X-API-Key", ADMIN_KEY);
      HttpRequest request = switch (op.method()) {
        case "GET" -> b.GET().build();
        case "DELETE" -> b.DELETE().build();
        // an empty object: every body endpoint refuses it (a required field) or does a harmless no-op
        default -> b.header("Content-Type", "application/json").method(op.method(), HttpRequest.BodyPublishers.ofString("{}")).build();
      };
      TestServer.Response r = server.send(request);
      String where = op.method() + " " + op.path() + " -> " + r;
      String code = r.status() >= 400 && r.text().startsWith("{") ? r.json().at("/error/code").asText() : "";
      assertTrue(r.status() != 405 && !code.equals("NOT_FOUND") && !code.equals("STARTING"), where);
      assertTrue(op.spec().path("responses").has(String.valueOf(r.status())), where + ": status not in the spec's responses");
      if (!code.isEmpty()) {
        JsonNode listed = op.spec().path("responses").path(String.valueOf(r.status())).path("x-error-codes");
        assertTrue(listed.toString().contains("\"" + code + "\""), where + ": code not listed for this status");
      }
      expected.merge("route=\"" + op.path() + "\"|method=\"" + op.method() + "\"", 1, Integer::sum);
    }
    // the request metric's route label is the template the request reached
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      String page = server.metrics();
      List<String> missing = expected.keySet().stream().filter(k -> !reached(page, k.split("\\|"))).toList();
      assertTrue(missing.isEmpty(), "no request counted under " + missing);
    });
  }

  private static boolean reached(String page, String[] labels) {
    return page.lines().anyMatch(l -> l.startsWith("spark_http_request_duration_seconds_count{") && l.contains(labels[0]) && l.contains(labels[1]));
  }

  @Test
  void everyRouteTemplateInTheSourcesIsInTheSpec() throws IOException {
    Set<String> templates = sourceTemplates();
    assertTrue(templates.size() > 30, "the scan found " + templates);
    Set<String> specPaths = new TreeSet<>();
    openApi.path("paths").fieldNames().forEachRemaining(specPaths::add);
    Set<String> missing = new TreeSet<>(templates);
    missing.removeAll(specPaths);
    assertTrue(missing.isEmpty(), "served but not in openapi.json: " + missing);
    Set<String> stale = new TreeSet<>(specPaths);
    stale.removeAll(templates);
    assertTrue(stale.isEmpty(), "in openapi.json but named by no RouteMetrics.template: " + stale);
  }

  /** {@code RouteMetrics.template("...")}, and {@code template(BASE + "...")} in a class that declares BASE. */
  static Set<String> sourceTemplates() throws IOException {
    Pattern literal = Pattern.compile("RouteMetrics\\.template\\(\"([^\"]+)\"");
    Pattern base = Pattern.compile("static final String BASE = \"([^\"]+)\"");
    Pattern relative = Pattern.compile("template\\(BASE \\+ \"([^\"]+)\"|endpoint\\(\"([^\"]+)\"");
    Set<String> found = new TreeSet<>();
    for (Path file : javaSources()) {
      String text = Files.readString(file);
      literal.matcher(text).results().forEach(m -> found.add(m.group(1)));
      Matcher b = base.matcher(text);
      if (b.find()) {
        String prefix = b.group(1);
        relative.matcher(text).results().forEach(m -> found.add(prefix + (m.group(1) != null ? m.group(1) : m.group(2))));
      }
    }
    return found;
  }

  @Test
  void everyErrorCodeInTheSpecIsEmittedAndEveryEmittedCodeIsDocumented() throws IOException {
    Set<String> emitted = emittedCodes();
    Set<String> neverEmitted = new TreeSet<>(errorCodes());
    neverEmitted.removeAll(emitted);
    assertTrue(neverEmitted.isEmpty(), "in openapi.json but in no source: " + neverEmitted);

    Set<String> feedCodes = new TreeSet<>();
    asyncApi.at("/components/messages/controlError/payload/properties/code/enum").forEach(c -> feedCodes.add(c.asText()));
    Set<String> feedNeverEmitted = new TreeSet<>(feedCodes);
    feedNeverEmitted.removeAll(emitted);
    assertTrue(feedCodes.contains("TEXT_ONLY") && feedNeverEmitted.isEmpty(), "asyncapi.json control codes in no source: " + feedNeverEmitted);
    String apiMd = Files.readString(Path.of("docs/api.md"));
    Set<String> undocumented = new TreeSet<>();
    for (String code : emitted) {
      if (!errorCodes().contains(code) && !feedCodes.contains(code) && !apiMd.contains("`" + code + "`")) undocumented.add(code);
    }
    assertTrue(undocumented.isEmpty(), "emitted but in neither openapi.json, asyncapi.json nor docs/api.md: " + undocumented);
  }

  private static Set<String> errorCodes() {
    Set<String> codes = new TreeSet<>();
    openApi.at("/components/schemas/Error/properties/error/properties/code/enum").forEach(c -> codes.add(c.asText()));
    return codes;
  }

  /** Upper-snake string literals of the executor's sources (not the venue simulator's nor the benchmarks': other processes). */
  private static Set<String> emittedCodes() throws IOException {
    Set<String> codes = new TreeSet<>();
    for (Path file : javaSources()) {
      String p = file.toString().replace('\\', '/');
      if (p.contains("/venue/sim/") || p.contains("/bench/")) continue;
      CODE.matcher(Files.readString(file)).results().map(m -> m.group(1)).filter(c -> !NOT_HTTP_CODES.containsKey(c)).forEach(codes::add);
    }
    return codes;
  }

  private static List<Path> javaSources() throws IOException {
    try (Stream<Path> files = Files.walk(MAIN)) {
      return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
  }

}
