package io.sparkexec.venue.sim;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listen keys and the user-data WebSocket connections. The simulator has one account, so every
 * connection hears every execution report. Publishing only offers to each connection's bounded
 * queue: a connection that falls this far behind is closed (its client reconnects and polls)
 * instead of the simulator buffering without bound or waiting for it.
 */
final class UserDataStreams {

  private static final Logger log = LoggerFactory.getLogger(UserDataStreams.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ActorSystem<?> system;
  private final Duration ttl;
  private final int buffer;
  private final Map<String, Long> expiryByListenKey = new ConcurrentHashMap<>();
  private final Set<BoundedSourceQueue<Message>> connections = ConcurrentHashMap.newKeySet();

  UserDataStreams(ActorSystem<?> system, Duration ttl, int buffer) {
    this.system = system;
    this.ttl = ttl;
    this.buffer = buffer;
  }

  /**
   * As on Binance, the account has one listen key: while it lives it is answered again (and
   * extended), so no client can grow the key table by asking; only once it expired or was
   * closed is a new one made.
   */
  synchronized String newListenKey(long nowMillis) {
    for (Map.Entry<String, Long> live : expiryByListenKey.entrySet()) {
      if (live.getValue() > nowMillis) {
        live.setValue(nowMillis + ttl.toMillis());
        return live.getKey();
      }
    }
    expiryByListenKey.clear();
    byte[] bytes = new byte[30];
    RANDOM.nextBytes(bytes);
    String key = HexFormat.of().formatHex(bytes);
    expiryByListenKey.put(key, nowMillis + ttl.toMillis());
    return key;
  }

  /** Extends a live key; false when it is unknown or expired. */
  boolean keepAlive(String listenKey, long nowMillis) {
    if (!isLive(listenKey, nowMillis)) return false;
    expiryByListenKey.put(listenKey, nowMillis + ttl.toMillis());
    return true;
  }

  /** Forgets the key: no new connection with it (open ones stay until they close). */
  boolean close(String listenKey) {
    return expiryByListenKey.remove(listenKey) != null;
  }

  boolean isLive(String listenKey, long nowMillis) {
    Long expiry = expiryByListenKey.get(listenKey);
    if (expiry != null && expiry <= nowMillis) expiryByListenKey.remove(listenKey);
    return expiry != null && expiry > nowMillis;
  }

  int connectionCount() {
    return connections.size();
  }

  /** A new connection: what the client sends is ignored, it hears every frame published from now on. */
  Flow<Message, Message, NotUsed> connect(String listenKey) {
    Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> queued = Source.<Message>queue(buffer).preMaterialize(system);
    BoundedSourceQueue<Message> queue = queued.first();
    connections.add(queue);
    log.info("event=venue_sim_user_stream_opened listenKey={} connections={}", abbreviated(listenKey), connections.size());
    Source<Message, NotUsed> frames = queued.second().watchTermination((notUsed, done) -> {
      done.whenComplete((ok, error) -> {
        connections.remove(queue);
        log.info("event=venue_sim_user_stream_closed listenKey={} connections={}", abbreviated(listenKey), connections.size());
      });
      return NotUsed.getInstance();
    });
    return Flow.fromSinkAndSourceCoupled(Sink.ignore(), frames);
  }

  void publish(String frame) {
    for (BoundedSourceQueue<Message> queue : connections) {
      QueueOfferResult result = queue.offer(TextMessage.create(frame));
      if (result == QueueOfferResult.dropped()) {
        connections.remove(queue);
        queue.fail(new IllegalStateException("user-data client too slow: " + buffer + " frames behind"));
        log.warn("event=venue_sim_user_stream_dropped reason=slow_client buffer={}", buffer);
      }
    }
  }

  private static String abbreviated(String listenKey) {
    return listenKey.substring(0, Math.min(8, listenKey.length()));
  }
}
