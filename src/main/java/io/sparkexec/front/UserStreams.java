package io.sparkexec.front;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.handleWebSocketMessages;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.binance.BinanceErrors;
import io.sparkexec.binance.BinanceOrders;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.order.Order;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Scope;
import io.sparkexec.venue.Venue.Fill;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binance's user-data streams: a listen key per front-door key (POST answers the live one if
 * there is one, as Binance does, so a key holds at most one), kept alive by PUT, and WebSockets at
 * /ws/{listenKey} that receive executionReport frames for the orders the key may see.
 *
 * <p>Built on the feed's one reader of the order stream ({@code FeedHub.onOrderEvent}), subscribed
 * while any stream has a connection: each event is turned into one frame (one order read, in
 * event order, through a bounded queue) and handed to every connection that may see it, into
 * that connection's own bounded queue. As on the feed, nothing waits for a client: a connection
 * whose queue is full is closed (the client reconnects and reads the orders it missed).
 */
final class UserStreams {

  private static final Logger log = LoggerFactory.getLogger(UserStreams.class);

  /** spark.binance.user-stream (conf/binance.conf). */
  record Settings(Duration listenKeyTtl, int buffer, int maxConnectionsPerKey, int eventQueue) {}

  private final class Stream {
    final String listenKey;
    final String owner;
    final Auth.Principal principal;
    volatile long expiresAt;
    final Set<BoundedSourceQueue<Message>> connections = ConcurrentHashMap.newKeySet();

    Stream(String listenKey, Auth.Principal principal, long expiresAt) {
      this.listenKey = listenKey;
      this.owner = principal.name();
      this.principal = principal;
      this.expiresAt = expiresAt;
    }

    boolean live(long now) {
      return now < expiresAt;
    }
  }

  private record Frame(String strategy, String json) {}

  private final Settings settings;
  private final OrderService orders;
  private final FrontHistory history;
  private final Supplier<Runnable> subscribe;
  private final Materializer materializer;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Stream> byListenKey = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private BoundedSourceQueue<String> events;
  private Runnable unsubscribe;

  /** {@code subscribe}: starts hearing the order stream (FeedHub.onOrderEvent with this class's listener); its handle stops it. */
  UserStreams(Settings settings, OrderService orders, FrontHistory history, Function<Consumer<String>, Runnable> subscribe,
      Materializer materializer, Clock clock) {
    this.settings = settings;
    this.orders = orders;
    this.history = history;
    this.subscribe = () -> subscribe.apply(this::onEvent);
    this.materializer = materializer;
    this.clock = clock;
  }

  /** The key's live listen key (its life extended), or a new one. */
  synchronized String open(Auth.BinanceKey key) {
    long now = clock.millis();
    sweep(now);
    for (Stream s : byListenKey.values()) {
      if (s.owner.equals(key.principal().name())) {
        s.expiresAt = now + settings.listenKeyTtl().toMillis();
        return s.listenKey;
      }
    }
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String listenKey = HexFormat.of().formatHex(bytes);
    byListenKey.put(listenKey, new Stream(listenKey, key.principal(), now + settings.listenKeyTtl().toMillis()));
    log.info("event=binance_front_listen_key_opened key={}", key.principal().name());
    return listenKey;
  }

  /** Expired streams go, their connections closed (a key holds one stream, so this walks few). */
  private void sweep(long now) {
    byListenKey.values().removeIf(s -> {
      if (s.live(now)) return false;
      s.connections.forEach(BoundedSourceQueue::complete);
      return true;
    });
  }

  boolean keepAlive(Auth.BinanceKey key, String listenKey) {
    Stream s = byListenKey.get(listenKey);
    long now = clock.millis();
    if (s == null || !s.owner.equals(key.principal().name()) || !s.live(now)) return false;
    s.expiresAt = now + settings.listenKeyTtl().toMillis();
    return true;
  }

  boolean close(Auth.BinanceKey key, String listenKey) {
    Stream s = byListenKey.get(listenKey);
    if (s == null || !s.owner.equals(key.principal().name())) return false;
    byListenKey.remove(listenKey);
    s.connections.forEach(BoundedSourceQueue::complete);
    log.info("event=binance_front_listen_key_closed key={}", s.owner);
    return true;
  }

  Route connect(String listenKey) {
    Stream s = byListenKey.get(listenKey);
    if (s == null || !s.live(clock.millis())) return complete(BinanceErrors.unknownListenKey());
    if (s.connections.size() >= settings.maxConnectionsPerKey()) {
      return complete(BinanceErrors.response(429, BinanceErrors.TOO_MANY_REQUESTS, "Too many connections on this listenKey (at most "
          + settings.maxConnectionsPerKey() + ")."));
    }
    Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> queue = Source.<Message>queue(settings.buffer()).preMaterialize(materializer);
    s.connections.add(queue.first());
    opened();
    Source<Message, NotUsed> out = queue.second().watchTermination((m, done) -> {
      done.whenComplete((d, e) -> {
        s.connections.remove(queue.first());
        closed();
      });
      return m;
    });
    // what a client sends is not read: Binance's user stream takes no messages (pings are answered below us)
    return handleWebSocketMessages(Flow.fromSinkAndSourceCoupled(Sink.ignore(), out));
  }

