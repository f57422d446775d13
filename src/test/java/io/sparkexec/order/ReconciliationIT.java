package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.batch.Batcher;
import io.sparkexec.http.Auth;
import io.sparkexec.http.HttpServer;
import io.sparkexec.http.Readiness;
import io.sparkexec.http.SystemRoutes;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.testing.TestServer;
import io.sparkexec.venue.Venue;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import kamon.metric.Gauge;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart reconciliation on a real ActorSystem, LevelDB journal and HTTP: executor #1 places
 * orders and stops; while it is down the venue fills one, cancels another, takes an order whose
 * answer was lost and holds an order of its own; executor #2 on the same journal first meets an
 * unreachable venue (not ready, orders 503, cancels and the reconciliation report still served),
 * then a reachable one, and must journal exactly what the venue did. The venue is scripted
 * because it must outlive the executor and fail on demand; the order room's own wiring is the
 * production code (OrderRecovery, Reconciler, OrderService, routes), assembled here as Guardian
 * does.
 */
class ReconciliationIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;

  /** The order room wired as Guardian wires it, against the given venue. */
  static final class Executor implements AutoCloseable {
    final ActorSystem<Void> system;
    final int port;
    final Readiness readiness = new Readiness("cluster", "journal", "reconciliation");

    Executor(Path dataDir, ScriptedVenue venue) {
      Config config = TestServer.config(dataDir, ConfigFactory.parseMap(Map.of(
          "spark.orders.in-doubt.check-interval", "100 ms",
          "spark.orders.in-doubt.max-check-interval", "500 ms",
          "spark.orders.in-doubt.give-up-after", "1 h",
          "spark.orders.reconciliation.retry-min", "100 ms",
          "spark.orders.reconciliation.retry-max", "500 ms")));
      Config spark = config.getConfig("spark");
      port = config.getInt("spark.http.port");
      system = ActorSystem.create(Behaviors.empty(), "spark-executor", config);
      Clock clock = Clock.systemUTC();
      Map<String, ActorRef<Batcher.Command>> batchers = new HashMap<>();
      for (String symbol : List.of("BTCUSDT")) {
        batchers.put(symbol, system.systemActorOf(Batcher.create(symbol, venue, Batcher.Settings.fromConfig(spark.getConfig("batch"))),
            "batcher-" + symbol, Props.empty()));
      }
      VenueChecks checks = new VenueChecks(venue, spark.getInt("orders.venue-check-parallelism"));
      OrderIndex index = OrderIndex.get(system);
      OrderDesk.Deps deps = new OrderDesk.Deps(venue, batchers::get, venue, checks, index, clock,
          OrderDesk.InDoubt.fromConfig(spark.getConfig("orders.in-doubt")),
          OrderDesk.Settings.fromConfig(spark.getConfig("orders.desk"), Batcher.Settings.fromConfig(spark.getConfig("batch"))));
      ClusterSharding.get(system).init(Entity.of(OrderDesk.ENTITY_KEY, ec -> OrderDesk.create(ec.getEntityId(), deps))
          .withStopMessage(OrderDesk.Stop.INSTANCE));
      OrderService orders = new OrderService(system, index, Set.of("BTCUSDT"), List.of(), List.of(), readiness,
          OrderService.Settings.fromConfig(spark.getConfig("http")), clock, reason -> { });
      ActorRef<Reconciler.Command> reconciler = system.systemActorOf(Reconciler.create(
          Reconciler.Settings.fromConfig(spark.getConfig("orders.reconciliation"), checks.parallelism(), spark.getDuration("http.ask-timeout")),
          venue, orders, new Reconciler.Listener() {
            @Override
            public void passed(String detail) {
              readiness.pass("reconciliation", detail);
            }

            @Override
            public void failed(String reason) {
              readiness.fail("reconciliation", reason);
            }
          }, clock), "reconciler", Props.empty());
      Auth auth = Auth.fromConfig(spark.getConfig("auth"), spark.getString("trade-mode"));
      HttpServer.start(system, HttpServer.Settings.fromConfig(spark.getConfig("http")), List.of(new SystemRoutes(readiness, auth).route(),
          new OrderRoutes(orders, auth, OrderRoutes.Settings.fromConfig(spark.getConfig("http"))).route(),
          new ReconciliationRoutes(reconciler, auth, spark.getDuration("http.ask-timeout"), system.scheduler()).route()));

      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      await().atMost(WAIT).until(() -> cluster.selfMember().status() == MemberStatus.up());
      readiness.pass("cluster", "up");
      OrderRecovery.run(system, List.of("BTCUSDT"), spark.getDuration("http.ask-timeout"))
          .thenAccept(result -> {
            readiness.pass("journal", "desks recovered");
            reconciler.tell(new Reconciler.Start(result.openOrders()));
          });
    }

    JsonNode send(String method, String path, String key, String body) throws Exception {
      return sendFull(method, path, key, body).json;
    }

    record Answer(int status, HttpResponse<String> raw, JsonNode json) {}

    Answer sendFull(String method, String path, String key, String body) throws IOException, InterruptedException {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
      if (key != null) b.header("X-API-Key", key);
      if (body != null) b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
      else b.method(method, HttpRequest.BodyPublishers.noBody());
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r, TestServer.MAPPER.readTree(r.body().isEmpty() ? "{}" : r.body()));
    }

    Answer place(String id, String respType) throws Exception {
      return sendFull("POST", "/api/private/order?respType=" + respType, TestServer.TRADER_KEY, json("clientOrderId", id, "symbol", "BTCUSDT",
          "side", "BUY", "type", "LIMIT", "timeInForce", "GTC", "quantity", "1", "price", "100.00"));
    }

    String status(String id) throws Exception {
      return send("GET", "/api/private/order/" + id, TestServer.TRADER_KEY, null).path("status").asText();
    }

    int ready() throws Exception {
      return sendFull("GET", "/api/public/ready", null, null).status();
    }

    @Override
    public void close() throws Exception {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void restartJournalsWhatTheVenueDidMeanwhileAndReportsForeignOrders() throws Exception {
    ScriptedVenue venue = new ScriptedVenue();
    // counters are read from the Prometheus page, which accumulates across Kamon's ticks (a tick resets an instrument)
    Metrics.init(TestServer.config(dataDir, ConfigFactory.empty()));
    double fillsBefore = corrections("fill");
    double cancelsBefore = corrections("cancel");

    try (Executor one = new Executor(dataDir, venue)) {
      await().atMost(WAIT).until(() -> one.ready() == 200);
      for (String id : List.of("rc-fill", "rc-cancel", "rc-open")) assertEquals("ACKNOWLEDGED", one.place(id, "ACKNOWLEDGED").json().path("status").asText());
      // the venue creates this one but no answer comes back, not even to the checker's queries: in doubt
      venue.loseAnswers(true);
      assertEquals(202, one.place("rc-lost-answer", "ACCEPTED").status());
      await().atMost(WAIT).until(() -> one.status("rc-lost-answer").equals("IN_DOUBT"));
      venue.unreachable(true);
      venue.loseAnswers(false);
    }

    // while the executor is down
    venue.fillCompletely("rc-fill", BigDecimal.ONE);
    venue.cancelHere("rc-cancel");
    venue.addForeignOrder("manual-1", "BTCUSDT");

    try (Executor two = new Executor(dataDir, venue)) {
      // venue unreachable: not ready, with the reason; orders 503 + Retry-After; cancels and the report still served
      await().atMost(WAIT).until(() -> two.send("GET", "/api/public/ready", null, null).path("gates").path("reconciliation").path("status").asText()
          .equals("FAILED"));
      Executor.Answer ready = two.sendFull("GET", "/api/public/ready", null, null);
      assertEquals(503, ready.status());
      assertTrue(ready.json().path("gates").path("reconciliation").path("detail").asText().contains("venue unreachable"), ready.json()::toString);
      Executor.Answer refused = two.place("rc-new", "ACKNOWLEDGED");
      assertEquals(503, refused.status(), refused.json()::toString);
      assertEquals("NOT_READY", refused.json().path("error").path("code").asText());
      assertTrue(refused.raw().headers().firstValue("Retry-After").isPresent(), "503 without Retry-After");
      Executor.Answer cancel = two.sendFull("DELETE", "/api/private/order/rc-open", TestServer.TRADER_KEY, null);
      assertTrue(cancel.status() == 200 || cancel.status() == 202, "cancel not served while not ready: " + cancel.status() + " " + cancel.json());
      JsonNode retrying = two.send("GET", "/api/private/reconciliation", "admin-dev-key", null);
      assertEquals("retrying", retrying.path("status").asText(), retrying::toString);
      assertTrue(retrying.path("error").asText().contains("connection refused"), retrying::toString);
      assertEquals("IN_DOUBT", two.status("rc-lost-answer"), "the doubt did not survive the restart");

      venue.unreachable(false);
      await().atMost(WAIT).until(() -> two.ready() == 200);
      JsonNode report = two.send("GET", "/api/private/reconciliation", TestServer.TRADER_KEY, null);
      assertEquals("passed", report.path("status").asText(), report::toString);
      assertEquals(4, report.path("checked").asInt(), report::toString);
      assertEquals(1, report.path("corrections").path("fill").asInt(), report::toString);
      assertEquals(1, report.path("corrections").path("cancel").asInt(), report::toString);
      assertTrue(report.path("lastRunAt").isTextual(), report::toString);
      JsonNode external = report.path("externalOrders");
      assertEquals(1, external.size(), report::toString);
      assertEquals("manual-1", external.get(0).path("clientOrderId").asText());
      assertTrue(external.get(0).path("executorStatus").isNull(), report::toString);

      assertEquals("FILLED", two.status("rc-fill"));
      assertEquals("CANCELED", two.status("rc-cancel"));
      await().atMost(WAIT).until(() -> two.status("rc-lost-answer").equals("ACKNOWLEDGED"));
      assertEquals(1, venue.created("rc-lost-answer"), "the venue had it: it must never be created twice");
      await().atMost(WAIT).until(() -> corrections("fill") >= fillsBefore + 1 && corrections("cancel") >= cancelsBefore + 1);
      assertEquals(fillsBefore + 1, corrections("fill"));
      assertEquals(cancelsBefore + 1, corrections("cancel"));
      assertEquals(1.0, ((Gauge.Volatile) Metrics.RECONCILIATION_EXTERNAL_ORDERS.withoutTags()).snapshot(false));
      // the foreign order was reported, never adopted
      assertEquals(404, two.sendFull("GET", "/api/private/order/manual-1", TestServer.TRADER_KEY, null).status());
      assertEquals(Venue.VenueStatus.NEW, venue.order("manual-1").orElseThrow().status());
    }
  }

  private static double corrections(String kind) {
    return TestServer.metricValue(Metrics.scrape(), "spark_reconciliation_corrections_total", "kind=\"" + kind + "\"");
  }
}
