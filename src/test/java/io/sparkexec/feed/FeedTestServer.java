package io.sparkexec.feed;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.http.Auth;
import io.sparkexec.http.HttpServer;
import io.sparkexec.http.Json;
import io.sparkexec.venue.MarketData;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;

/** The feed's routes on a real HTTP server on port 0, with hooks to publish market, system and order events. */
final class FeedTestServer {

  static final String TRADER_KEY = "trader-dev-key";
  static final String ADMIN_KEY = "admin-dev-key";

  final ActorSystem<Void> system;
  final FeedHub hub;
  final TestOrders orders = new TestOrders();
  final WsTokens tokens;
  final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private FeedTestServer(String overrides) throws Exception {
    Config config = AppConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.loglevel = WARNING
        """ + overrides));
    system = ActorSystem.create(Behaviors.empty(), "feed-test", config);
    FeedSettings settings = FeedSettings.fromConfig(config.getConfig("spark.feed"));
    hub = FeedHub.start(system, settings, Source.empty(), orders, Clock.systemUTC());
    tokens = new WsTokens(settings.tokenTtl(), settings.maxTokens(), settings.maxTokensPerKey(), Clock.systemUTC());
    Auth auth = Auth.fromConfig(config.getConfig("spark.auth"), "paper");
    // the executor's own bind (HeadGuard and the connection caps before pekko-http), as in production
    port = HttpServer.start(system, new HttpServer.Settings("127.0.0.1", 0, Duration.ofSeconds(1)), List.of(new FeedRoutes(hub, tokens, auth).route()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS).getPort();
  }

  static FeedTestServer start(String overrides) throws Exception {
    return new FeedTestServer(overrides);
  }

  URI ws(String query) {
    return URI.create("ws://127.0.0.1:" + port + "/ws/feed" + (query.isEmpty() ? "" : "?" + query));
  }

  HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
    if (key != null) b.header(Auth.HEADER, key);
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
    if (key != null) b.header(Auth.HEADER, key);
    return http.send(b.POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode status() throws Exception {
    return Json.MAPPER.readTree(get("/api/private/websocket/status", ADMIN_KEY).body());
  }

  /** The status of the connection with this id, open or recently closed; null when unknown. */
  JsonNode connection(long id) throws Exception {
    JsonNode s = status();
    for (JsonNode c : s.path("perConnection")) if (c.path("id").asLong() == id) return c;
    for (JsonNode c : s.path("recentlyClosed")) if (c.path("id").asLong() == id) return c;
    return null;
  }

  String token() throws Exception {
    return Json.MAPPER.readTree(post("/api/private/ws-token", TRADER_KEY).body()).path("token").asText();
  }

  static MarketData.Quote quote(String symbol, int i) {
    return new MarketData.Quote(symbol, new BigDecimal(100 + i + ".00"), new BigDecimal(100 + i + ".01"), Instant.ofEpochSecond(1_700_000_000L + i));
  }

  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** Connections whose orders subscription has joined the live hand-out (caught up, and receiving what is published). */
  int liveOrderSubscribers() {
    return hub.orders().subscribers();
  }

  /**
   * An in-memory order journal behind the feed's one reader: {@link #publish()} appends the next seq;
   * {@code after(n)} replays from it, then follows. Counts its reads, so tests see how often the feed
   * read the journal.
   */
  static final class TestOrders implements OrderEventSource {
    private final List<Sequenced> events = new ArrayList<>();
    // seqs step 1, or (gaps) 1, 2, 3, 1, 2, 3 ...: the journal's ordering column on JOURNAL=postgres, which other streams share
    private final boolean gaps;
    private long last;

    TestOrders() {
      this(false);
    }

    TestOrders(boolean gaps) {
      this.gaps = gaps;
    }
    private final List<BoundedSourceQueue<Sequenced>> queues = new CopyOnWriteArrayList<>();
    /** The afterSeq of every read, in order. */
    final List<Long> afters = new CopyOnWriteArrayList<>();
    private volatile boolean failReads;

    @Override
    public Source<Sequenced, NotUsed> after(long afterSeq) {
      afters.add(afterSeq);
      if (failReads) return Source.failed(new IllegalStateException("test: journal read failed"));
      return Source.<Sequenced>queue(1 << 16).mapMaterializedValue(q -> {
        synchronized (this) {
          for (Sequenced e : events) if (e.seq() > afterSeq) q.offer(e);
          queues.add(q);
        }
        return NotUsed.getInstance();
      });
    }

    @Override
    public synchronized CompletionStage<Long> head() {
      return CompletableFuture.completedFuture(last);
    }

    synchronized long last() {
      return last;
    }

    /** The seqs published, in order. */
    synchronized List<Long> seqs() {
      return events.stream().map(Sequenced::seq).toList();
    }

    /** Appends the next event (seq above the previous one) and hands it to every read; returns its seq. */
    synchronized long publish() {
      long seq = last + (gaps ? 1 + events.size() % 3 : 1);
      last = seq;
      String event = "{\"type\":\"OrderAccepted\",\"clientOrderId\":\"o-" + seq + "\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"quantity\":\"0.00100\"}";
      Sequenced e = Sequenced.of(seq, "test", event);
      events.add(e);
      for (BoundedSourceQueue<Sequenced> q : queues) q.offer(e);
      return seq;
    }

    /** Fails every open read, as a failing journal would. */
    void fail() {
      for (BoundedSourceQueue<Sequenced> q : queues) q.fail(new IllegalStateException("test: journal read failed"));
      queues.clear();
    }

    /** From now on every new read fails (false: they work again). */
    void failReads(boolean fail) {
      failReads = fail;
    }
  }
}