  /** The first connection starts the order stream's reading here; the last one stops it. */
  private synchronized void opened() {
    if (connections.incrementAndGet() != 1 || unsubscribe != null) return;
    Pair<BoundedSourceQueue<String>, Source<String, NotUsed>> q = Source.<String>queue(settings.eventQueue()).preMaterialize(materializer);
    events = q.first();
    // one order read per event, in event order; the frame goes to every connection that may see it
    q.second().mapAsync(1, this::frame).runWith(Sink.foreach(f -> f.ifPresent(this::deliver)), materializer);
    unsubscribe = subscribe.get();
  }

  private synchronized void closed() {
    if (connections.decrementAndGet() != 0 || unsubscribe == null) return;
    unsubscribe.run();
    unsubscribe = null;
    events.complete();
    events = null;
  }

  /** The reader's hand-out: queued, never waited for; past the bound the event is dropped (and said so). */
  private void onEvent(String json) {
    BoundedSourceQueue<String> q = events;
    if (q != null && q.offer(json) != QueueOfferResult.enqueued()) log.warn("event=binance_front_stream_event_dropped reason=queue_full");
  }

  /** The executionReport of an order event, or empty for events Binance does not report (accepted, in doubt). */
  private CompletionStage<Optional<Frame>> frame(String json) {
    JsonNode event = Json.parse(json).node();
    if (event == null) return CompletableFuture.completedFuture(Optional.empty());
    event = event.path("event");
    String executionType = switch (event.path("eventType").asText()) {
      case "OrderAcknowledged" -> "NEW";
      case "OrderFilled" -> "TRADE";
      case "OrderCanceled" -> "CANCELED";
      case "OrderRejected" -> "REJECTED";
      case "OrderExpired" -> "EXPIRED";
      default -> null;
    };
    if (executionType == null) return CompletableFuture.completedFuture(Optional.empty());
    String strategy = event.path("strategy").isTextual() ? event.path("strategy").asText() : null;
    String tradeId = event.path("fill").path("tradeId").asText(null);
    return orders.get(event.path("clientOrderId").asText(), Scope.ALL).thenApply(order -> order.map(o -> {
      Fill last = "TRADE".equals(executionType) ? fill(o, tradeId) : null;
      return new Frame(strategy, BinanceOrders.executionReport(asOf(history.view(o), executionType, last), executionType, last, clock.millis()));
    })).exceptionally(e -> {
      log.warn("event=binance_front_stream_report_failed error=\"{}\"", e.toString());
      return Optional.empty();
    });
  }

  /**
   * The order as it was at the event, not as read now (it may have moved on): NEW has no fills
   * yet, a TRADE the fills up to its own; a final event shows the final order.
   */
  private static BinanceOrders.View asOf(BinanceOrders.View now, String executionType, Fill last) {
    if (!"NEW".equals(executionType) && !("TRADE".equals(executionType) && last != null)) return now;
    List<Fill> fills = "NEW".equals(executionType) ? List.of() : now.fills().subList(0, now.fills().indexOf(last) + 1);
    BinanceOrders.View v = new BinanceOrders.View(now.symbol(), now.orderId(), now.clientOrderId(), now.price(), now.origQty(), null,
        now.timeInForce(), now.type(), now.side(), now.time(), "NEW".equals(executionType) ? now.time() : last.time().toEpochMilli(), fills);
    String status = fills.isEmpty() ? "NEW" : v.executedQty().compareTo(now.origQty()) >= 0 ? "FILLED" : "PARTIALLY_FILLED";
    return new BinanceOrders.View(v.symbol(), v.orderId(), v.clientOrderId(), v.price(), v.origQty(), status, v.timeInForce(), v.type(), v.side(),
        v.time(), v.updateTime(), fills);
  }

  private static Fill fill(Order o, String tradeId) {
    for (Fill f : o.fills()) if (f.tradeId().equals(tradeId)) return f;
    return o.fills().isEmpty() ? null : o.fills().get(o.fills().size() - 1);
  }

  private void deliver(Frame f) {
    long now = clock.millis();
    for (Stream s : byListenKey.values()) {
      if (!s.live(now) || s.connections.isEmpty() || !s.principal.sees(f.strategy())) continue;
      TextMessage m = TextMessage.create(f.json());
      for (BoundedSourceQueue<Message> c : s.connections) {
        if (c.offer(m) != QueueOfferResult.enqueued()) {
          // too far behind (or gone): close it rather than hold the others back or grow
          log.info("event=binance_front_stream_closed key={} reason=slow_consumer buffer={}", s.owner, settings.buffer());
          c.complete();
        }
      }
    }
  }
}
