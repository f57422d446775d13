package io.sparkexec.venue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.sparkexec.metrics.Metrics;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Execution reports from the venue's user-data stream: a listen key (POST), the WebSocket
 * {@code /ws/{listenKey}}, a keep-alive PUT, and reconnection with exponential backoff. While the
 * stream is down, the orders the link saw open are polled (open orders, then a query for each
 * one that left the list), so fills of resting orders still arrive; one poll round also follows
 * every (re)connect, which closes any gap the outage left in the pushed reports.
 */
final class UserDataStream {

  private static final Logger log = LoggerFactory.getLogger(UserDataStream.class);
  private static final Duration FRAME_READ_TIMEOUT = Duration.ofSeconds(5);

  record Settings(boolean enabled, Duration keepAliveInterval, Duration reconnectMin, Duration reconnectMax, Duration pollInterval) {
    static Settings fromConfig(Config c) {
      return new Settings(c.getBoolean("enabled"), c.getDuration("keep-alive-interval"), c.getDuration("reconnect-min"),
          c.getDuration("reconnect-max"), c.getDuration("poll-interval"));
    }
  }

  private final Settings settings;
  private final HttpVenue venue;
  private final ActorSystem<?> system;
  private final Materializer materializer;
  // what the poller last published per order (status and fill count), so unchanged orders are not sent again
  private final Map<String, String> lastPolled = new ConcurrentHashMap<>();
  private volatile boolean connected;
  private volatile boolean stopped;
  private volatile boolean polling;
  private volatile Duration backoff;
  private volatile CompletableFuture<Optional<Message>> closer;
  private volatile Cancellable keepAlive;
  private volatile Cancellable pollTimer;
  private volatile Cancellable reconnectTimer;

  UserDataStream(Settings settings, HttpVenue venue, ActorSystem<?> system) {
    this.settings = settings;
    this.venue = venue;
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.backoff = settings.reconnectMin();
  }

  void start() {
    startPolling();
    if (settings.enabled()) connect();
    else log.info("event=venue_user_stream_disabled pollIntervalMs={}", settings.pollInterval().toMillis());
  }

  void stop() {
    stopped = true;
    for (Cancellable t : new Cancellable[] {keepAlive, pollTimer, reconnectTimer}) if (t != null) t.cancel();
    CompletableFuture<Optional<Message>> c = closer;
    if (c != null) c.complete(Optional.empty());
  }

  boolean connected() {
    return connected;
  }

  /** Drops the connection as a network fault would (tests); the stream reconnects on its own. */
  void disconnect() {
    CompletableFuture<Optional<Message>> c = closer;
    if (c != null) c.complete(Optional.empty());
  }

  private void connect() {
    if (stopped) return;
    venue.userStreamCall(HttpMethods.POST, new LinkedHashMap<>()).whenComplete((answer, error) -> {
      if (error != null || !answer.ok()) {
        lost("listen key refused: " + (error != null ? HttpVenue.describe(error) : answer.status() + " " + BinanceWire.abbreviate(answer.body())));
        return;
      }
      String listenKey = answer.json().path("listenKey").asText();
      open(listenKey);
    });
  }

  private void open(String listenKey) {
    Flow<Message, Message, Pair<CompletionStage<Done>, CompletableFuture<Optional<Message>>>> flow =
        Flow.fromSinkAndSourceCoupledMat(Sink.<Message>foreach(this::onMessage), Source.<Message>maybe(), Keep.both());
    Pair<CompletionStage<org.apache.pekko.http.javadsl.model.ws.WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, CompletableFuture<Optional<Message>>>> ws =
        Http.get(system.classicSystem()).singleWebSocketRequest(WebSocketRequest.create(venue.webSocketUrl(listenKey)), flow, materializer);
    closer = ws.second().second();
    CompletionStage<Done> closed = ws.second().first();
    ws.first().whenComplete((upgrade, error) -> {
      if (error != null || upgrade.response().status().intValue() != 101) {
        closer.complete(Optional.empty());
        lost("upgrade failed: " + (error != null ? HttpVenue.describe(error) : String.valueOf(upgrade.response().status().intValue())));
        return;
      }
      connected = true;
      backoff = settings.reconnectMin();
      Metrics.VENUE_USER_STREAM_UP.withoutTags().update(1);
      log.info("event=venue_user_stream_connected");
      keepAlive = system.scheduler().scheduleWithFixedDelay(settings.keepAliveInterval(), settings.keepAliveInterval(),
          () -> keepAlive(listenKey), system.executionContext());
      // anything pushed while we were away is fetched once
      lastPolled.clear();
      poll();
      closed.whenComplete((done, failure) -> {
        Cancellable k = keepAlive;
        if (k != null) k.cancel();
        lost(failure != null ? HttpVenue.describe(failure) : "closed");
      });
    });
  }

