package io.sparkexec.queue;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.order.Scope;
import io.sparkexec.http.Readiness;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.order.OrderIndex;
import io.sparkexec.order.OrderGuard;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signal consumer on a real executor (in this JVM: real journal, real order entities, real
 * guard chain): the server's own consumer over HTTP, and a consumer of a test queue whose order
 * front door has one more guard, a flaky one, to show transient failures being retried.
 */
@ExtendWith(LogCapturingExtension.class)
class SignalConsumerIT {

  private static final String Q = "/api/private/queue/";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path dataDir;

  static TestServer server;
  static QueueService testQueue;
  static OrderService orders;
  static UniqueKillSwitch consumer;
  /** clientOrderIds the flaky guard refuses as TOO_MANY once each. */
  static final Set<String> flakyOnce = ConcurrentHashMap.newKeySet();
  static final AtomicInteger flakyRefusals = new AtomicInteger();

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseMap(Map.of("spark.queue.consumer.poll-interval", "20 ms")));
    ActorSystem<?> system = server.system();
    Clock clock = Clock.systemUTC();
    DurableQueue.Settings settings = new DurableQueue.Settings("consumer-test", Duration.ofSeconds(10), Duration.ofHours(12), 5, 1000, 1000, 100, 100,
        100_000, Duration.ofSeconds(5), 10_000, 100,
        Duration.ofMillis(100), Duration.ofSeconds(10));
    testQueue = new QueueService(system, system.systemActorOf(DurableQueue.create(settings, clock), "test-queue", Props.empty()), settings);
    OrderGuard flaky = request -> flakyOnce.remove(request.clientOrderId())
        ? refusedOnce()
        : null;
    Readiness ready = new Readiness("test");
    ready.pass("test", "up");
    orders = new OrderService(system, OrderIndex.get(system), Set.of("BTCUSDT", "ETHUSDT", "SOLUSDT"), List.of(flaky), List.of(flaky), ready,
        new OrderService.Settings(100, Duration.ofSeconds(10), Duration.ofSeconds(10)), clock, reason -> {});
    consumer = new SignalConsumer(system, testQueue, orders,
        new SignalConsumer.Settings(true, 4, 8, Duration.ofMillis(20), Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofMillis(200),
            Set.of()),
        "consumer-test", ready::isReady).start();
  }

  private static Rejection refusedOnce() {
    flakyRefusals.incrementAndGet();
    return new Rejection(Rejection.Kind.TOO_MANY, "TOO_MANY_IN_FLIGHT", "test: busy once", null, Map.of());
  }

  @AfterAll
  static void stop() {
    if (consumer != null) consumer.shutdown();
    if (server != null) server.close();
  }

  private static String order(String clientOrderId, String strategy) {
    return json("clientOrderId", clientOrderId, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "quantity", "0.01", "price", "1000.00",
        "strategy", strategy);
  }

  @Test
  void theServersConsumerTurnsAnEnqueuedSignalIntoAnOrderNamedByTheJobId() {
    Response r = server.post(Q + "enqueue", "{\"job\":\"sig-http-1\",\"data\":" + order(null, "s1") + "}");
    assertEquals(200, r.status(), r::toString);
    await().atMost(WAIT).until(() -> server.getOrder("sig-http-1").status() == 200);
    JsonNode o = server.getOrder("sig-http-1").json();
    assertEquals("BTCUSDT", o.get("symbol").asText());
    assertEquals("s1", o.get("strategy").asText());
    await().atMost(WAIT).until(() -> server.get(Q + "stats").json().get("inFlight").asInt() == 0);
    JsonNode stats = server.get(Q + "stats").json();
    assertEquals(0, stats.get("ready").asInt(), stats::toString);
    assertEquals(0, stats.get("deadLettered").asInt(), stats::toString);
    await().atMost(WAIT).until(() -> TestServer.metricValue(server.metrics(), "spark_queue_signals_total", "outcome=\"ordered\"") >= 1);
  }

  @Test
  void aRedeliveredJobFindsItsOrderAndIsAckedWithoutASecondOrder() throws Exception {
    // a queue no running consumer reads, so the deliveries are staged by hand
    DurableQueue.Settings settings = new DurableQueue.Settings("redelivery-test", Duration.ofSeconds(10), Duration.ofHours(12), 5, 1000, 1000, 100, 100,
        100_000, Duration.ofSeconds(5), 10_000, 100,
        Duration.ofMillis(50), Duration.ofSeconds(10));
    QueueService queue = new QueueService(server.system(),
        server.system().systemActorOf(DurableQueue.create(settings, Clock.systemUTC()), "redelivery-queue", Props.empty()), settings);
    SignalConsumer handler = new SignalConsumer(server.system(), queue, orders,
        new SignalConsumer.Settings(true, 1, 1, Duration.ofMillis(20), Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofMillis(200),
            Set.of()), "redelivery-test", () -> true);
    queue.enqueue(List.of(new DurableQueue.NewJob("sig-redelivered", order(null, "s1")))).toCompletableFuture().get(30, TimeUnit.SECONDS);

    // delivery 1 placed the order and the consumer died before its ack
    DurableQueue.ClaimedJob first = claimed(queue.claim(1, Duration.ofMillis(1))).jobs().get(0);
    await().atMost(WAIT).until(() -> ((DurableQueue.Stats) ((QueueService.Answered) queue.stats().toCompletableFuture()
        .get(30, TimeUnit.SECONDS)).reply()).ready() == 1);
    assertEquals(SignalConsumer.Outcome.CLAIM_LOST, handler.handle(first).toCompletableFuture().get(30, TimeUnit.SECONDS),
        "the claim ran out before the ack");
    assertEquals(1, acceptedEvents("sig-redelivered"));

    // delivery 2 (after the claim expired) finds the order and acks
    DurableQueue.ClaimedJob second = await().atMost(WAIT).until(() -> claimed(queue.claim(1, Duration.ofSeconds(10))).jobs(), j -> !j.isEmpty())
        .get(0);
    assertEquals(2, second.delivery());
    assertEquals(SignalConsumer.Outcome.ORDERED, handler.handle(second).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertEquals(1, acceptedEvents("sig-redelivered"), "one order, however often the job was delivered");
    DurableQueue.Stats s = (DurableQueue.Stats) ((QueueService.Answered) queue.stats().toCompletableFuture().get(30, TimeUnit.SECONDS)).reply();
    assertEquals(0, s.ready() + s.inFlight() + s.deadLettered(), s::toString);
  }

  @Test
  void aBodyNamingAnotherClientOrderIdIsDeadLetteredAndPlacesNothing() throws Exception {
    enqueue("sig-mismatch", order("other-id", "s1"));
    DurableQueue.Job dead = awaitDeadLetter("sig-mismatch");
    assertTrue(dead.lastError().contains("CLIENT_ORDER_ID_MISMATCH"), dead::toString);
    assertEquals(0, acceptedEvents("sig-mismatch"));
    assertEquals(0, acceptedEvents("other-id"));
  }

  @Test
  void anInvalidBodyIsDeadLetteredWithTheFieldAndRule() throws Exception {
    enqueue("sig-invalid", json("side", "BUY", "type", "MARKET", "quantity", "0.001"));
    DurableQueue.Job dead = awaitDeadLetter("sig-invalid");
    assertEquals("REQUIRED (symbol): symbol is required", dead.lastError());
    assertEquals(1, dead.deliveries(), "a refusal is final: no retry");
    assertEquals(0, acceptedEvents("sig-invalid"));
  }

  @Test
  void aTransientRefusalIsNackedAndTheNextDeliveryPlacesTheOrder() throws Exception {
    flakyOnce.add("sig-flaky");
    int before = flakyRefusals.get();
    enqueue("sig-flaky", order(null, "s1"));
    awaitDone();
    await().atMost(WAIT).until(() -> acceptedEvents("sig-flaky") == 1);
    assertEquals(before + 1, flakyRefusals.get(), "refused once, then placed");
    assertEquals(0, deadLetters().size());
  }

  // ---- helpers ----

  private static void enqueue(String jobId, String data) throws Exception {
    QueueService.Result r = testQueue.enqueue(TestServer.MAPPER.readTree("{\"job\":\"" + jobId + "\",\"data\":" + data + "}"), Scope.ALL)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertInstanceOf(DurableQueue.Enqueued.class, assertInstanceOf(QueueService.Answered.class, r).reply());
  }

  private static DurableQueue.Claimed claimed(java.util.concurrent.CompletionStage<QueueService.Result> r) throws Exception {
    return (DurableQueue.Claimed) ((QueueService.Answered) r.toCompletableFuture().get(30, TimeUnit.SECONDS)).reply();
  }

  private static DurableQueue.Stats stats() throws Exception {
    return (DurableQueue.Stats) ((QueueService.Answered) testQueue.stats().toCompletableFuture().get(30, TimeUnit.SECONDS)).reply();
  }

  private static List<DurableQueue.Job> deadLetters() throws Exception {
    return ((DurableQueue.DeadLetters) ((QueueService.Answered) testQueue.deadLetters(null, null, Scope.ALL).toCompletableFuture().get(30, TimeUnit.SECONDS))
        .reply()).jobs().stream().filter(j -> !j.jobId().equals("sig-mismatch") && !j.jobId().equals("sig-invalid")).toList();
  }

  /** Nothing ready or in flight on the test queue. */
  private static void awaitDone() {
    await().atMost(WAIT).until(() -> {
      DurableQueue.Stats s = stats();
      return s.ready() == 0 && s.inFlight() == 0;
    });
  }

  private static DurableQueue.Job awaitDeadLetter(String jobId) {
    return await().atMost(WAIT).until(() -> ((DurableQueue.DeadLetters) ((QueueService.Answered) testQueue.deadLetters(null, null, Scope.ALL)
        .toCompletableFuture().get(30, TimeUnit.SECONDS)).reply()).jobs().stream().filter(j -> j.jobId().equals(jobId)).findFirst()
        .orElse(null), j -> j != null);
  }

  /** OrderAccepted events journaled for this clientOrderId. */
  private static long acceptedEvents(String clientOrderId) throws Exception {
    CurrentEventsByTagQuery query = PersistenceQuery.get(server.system())
        .getReadJournalFor(CurrentEventsByTagQuery.class, server.config().getString("spark.orders.read-journal"));
    return query.currentEventsByTag(OrderDesk.TAG, NoOffset.getInstance())
        .filter(e -> e.event() instanceof OrderDesk.OrderAccepted a && a.clientOrderId().equals(clientOrderId))
        .runWith(Sink.fold(0L, (n, e) -> n + 1), server.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
