package io.sparkexec.chaos;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.http.Auth;
import io.sparkexec.http.HttpServer;
import io.sparkexec.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos service and its routes on their own (the executor refuses to start in live mode
 * before a real venue exists): the LevelDB journal on a temp dir, real HTTP on port 0.
 */
@ExtendWith(LogCapturingExtension.class)
class ChaosServiceIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** One chaos room on its own ActorSystem, journal under {@code dir}. */
  private record Room(ActorTestKit kit, ChaosService chaos, int port) implements AutoCloseable {

    static Room start(Path dir, Map<String, Object> chaosConfig, String tradeMode, AtomicBoolean withinSlo) throws Exception {
      Config config = TestServer.config(dir, ConfigFactory.parseMap(chaosConfig));
      ActorTestKit kit = ActorTestKit.create("ChaosServiceIT", config);
      ChaosService chaos = new ChaosService(kit.system(), b -> kit.spawn(b, "chaos"),
          ChaosService.Settings.fromConfig(config.getConfig("spark.chaos"), tradeMode, Duration.ofSeconds(10)), Clock.systemUTC(),
          withinSlo::get);
      // the dev keys: auth is not under test here, and live mode would refuse them
      Auth auth = Auth.fromConfig(config.getConfig("spark.auth"), "paper");
      ServerBinding binding = Http.get(kit.system()).newServerAt("127.0.0.1", 0)
          .bind(HttpServer.edge(List.of(new ChaosRoutes(chaos, auth, 65_536).route())))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new Room(kit, chaos, binding.localAddress().getPort());
    }

    Answer post(String path, String body) throws IOException, InterruptedException {
      return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    JsonNode get() throws IOException, InterruptedException {
      return send(HttpRequest.newBuilder(uri(ChaosIT.CHAOS)).GET()).json();
    }

    private URI uri(String path) {
      return URI.create("http://127.0.0.1:" + port + path);
    }

    private Answer send(HttpRequest.Builder b) throws IOException, InterruptedException {
      HttpResponse<String> r = HTTP.send(b.header("X-API-Key", ChaosIT.ADMIN).header("Content-Type", "application/json").build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), TestServer.MAPPER.readTree(r.body()));
    }

    @Override
    public void close() {
      kit.shutdownTestKit();
    }
  }

  private record Answer(int status, JsonNode json) {}

  @Test
  void liveModeRefusesChaosAndItsStartUpDefaultsUnlessAllowed(@TempDir Path dir) throws Exception {
    try (Room live = Room.start(dir.resolve("refused"), Map.of("spark.chaos.http-error-pct", 50), "live", new AtomicBoolean(true))) {
      assertEquals(ChaosSettings.OFF, live.chaos.current(), "CHAOS_HTTP_ERROR_PCT is not applied in live mode");
      JsonNode view = live.get();
      assertTrue(view.path("refusedLive").asBoolean(), view::toString);
      assertEquals(50, view.path("settings").path("httpErrorPct").asInt());
      assertEquals(0, view.path("inForce").path("httpErrorPct").asInt());

      Answer refused = live.post(ChaosIT.CHAOS, json("venueErrorPct", 20, "reason", "in live?"));
      assertEquals(409, refused.status(), refused::toString);
      assertEquals("CHAOS_REFUSED_LIVE", refused.json().path("error").path("code").asText());
      assertTrue(refused.json().path("error").path("message").asText().contains("CHAOS_ALLOW_LIVE=true"));
      assertEquals(0, live.get().path("audit").size(), "nothing journaled");
      assertEquals(200, live.post(ChaosIT.CHAOS + "/off", json("reason", "the stop always works")).status());
    }
    try (Room allowed = Room.start(dir.resolve("allowed"), Map.of("spark.chaos.allow-live", true), "live", new AtomicBoolean(true))) {
      Answer set = allowed.post(ChaosIT.CHAOS, json("venueErrorPct", 20, "reason", "game day, allowed"));
      assertEquals(200, set.status(), set::toString);
      assertEquals(20, allowed.chaos.current().venueErrorPct());
    }
  }

  @Test
  void listenersHearEveryChangeAndRecoveryWaitsUntilBackWithinSlo(@TempDir Path dir) throws Exception {
    AtomicBoolean withinSlo = new AtomicBoolean(false);
    try (Room room = Room.start(dir, Map.of(), "paper", withinSlo)) {
      List<ChaosSettings> heard = new CopyOnWriteArrayList<>();
      room.chaos.onSettings(heard::add);
      assertEquals(200, room.post(ChaosIT.CHAOS, json("wsFlapSec", 5)).status());
      await().atMost(Duration.ofSeconds(10)).until(() -> heard.stream().anyMatch(s -> s.wsFlapSec() == 5));
      assertEquals(Duration.ofSeconds(5), heard.get(heard.size() - 1).wsFlapPeriod());

      assertEquals(200, room.post(ChaosIT.CHAOS + "/off", "").status());
      await().atMost(Duration.ofSeconds(10)).until(() -> heard.get(heard.size() - 1).equals(ChaosSettings.OFF));
      JsonNode waiting = room.get().path("recovery");
      assertTrue(waiting.hasNonNull("clearedAt"), waiting::toString);
      assertTrue(waiting.path("recoveredAt").isNull(), "not back within SLO yet: " + waiting);

      withinSlo.set(true);
      await().atMost(Duration.ofSeconds(30)).until(() -> room.get().path("recovery").hasNonNull("tookMs"));
    }
  }

  /** Replay from snapshots (every 2 changes, keep 2) gives the same settings and audit log as before the restart. */
  @Test
  void aRestartFromSnapshotsGivesTheSameStateAndAuditLog(@TempDir Path dir) throws Exception {
    Map<String, Object> snapshotOften = Map.of("spark.chaos.snapshot-every", 2);
    JsonNode before;
    try (Room first = Room.start(dir, snapshotOften, "paper", new AtomicBoolean(true))) {
      for (int pct = 1; pct <= 5; pct++) {
        assertEquals(200, first.post(ChaosIT.CHAOS, json("venueErrorPct", pct, "reason", "step " + pct)).status());
      }
      before = first.get();
    }
    assertTrue(java.nio.file.Files.list(dir.resolve("snapshots")).findAny().isPresent(), "snapshots were written");
    try (Room second = Room.start(dir, snapshotOften, "paper", new AtomicBoolean(true))) {
      JsonNode after = second.get();
      assertEquals(before.path("settings"), after.path("settings"));
      assertEquals(before.path("audit"), after.path("audit"));
      assertEquals(5, after.path("audit").size());
      assertEquals(5, second.chaos.current().venueErrorPct());
    }
  }
}