  private void keepAlive(String listenKey) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("listenKey", listenKey);
    venue.userStreamCall(HttpMethods.PUT, params).whenComplete((answer, error) -> {
      if (error == null && answer.ok()) return;
      log.warn("event=venue_user_stream_keepalive_failed error=\"{}\" action=reconnect",
          error != null ? HttpVenue.describe(error) : answer.status() + " " + BinanceWire.abbreviate(answer.body()));
      disconnect();
    });
  }

  private void onMessage(Message message) {
    if (!message.isText()) return;
    message.asTextMessage().toStrict(FRAME_READ_TIMEOUT.toMillis(), materializer).thenAccept(text -> {
      try {
        JsonNode n = BinanceWire.parse(text.getStrictText());
        if ("executionReport".equals(n.path("e").asText())) venue.publish(BinanceWire.executionReport(n));
      } catch (RuntimeException e) {
        log.warn("event=venue_user_stream_bad_frame error=\"{}\"", e.getMessage());
      }
    });
  }

  private synchronized void lost(String why) {
    boolean wasConnected = connected;
    connected = false;
    Metrics.VENUE_USER_STREAM_UP.withoutTags().update(0);
    if (stopped) return;
    Metrics.VENUE_USER_STREAM_RECONNECTS.withoutTags().increment();
    Duration wait = backoff;
    backoff = backoff.multipliedBy(2).compareTo(settings.reconnectMax()) > 0 ? settings.reconnectMax() : backoff.multipliedBy(2);
    log.warn("event=venue_user_stream_down wasConnected={} reason=\"{}\" reconnectInMs={} polling=true", wasConnected, why, wait.toMillis());
    startPolling();
    reconnectTimer = system.scheduler().scheduleOnce(wait, this::connect, system.executionContext());
  }

  // ---- polling while the stream is down ----

  private synchronized void startPolling() {
    if (polling || stopped) return;
    polling = true;
    schedulePoll();
  }

  private void schedulePoll() {
    pollTimer = system.scheduler().scheduleOnce(settings.pollInterval(), () -> {
      if (stopped || (connected && settings.enabled())) {
        polling = false;
        return;
      }
      poll().whenComplete((v, e) -> schedulePoll());
    }, system.executionContext());
  }

  /** One round: the open orders, then a query for each order in flight that is no longer open. */
  private CompletionStage<Void> poll() {
    Map<String, String> inFlight = venue.inFlight();
    lastPolled.keySet().retainAll(inFlight.keySet());
    if (inFlight.isEmpty()) return CompletableFuture.completedFuture(null);
    return venue.openOrders().thenCompose(open -> {
      Set<String> stillOpen = new HashSet<>();
      for (Venue.VenueOrderReport report : open) {
        if (!inFlight.containsKey(report.clientOrderId())) continue;
        stillOpen.add(report.clientOrderId());
        publishIfChanged(report);
      }
      CompletableFuture<?>[] queries = inFlight.entrySet().stream()
          .filter(e -> !stillOpen.contains(e.getKey()))
          .map(e -> venue.query(e.getValue(), e.getKey()).thenAccept(found -> {
            if (found.isPresent()) publishIfChanged(found.get());
            else venue.forget(e.getKey());
          }).toCompletableFuture())
          .toArray(CompletableFuture[]::new);
      return CompletableFuture.allOf(queries);
    }).whenComplete((v, e) -> {
      if (e != null) log.warn("event=venue_poll_failed error=\"{}\"", HttpVenue.describe(e));
    });
  }

  private void publishIfChanged(Venue.VenueOrderReport report) {
    String seen = report.status() + ":" + report.fills().size();
    if (report.status().isFinal()) lastPolled.remove(report.clientOrderId());
    else if (seen.equals(lastPolled.put(report.clientOrderId(), seen))) return;
    venue.publish(report);
  }
}
