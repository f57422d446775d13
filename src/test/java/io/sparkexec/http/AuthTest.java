package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Auth.require over real HTTP on port 0 (pekko-http's route testkit is JUnit 4 only). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class AuthTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("AuthTest").build();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private ServerBinding binding;
  private String base;

  @BeforeAll
  void bind() throws Exception {
    Auth auth = new Auth(Map.of(
        "t-key", new Auth.Principal("alice", Auth.Role.TRADER, Set.of()),
        "a-key", new Auth.Principal("root", Auth.Role.ADMIN, Set.of())), "paper");
    Route route = concat(
        path("trade", () -> auth.require(Auth.Role.TRADER, p -> complete("trade by " + p.name()))),
        path("admin", () -> auth.require(Auth.Role.ADMIN, p -> complete("admin by " + p.name()))));
    binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get();
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  void unbind() throws Exception {
    if (binding != null) binding.unbind().toCompletableFuture().get();
  }

  private HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET();
    if (key != null) b.header(Auth.HEADER, key);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest(name = "{0} with {1} -> {2}")
  @CsvSource({
      "/trade, t-key, 200, trade by alice",
      "/trade, a-key, 200, trade by root",
      "/admin, a-key, 200, admin by root",
  })
  void allowedRolesReachTheRoute(String path, String key, int status, String body) throws Exception {
    HttpResponse<String> r = get(path, key);
    assertEquals(status, r.statusCode());
    assertEquals(body, r.body());
  }

  @Test
  void traderMayNotDoAdminWork() throws Exception {
    HttpResponse<String> r = get("/admin", "t-key");
    assertEquals(403, r.statusCode());
    JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
    assertEquals("FORBIDDEN", error.get("code").asText());
    assertEquals("role trader may not do this; it needs admin", error.get("message").asText());
  }

  @ParameterizedTest(name = "key={0}")
  @CsvSource(value = {"NONE, X-API-Key header required", "wrong, unknown API key"}, nullValues = "NONE")
  void missingOrUnknownKeyIsUnauthorized(String key, String message) throws Exception {
    HttpResponse<String> r = get("/trade", key);
    assertEquals(401, r.statusCode());
    assertEquals("ApiKey header=\"X-API-Key\"", r.headers().firstValue("WWW-Authenticate").orElse(null));
    JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
    assertEquals("UNAUTHORIZED", error.get("code").asText());
    assertEquals(message, error.get("message").asText());
    // the key is never echoed back
    if (key != null) assertFalse(r.body().contains(key), "the key was echoed back");
  }

  private static Config authConfig(String traderKey) {
    return ConfigFactory.parseString("""
        keys = [
          { key = "%s", role = "trader", name = "t" }
          { key = "admin-secret", role = "admin", name = "a" }
        ]
        dev-keys = ["trader-dev-key", "admin-dev-key"]
        """.formatted(traderKey));
  }

  @Test
  void developmentKeysAreRefusedInLiveTrading() {
    assertThrows(IllegalStateException.class, () -> Auth.fromConfig(authConfig("trader-dev-key"), "live"));
    // paper trading with dev keys, and live trading with real keys, both start
    Auth.fromConfig(authConfig("trader-dev-key"), "paper");
    Auth.fromConfig(authConfig("trader-secret"), "live");
  }

  @Test
  void configuredKeysAndRolesAreUsed() throws Exception {
    Auth auth = Auth.fromConfig(authConfig("trader-secret"), "paper");
    Route route = path("admin", () -> auth.require(Auth.Role.ADMIN, p -> complete(p.name() + ":" + p.role())));
    ServerBinding b = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get();
    try {
      String url = "http://127.0.0.1:" + b.localAddress().getPort() + "/admin";
      HttpResponse<String> admin = client.send(HttpRequest.newBuilder(URI.create(url)).header(Auth.HEADER, "admin-secret").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("a:ADMIN", admin.body());
      HttpResponse<String> trader = client.send(HttpRequest.newBuilder(URI.create(url)).header(Auth.HEADER, "trader-secret").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(403, trader.statusCode());
    } finally {
      b.unbind().toCompletableFuture().get();
    }
  }

  @Test
  void reloadSwapsTheKeysAndTheirStrategiesAndABadFileChangesNothing() throws Exception {
    Auth auth = Auth.fromConfig(authConfig("trader-secret"), "paper");
    Route route = path("who", () -> auth.require(Auth.Role.TRADER, p -> complete(p.name() + ":" + new TreeSet<>(p.strategies()))));
    ServerBinding b = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get();
    try {
      String url = "http://127.0.0.1:" + b.localAddress().getPort() + "/who";
      assertEquals("t:[]", send(url, "trader-secret").body());

      assertEquals(2, auth.reload(ConfigFactory.parseString("""
          keys = [
            { key = "alpha-key", role = "trader", name = "alpha-bot", strategies = ["alpha", "alpha2"] }
            { key = "admin-secret", role = "admin", name = "a" }
          ]
          dev-keys = []
          """)));
      assertEquals(401, send(url, "trader-secret").statusCode(), "a removed key stops working without a restart");
      assertEquals("alpha-bot:[alpha, alpha2]", send(url, "alpha-key").body());

      assertThrows(IllegalArgumentException.class, () -> auth.reload(ConfigFactory.parseString("""
          keys = [ { key = "x", role = "superuser", name = "x" } ]
          dev-keys = []
          """)));
      assertEquals("alpha-bot:[alpha, alpha2]", send(url, "alpha-key").body(), "a bad file changes nothing");
    } finally {
      b.unbind().toCompletableFuture().get();
    }
  }

  private HttpResponse<String> send(String url, String key) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).header(Auth.HEADER, key).build(), HttpResponse.BodyHandlers.ofString());
  }
}
