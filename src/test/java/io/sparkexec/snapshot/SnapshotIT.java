package io.sparkexec.snapshot;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** State snapshots over real HTTP: roles, name rules, executor state, listing, retention at start. */
@ExtendWith(LogCapturingExtension.class)
class SnapshotIT {

  static final String ADMIN = "admin-dev-key";

  @TempDir
  static Path dataDir;

  static TestServer server;
  static Path stale;
  static Path crashTemp;

  @BeforeAll
  static void start() throws Exception {
    // left from before the start: a 30-day-old snapshot and a crashed write's temp file
    Path dir = Files.createDirectories(dataDir.resolve("state-snapshots"));
    stale = Files.writeString(dir.resolve("old-20260101T000000000Z.json"), "{}");
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofDays(30))));
    crashTemp = Files.writeString(dir.resolve(".half-20260101T000000000Z.json.tmp"), "{");
    server = TestServer.inProcess(dataDir);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  private static Response asAdmin(String body) {
    return server.send(server.request("/api/private/snapshot").setHeader("X-API-Key", ADMIN).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
  }

  @Test
  void retentionAtStartDeletedTheOldSnapshotAndTheCrashedTempFile() {
    await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(stale) && !Files.exists(crashTemp));
    await().atMost(Duration.ofSeconds(30)).until(() ->
        TestServer.metricValue(server.metrics(), "spark_snapshot_retention_deleted_total", "") >= 2);
  }

  @Test
  void anAdminSnapshotsTheExecutorsStateAndTradersListIt() {
    assertEquals(202, server.placeOrder(json("clientOrderId", "snap-o1", "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "quantity", "0.01",
        "price", "1000.00", "respType", "ACCEPTED")).status());
    Response created = asAdmin(json("name", "before-deploy"));
    assertEquals(201, created.status(), created::toString);
    JsonNode entry = created.json();
    assertEquals("before-deploy", entry.get("name").asText());
    Path file = dataDir.resolve("state-snapshots").resolve(entry.get("file").asText());
    assertTrue(Files.isRegularFile(file));
    JsonNode doc = TestServer.MAPPER.valueToTree(read(file));
    assertEquals("executor", doc.get("kind").asText());
    JsonNode state = doc.get("state");
    assertTrue(state.get("openOrders").toString().contains("snap-o1"), state::toString);
    assertEquals("ACTIVE", state.get("tradingState").get("state").asText(), state::toString);
    assertTrue(state.get("queue").has("ready"), state::toString);
    assertTrue(state.has("positions"));

    Response withData = asAdmin("{\"name\":\"features_v2\",\"data\":{\"rows\":[1,2,3]}}");
    assertEquals(201, withData.status(), withData::toString);

    Response listing = server.get("/api/private/snapshots");
    assertEquals(200, listing.status(), listing::toString);
    String names = listing.json().get("snapshots").findValuesAsText("name").toString();
    assertTrue(names.contains("before-deploy") && names.contains("features_v2"), names);
    assertFalse(listing.text().contains(".tmp"), listing::toString);
    assertTrue(listing.json().get("snapshots").get(0).get("sizeBytes").asLong() > 0);
  }

  @Test
  void creatingTakesTheAdminRoleAndBadNamesAre400NamingTheField() throws Exception {
    Response trader = server.post("/api/private/snapshot", json("name", "x"));
    assertEquals(403, trader.status(), trader::toString);
    for (String bad : new String[] {"../../etc/passwd", "a/b", ".hidden", ""}) {
      Response r = asAdmin(json("name", bad));
      assertEquals(400, r.status(), bad + " -> " + r);
      assertEquals("name", r.json().get("error").get("field").asText());
    }
    Response unknown = asAdmin(json("name", "ok", "path", "/tmp"));
    assertEquals(400, unknown.status());
    assertEquals("path", unknown.json().get("error").get("field").asText());
    try (var files = Files.list(dataDir.resolve("state-snapshots"))) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("ok-")), "nothing written for a refused request");
    }
    assertFalse(Files.exists(dataDir.resolve("etc")));
  }

  private static Object read(Path file) {
    try {
      return TestServer.MAPPER.readTree(file.toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
