package io.sparkexec.feed;

import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.MarketData;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.AbruptStageTerminationException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feed's hub: the open connections, the fan-out of market ticks and system events to them,
 * the orders channel's one reader ({@link OrderFanout}), the totals behind the status endpoint
 * and the metrics. Publishing never blocks: each connection buffers (bounded) or conflates on its own.
 */
public final class FeedHub {

  private static final Logger log = LoggerFactory.getLogger(FeedHub.class);

  /** One market tick as clients receive it. */
  record MarketTick(String channel, String symbol, BigDecimal bid, BigDecimal ask, Instant time) {}

  public record Totals(long connectionsOpened, long messagesSent, long bytesRaw, long bytesWire, double ratio,
      long compressedFrames, long ticksConflated, long slowConsumerCloses) {}

  public record Status(int connections, int compressedConnections, Totals totals, OrderFanout.Status orders, Map<String, Object> settings,
      List<FeedConnection.Status> perConnection, List<FeedConnection.Status> recentlyClosed) {}

  /** Queue stats share the per-connection latest-tick slots with market ticks, under this key prefix. */
  static final String QUEUE_TICK_PREFIX = "queue:";

  private final FeedSettings settings;
  private volatile Consumer<String> closeListener = reason -> {};
  private final OrderFanout orders;
  private final Materializer materializer;
  private final WebSocketShim shim;
  private final Clock clock;
  private final Map<Long, FeedConnection> connections = new ConcurrentHashMap<>();
  // open connections by key name, for the per-key bound
  private final Map<String, Integer> perKey = new ConcurrentHashMap<>();
  private final Deque<FeedConnection.Status> recentlyClosed = new ArrayDeque<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong rawBytes = new AtomicLong();
  private final AtomicLong wireBytes = new AtomicLong();
  private final AtomicLong compressedRaw = new AtomicLong();
  private final AtomicLong compressedWire = new AtomicLong();
  private final AtomicLong savedReported = new AtomicLong();
  private final AtomicLong compressedFrames = new AtomicLong();
  private final AtomicLong ticksConflated = new AtomicLong();
  private final AtomicLong slowConsumerCloses = new AtomicLong();
  private final AtomicLong messagesSentByClosed = new AtomicLong();
  private final CompletableFuture<Done> allGone = new CompletableFuture<>();
  private volatile boolean shuttingDown;
  private final ActorSystem<?> system;
  private Cancellable flapTimer;
  private Duration flapPeriod = Duration.ZERO;

  private FeedHub(ActorSystem<?> system, FeedSettings settings, OrderEventSource orderEvents, Clock clock) {
    this.system = system;
    this.settings = settings;
    this.materializer = Materializer.matFromSystem(system);
    this.orders = new OrderFanout(materializer, orderEvents, settings.ordersRing());
    this.shim = new WebSocketShim(system, settings.closeTimeout(), settings.maxInflatedBytes());
    this.clock = clock;
  }

