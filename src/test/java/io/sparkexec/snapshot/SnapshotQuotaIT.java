package io.sparkexec.snapshot;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot quota over real HTTP, across restarts (the directory is the state): refuse mode
 * answers 507 and writes nothing, prune-oldest keeps the newest within the count and the bytes,
 * and a quota lowered at a restart prunes at start.
 */
class SnapshotQuotaIT {

  static final String ADMIN = "admin-dev-key";

  @TempDir
  Path dataDir;

  static Config quota(String whenFull, int maxCount, String maxBytes) {
    return ConfigFactory.parseMap(Map.of("spark.snapshot.when-full", whenFull, "spark.snapshot.max-count", maxCount,
        "spark.snapshot.max-total-bytes", maxBytes));
  }

  static Response create(TestServer server, String name, String data) {
    return server.send(server.request("/api/private/snapshot").setHeader("X-API-Key", ADMIN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"data\":" + json("pad", data) + "}")).build());
  }

  static List<String> names(TestServer server) {
    List<String> names = new ArrayList<>();
    for (JsonNode e : server.get("/api/private/snapshots").json().path("snapshots")) names.add(e.path("name").asText());
    return names;
  }

  @Test
  void refuseModeAnswers507WritesNothingAndStillRefusesAfterARestart() {
    Config refuse = quota("refuse", 2, "1 MiB");
    try (TestServer server = TestServer.inProcess(dataDir, refuse)) {
      assertEquals(201, create(server, "first", "a").status());
      assertEquals(201, create(server, "second", "b").status());
      Response full = create(server, "third", "c");
      assertEquals(507, full.status(), full::toString);
      JsonNode error = full.json().path("error");
      assertEquals("SNAPSHOT_QUOTA_FULL", error.path("code").asText());
      assertEquals(2, error.path("details").path("count").asInt());
      assertEquals(2, error.path("details").path("maxCount").asInt());
      assertEquals(List.of("second", "first"), names(server), "nothing written, nothing deleted");
    }
    try (TestServer server = TestServer.inProcess(dataDir, refuse)) {
      assertEquals(507, create(server, "third", "c").status(), "the quota counts the files left by the last run");
      assertEquals(List.of("second", "first"), names(server));
    }
  }

  @Test
  void pruneModeKeepsTheNewestWithinCountAndBytesAndALoweredQuotaPrunesAtStart() {
    try (TestServer server = TestServer.inProcess(dataDir, quota("prune-oldest", 3, "1 MiB"))) {
      for (String name : List.of("p1", "p2", "p3", "p4")) assertEquals(201, create(server, name, name).status());
      assertEquals(List.of("p4", "p3", "p2"), names(server), "the oldest went once the fourth was written");
      Response huge = create(server, "huge", "x".repeat(2000));
      assertEquals(201, huge.status(), huge::toString);
      assertEquals(List.of("huge", "p4", "p3"), names(server));
    }
    // 2,000 bytes of data: two such snapshots pass the byte quota, one fits; and one larger than it all is refused
    try (TestServer server = TestServer.inProcess(dataDir, quota("prune-oldest", 3, "3000 B"))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> names(server).equals(List.of("huge", "p4", "p3")));
      assertEquals(201, create(server, "huge2", "y".repeat(2000)).status());
      assertEquals(List.of("huge2"), names(server), "the bytes bound pruned oldest first until the new one fit");
      Response tooBig = create(server, "bigger", "z".repeat(4000));
      assertEquals(507, tooBig.status(), "larger than the whole quota: refused even in prune mode " + tooBig);
      assertEquals(201, create(server, "p5", "p5").status());
      assertEquals(201, create(server, "p6", "p6").status());
    }
    try (TestServer server = TestServer.inProcess(dataDir, quota("prune-oldest", 1, "1 MiB"))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> names(server).equals(List.of("p6")));
      assertTrue(server.metrics().contains("spark_snapshot_retention_deleted"), "counted as retention");
    }
  }
}
