package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.AppConfig;
import io.sparkexec.http.Auth;
import io.sparkexec.http.HttpServer;
import io.sparkexec.http.Json;
import io.sparkexec.http.Readiness;
import io.sparkexec.risk.TradeMode;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.SymbolRule;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The canary route over real HTTP on port 0, with a venue that is not a simulator (none can run here: the route must refuse first). */
class CanaryRoutesTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static final HttpClient client = HttpClient.newHttpClient();
  static java.net.InetSocketAddress binding;

  @BeforeAll
  static void bind() throws Exception {
    Map<String, SymbolRule> rules = SymbolRule.fromConfig(AppConfig.load().getConfig("spark.venue"));
    MarketData quotes = symbol -> new MarketData.Quote(symbol, new BigDecimal("65000.00"), new BigDecimal("65000.01"), Instant.EPOCH);
    Auth auth = new Auth(Map.of("a-key", new Auth.Principal("root", Auth.Role.ADMIN, Set.of()),
        "t-key", new Auth.Principal("alice", Auth.Role.TRADER, Set.of())), "live");
    Canary canary = new Canary(kit.system(), Canary.Settings.fromConfig(AppConfig.load().getConfig("spark.canary")), auth, quotes, rules,
        "http", TradeMode.LIVE, new Readiness("warm-up"), Clock.systemUTC());
    binding = HttpServer.start(kit.system(), new HttpServer.Settings("127.0.0.1", 0, java.time.Duration.ofSeconds(1)),
        List.of(new CanaryRoutes(canary, auth).route())).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static HttpResponse<String> post(String path, String key) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + binding.getPort() + path))
        .header("X-API-Key", key).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void dryFalseIsRefusedWhenTheVenueIsNotASimulatorOnBothPaths() throws Exception {
    for (String path : List.of("/api/private/canary/run?dry=false", "/canary/run?dry=false")) {
      HttpResponse<String> r = post(path, "a-key");
      assertEquals(422, r.statusCode(), r::body);
      JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
      assertEquals("DRY_RUN_REQUIRED", error.path("code").asText());
      assertEquals("dry", error.path("field").asText());
      assertEquals("http", error.path("details").path("venue").asText());
    }
  }

  @Test
  void aTraderMayNotRunTheCanary() throws Exception {
    HttpResponse<String> r = post("/api/private/canary/run?dry=true", "t-key");
    assertEquals(403, r.statusCode(), r::body);
  }
}