  /**
   * Starts the hub: {@code market} feeds the market channel (see {@link #polling}), and open
   * connections are told to go away (1001) when the system shuts down.
   */
  public static FeedHub start(ActorSystem<?> system, FeedSettings settings, Source<MarketData.Quote, ?> market,
      OrderEventSource orderEvents, Clock clock) {
    FeedHub hub = new FeedHub(system, settings, orderEvents, clock);
    market.runWith(Sink.foreach(hub::publishMarket), hub.materializer).whenComplete((done, error) -> {
      // the materializer stopping at shutdown ends the source too: not a failure worth an error
      if (error != null && !(error instanceof AbruptStageTerminationException)) log.error("event=ws_market_source_failed error=\"{}\"", error.toString());
    });
    CoordinatedShutdown.get(system.classicSystem()).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "ws-feed-going-away",
        hub::goAway);
    return hub;
  }

  /**
   * Tells every client the server is going away (1001) and waits, at most the close timeout,
   * for the close handshakes, so clients see why rather than a dropped connection.
   */
  private CompletionStage<Done> goAway() {
    shuttingDown = true;
    connections.values().forEach(c -> c.closer().close(CloseReason.SERVER_SHUTDOWN, "server shutting down"));
    if (connections.isEmpty()) allGone.complete(Done.getInstance());
    return allGone.completeOnTimeout(Done.getInstance(), settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The chaos hook: while {@code period} is above zero, every connection is dropped on that
   * period with {@link CloseReason#CHAOS_FLAP}, so clients prove they resume from their last seq.
   */
  public synchronized void setFlapPeriod(Duration period) {
    // other chaos settings change too: an unchanged period keeps its rhythm
    if (period.equals(flapPeriod)) return;
    flapPeriod = period;
    if (flapTimer != null) flapTimer.cancel();
    flapTimer = null;
    if (period.isZero() || period.isNegative()) {
      log.info("event=ws_flap_off");
      return;
    }
    flapTimer = system.scheduler().scheduleAtFixedRate(period, period, this::flap, system.executionContext());
    log.info("event=ws_flap_on periodMs={}", period.toMillis());
  }

  private void flap() {
    if (shuttingDown || connections.isEmpty()) return;
    Metrics.CHAOS_WS_FLAPS.withoutTags().increment();
    log.info("event=ws_flap connections={}", connections.size());
    connections.values().forEach(c -> c.closer().close(CloseReason.CHAOS_FLAP, "chaos flap: reconnect with from=<last seq received>"));
  }

  /** Polls the market data every {@code interval} and emits the quotes that changed since the last poll. */
  public static Source<MarketData.Quote, NotUsed> polling(MarketData marketData, Collection<String> symbols, Duration interval) {
    List<String> ordered = List.copyOf(symbols);
    return Source.tick(interval, interval, NotUsed.getInstance())
        .statefulMapConcat(() -> {
          Map<String, MarketData.Quote> last = new HashMap<>();
          return tick -> {
            List<MarketData.Quote> changed = new ArrayList<>();
            for (String s : ordered) {
              MarketData.Quote q = marketData.quote(s);
              if (q != null && !q.equals(last.put(s, q))) changed.add(q);
            }
            return changed;
          };
        })
        .mapMaterializedValue(c -> NotUsed.getInstance());
  }

  // ---------------------------------------------------------------- publishing

  /** Fans one tick out to the market subscribers; it is encoded once for all of them. */
  public void publishMarket(MarketData.Quote q) {
    String json = new String(Json.bytes(new MarketTick("market", q.symbol(), q.bid(), q.ask(), q.time())), StandardCharsets.UTF_8);
    for (FeedConnection c : connections.values()) if (c.subscribed(Channel.MARKET)) c.offerTick(q.symbol(), json);
  }

  /**
   * The queue channel's hook: polls a queue's stats every {@code interval} and publishes them when
   * they change, conflated like market ticks (a slow client gets the newest stats, not a backlog).
   */
  public void pollQueue(String queue, Supplier<CompletionStage<Map<String, Object>>> stats, Duration interval) {
    Source.tick(interval, interval, NotUsed.getInstance())
        .mapAsync(1, tick -> stats.get().exceptionally(error -> Map.of()))
        .filter(s -> !s.isEmpty())
        .statefulMapConcat(() -> {
          java.util.concurrent.atomic.AtomicReference<Map<String, Object>> last = new java.util.concurrent.atomic.AtomicReference<>();
          return s -> s.equals(last.getAndSet(s)) ? List.<Map<String, Object>>of() : List.of(s);
        })
        .runWith(Sink.foreach(s -> publishQueue(queue, s)), materializer);
  }

  void publishQueue(String queue, Map<String, Object> stats) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("channel", "queue");
    m.put("queue", queue);
    m.putAll(stats);
    String json = new String(Json.bytes(m), StandardCharsets.UTF_8);
    for (FeedConnection c : connections.values()) if (c.subscribed(Channel.QUEUE)) c.offerTick(QUEUE_TICK_PREFIX + queue, json);
  }

  /**
   * The system channel's hook: trading state, chaos, SLO alerts and the like publish here.
   * {@code fields} must not use the keys {@code channel} or {@code type}; a {@code strategy} field scopes the event.
   */
  public void publishSystem(String type, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("channel", "system");
    m.put("type", type);
    m.putAll(fields);
    String json = new String(Json.bytes(m), StandardCharsets.UTF_8);
    // an event about one strategy (a dead-man firing, its SLO alert) reaches only keys that see that strategy
    String strategy = fields.get("strategy") instanceof String s ? s : null;
    for (FeedConnection c : connections.values()) {
      if (c.subscribed(Channel.SYSTEM) && (strategy == null || c.sees(strategy))) c.offer(json);
    }
  }

  OrderFanout orders() {
    return orders;
  }

  /**
   * A reader outside the feed (the Binance front door's user-data streams) on the orders
   * channel's one reader, live events from now: {@code listener} hears each event's channel
   * message, on the reader's thread, and must not block. Run the returned handle to stop.
   */
  public Runnable onOrderEvent(Consumer<String> listener) {
    OrderFanout.Subscription s = orders.subscribe(-1, new OrderFanout.Subscriber() {
      @Override
      public boolean sees(String strategy) {
        return true;
      }

      @Override
      public boolean offer(String json) {
        listener.accept(json);
        return true;
      }

      @Override
      public CompletableFuture<Done> room() {
        return CompletableFuture.completedFuture(Done.getInstance());
      }

      @Override
      public void failed(Throwable error) {
        log.warn("event=ws_orders_listener_failed error=\"{}\"", error.toString());
      }
    });
    return s::cancel;
  }

  // ---------------------------------------------------------------- connections

  boolean full() {
    return connections.size() >= settings.maxConnections();
  }

  /** The key holds its share of the feed's connections (one key cannot take all of them). */
  boolean fullFor(Auth.Principal principal) {
    return perKey.getOrDefault(principal.name(), 0) >= settings.maxConnectionsPerKey();
  }

  /** Answers the upgrade: permessage-deflate when offered and enabled, plain frames otherwise. Empty when not an upgrade. */
  Optional<HttpResponse> accept(HttpRequest request, Auth.Principal principal, Set<Channel> channels, long from) {
    Optional<PermessageDeflate.Agreement> agreed = settings.compress() ? PermessageDeflate.negotiate(extensionOffers(request)) : Optional.empty();
    FeedConnection c = new FeedConnection(ids.incrementAndGet(), principal.name(), principal::sees, agreed, channels, from, this,
        settings, clock.instant());
    BidiFlow<WsFrame, WsFrame, WsFrame, WsFrame, NotUsed> layers = BidiFlow.fromGraph(
        new Watchdog(settings.pingInterval(), settings.pongTimeout(), c.closer(), agreed.isPresent() ? TrafficStats.NONE : c, c));
    if (agreed.isPresent()) {
      layers = layers.atop(PermessageDeflate.codec(agreed.get(), new PermessageDeflate.Limits(settings.deflateLevel(), settings.maxInflatedBytes()),
          c.closer(), c));
    }
    return shim.upgrade(request, layers, c.flow(), c.closer(), agreed.map(PermessageDeflate.Agreement::responseHeader));
  }

  /** Admin keys and keys bound to no strategy see every order event; a bound key only its strategies' (as in the order API). */

  private static List<String> extensionOffers(HttpRequest request) {
    List<String> offers = new ArrayList<>();
    for (HttpHeader h : request.getHeaders()) if (h.is("sec-websocket-extensions")) offers.add(h.value());
    return offers;
  }

  void register(FeedConnection c) {
    connections.put(c.id(), c);
    perKey.merge(c.principal(), 1, Integer::sum);
    Metrics.WS_CONNECTIONS.withoutTags().update(connections.size());
    log.info("event=ws_connected id={} compression={}", c.id(), c.compressed());
  }

  /** Who hears each connection's end, by reason label: the WebSocket availability SLO. */
  public void onClosed(Consumer<String> listener) {
    this.closeListener = listener;
  }

  void unregister(FeedConnection c) {
    if (connections.remove(c.id()) == null) return;
    perKey.computeIfPresent(c.principal(), (k, n) -> n > 1 ? n - 1 : null);
    Metrics.WS_CONNECTIONS.withoutTags().update(connections.size());
    String reason = c.disconnectReason();
    Metrics.WS_DISCONNECTS.withTag("reason", reason).increment();
    if (reason.equals(CloseReason.SLOW_CONSUMER_RESUME.label)) slowConsumerCloses.incrementAndGet();
    closeListener.accept(reason);
    FeedConnection.Status last = c.status("closed");
    messagesSentByClosed.addAndGet(last.messagesSent());
    synchronized (recentlyClosed) {
      recentlyClosed.addFirst(last);
      while (recentlyClosed.size() > settings.recentlyClosed()) recentlyClosed.removeLast();
    }
    log.info("event=ws_disconnected id={} reason={} messagesSent={} bytesRaw={} bytesWire={}", c.id(), reason, last.messagesSent(),
        last.bytesRaw(), last.bytesWire());
    if (shuttingDown && connections.isEmpty()) allGone.complete(Done.getInstance());
  }

  // ---------------------------------------------------------------- accounting (frame layers, any thread)

  void compressed(long raw, long wire) {
    rawBytes.addAndGet(raw);
    wireBytes.addAndGet(wire);
    long r = compressedRaw.addAndGet(raw);
    long w = compressedWire.addAndGet(wire);
    compressedFrames.incrementAndGet();
    Metrics.WS_COMPRESSED_FRAMES.withoutTags().increment();
    Metrics.WS_COMPRESSION_RATIO.withoutTags().update((double) r / w);
    // tiny frames can grow a little; the counter follows the net saving, which only ever climbs in practice
    long saved = r - w;
    long before = savedReported.get();
    if (saved > before && savedReported.compareAndSet(before, saved)) Metrics.WS_BANDWIDTH_SAVED.withoutTags().increment(saved - before);
  }

  void plain(long bytes) {
    rawBytes.addAndGet(bytes);
    wireBytes.addAndGet(bytes);
  }

  void tickConflated() {
    ticksConflated.incrementAndGet();
    Metrics.WS_TICKS_CONFLATED.withoutTags().increment();
  }

  public Status status() {
    List<FeedConnection.Status> open = connections.values().stream().map(c -> c.status("open"))
        .sorted(Comparator.comparingLong(FeedConnection.Status::id)).toList();
    List<FeedConnection.Status> closed;
    synchronized (recentlyClosed) {
      closed = List.copyOf(recentlyClosed);
    }
    long raw = rawBytes.get();
    long wire = wireBytes.get();
    long sent = messagesSentByClosed.get() + open.stream().mapToLong(FeedConnection.Status::messagesSent).sum();
    Totals totals = new Totals(ids.get(), sent, raw, wire, wire == 0 ? 1.0 : Math.round(100.0 * raw / wire) / 100.0,
        compressedFrames.get(), ticksConflated.get(), slowConsumerCloses.get());
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("compress", settings.compress());
    s.put("deflateLevel", settings.deflateLevel());
    s.put("pingSec", settings.pingInterval().toSeconds());
    s.put("pongTimeoutSec", settings.pongTimeout().toSeconds());
    s.put("buffer", settings.buffer());
    s.put("maxInflatedBytes", settings.maxInflatedBytes());
    s.put("maxConnections", settings.maxConnections());
    s.put("ordersRing", settings.ordersRing());
    return new Status(open.size(), (int) connections.values().stream().filter(FeedConnection::compressed).count(), totals, orders.status(), s,
        open, closed);
  }
}
