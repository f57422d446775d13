package io.sparkexec.feed;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * One client of the feed. Publishers (the hub, the orders reader) never wait for it: they put
 * JSON into its outbox from any thread, and the outbox stage hands messages to Pekko as the
 * socket drains. Memory per connection is bounded: at most {@code buffer} queued messages
 * (control replies, orders, system events; one more closes the connection with the resume code)
 * plus one latest tick per market symbol (a newer tick replaces an unread one). An orders
 * catch-up ({@code from=}) fills at most half the queue and waits for the rest to drain, so a
 * resume goes at the client's pace and leaves room for what arrives live.
 */
final class FeedConnection implements TrafficStats, Watchdog.CloseListener, OrderFanout.Subscriber {

  private static final CompletableFuture<Done> ROOM = CompletableFuture.completedFuture(Done.getInstance());

  record Status(long id, String principal, List<String> channels, String compression, String state,
      long messagesSent, long bytesRaw, long bytesWire, double ratio, int buffered, int bufferHighWater, int bufferLimit,
      long ticksConflated, long drops, Instant connectedAt, Integer closeCode, String closeReason) {}

  private final long id;
  private final String principal;
  private final Predicate<String> seesStrategy;
  private final Optional<PermessageDeflate.Agreement> compression;
  private final Instant connectedAt;
  private final FeedHub hub;
  private final int bufferLimit;
  private final int catchUpLimit;
  private final long maxClientMessageChars;
  private final Closer closer = new Closer();

  private volatile Set<Channel> channels;
  private final long initialFrom;
  private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger depth = new AtomicInteger();
  private final AtomicInteger highWater = new AtomicInteger();
  private final Map<String, String> latestTicks = new ConcurrentHashMap<>();
  private final AtomicLong conflated = new AtomicLong();
  private final AtomicLong drops = new AtomicLong();
  private final AtomicLong messagesSent = new AtomicLong();
  private final AtomicLong bytesRaw = new AtomicLong();
  private final AtomicLong bytesWire = new AtomicLong();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private volatile Runnable waker;
  private volatile boolean closing;
  private volatile int peerCloseCode;
  private volatile int sentCloseCode;
  private final AtomicReference<CompletableFuture<Done>> roomWaiter = new AtomicReference<>();
  private OrderFanout.Subscription orders;

  /** {@code seesStrategy}: whether the principal may see a strategy's order events (the strategy may be null). */
  FeedConnection(long id, String principal, Predicate<String> seesStrategy, Optional<PermessageDeflate.Agreement> compression,
      Set<Channel> channels, long from, FeedHub hub, FeedSettings settings, Instant now) {
    this.id = id;
    this.principal = principal;
    this.seesStrategy = seesStrategy;
    this.compression = compression;
    this.channels = Set.copyOf(channels);
    this.initialFrom = from;
    this.hub = hub;
    this.bufferLimit = settings.buffer();
    this.catchUpLimit = Math.max(1, bufferLimit / 2);
    this.maxClientMessageChars = settings.maxInflatedBytes();
    this.connectedAt = now;
  }
  /** The name of the key that opened it (the per-key connection bound counts by it). */
  String principal() {
    return principal;
  }


  long id() {
    return id;
  }

  Closer closer() {
    return closer;
  }

  boolean compressed() {
    return compression.isPresent();
  }

  boolean subscribed(Channel c) {
    return channels.contains(c);
  }

  /** The application side of the WebSocket: client commands in, the outbox out; either ending ends both. */
  Flow<Message, Message, NotUsed> flow() {
    Sink<Message, NotUsed> commands = Flow.<Message>create()
        .flatMapConcat(this::collect)
        .to(Sink.foreach(this::onClientMessage));
    return Flow.fromSinkAndSourceCoupled(commands, Source.fromGraph(new Outbox()));
  }

  // ---------------------------------------------------------------- publishing (any thread)

  /** Queues one message; false (and the connection closing with the resume code) when it is too far behind. */
  @Override
  public boolean offer(String json) {
    if (closing) return false;
    int d = depth.incrementAndGet();
    if (d > bufferLimit) {
      depth.decrementAndGet();
      drops.incrementAndGet();
      closing = true;
      stopOrders();
      closer.close(CloseReason.SLOW_CONSUMER_RESUME, "too far behind: reconnect with from=<last seq received>");
      return false;
    }
    highWater.accumulateAndGet(d, Math::max);
    queue.add(json);
    wake();
    return true;
  }

  /** Market ticks conflate: an unread tick of the same symbol is replaced, never queued behind. */
  void offerTick(String symbol, String json) {
    if (closing) return;
    if (latestTicks.put(symbol, json) != null) {
      conflated.incrementAndGet();
      hub.tickConflated();
    }
    wake();
  }

  @Override
  public boolean sees(String strategy) {
    return seesStrategy.test(strategy);
  }

  @Override
  public CompletableFuture<Done> room() {
    if (depth.get() < catchUpLimit) return ROOM;
    CompletableFuture<Done> waiter = new CompletableFuture<>();
    roomWaiter.set(waiter);
    // the outbox may have drained between the check and the set
    if (depth.get() < catchUpLimit && roomWaiter.compareAndSet(waiter, null)) waiter.complete(Done.getInstance());
    return waiter;
  }

  /** Called by the outbox as it takes a message: a waiting catch-up goes on once the queue is below half. */
  private void roomMade() {
    CompletableFuture<Done> waiter = roomWaiter.get();
    if (waiter != null && depth.get() < catchUpLimit && roomWaiter.compareAndSet(waiter, null)) waiter.complete(Done.getInstance());
  }

  @Override
  public void failed(Throwable error) {
    // else the client would stay subscribed to a stream that ended
    closer.close(CloseReason.ORDERS_FAILED, "order events failed: reconnect with from=<last seq received>");
  }

  private void wake() {
    Runnable w = waker;
    if (w != null && wakePending.compareAndSet(false, true)) w.run();
  }

  // ---------------------------------------------------------------- client commands

  /** A client message's text; empty for a binary one (drained, never kept). Text past the limit is not kept either. */
  private Source<Optional<String>, NotUsed> collect(Message m) {
    if (!m.isText()) {
      return m.asBinaryMessage().getStreamedData().fold(0L, (n, b) -> n + b.size())
          .map(n -> Optional.<String>empty())
          .mapMaterializedValue(x -> NotUsed.getInstance());
    }
    if (m.asTextMessage().isStrict()) return Source.single(Optional.of(m.asTextMessage().getStrictText()));
    return m.asTextMessage().getStreamedText()
        .fold(new StringBuilder(), this::appendBounded)
        .map(b -> Optional.of(b.toString()))
        .mapMaterializedValue(x -> NotUsed.getInstance());
  }

  /** Past the limit nothing more is kept, and the close goes out at once rather than at the message's end. */
  private StringBuilder appendBounded(StringBuilder b, String part) {
    if (b.length() > maxClientMessageChars) return b;
    b.append(part);
    if (b.length() > maxClientMessageChars) tooLong();
    return b;
  }

  private void tooLong() {
    closer.close(CloseReason.MESSAGE_TOO_BIG, "client message longer than " + maxClientMessageChars + " characters");
  }

  private void onClientMessage(Optional<String> text) {
    if (text.isEmpty()) {
      offer(error("TEXT_ONLY", "send JSON text messages", null));
      return;
    }
    if (text.get().length() > maxClientMessageChars) {
      tooLong();
      return;
    }
    Json.Parsed parsed = Json.parse(text.get());
    if (parsed.refusal() != null) {
      // the same rules and codes as an HTTP body; the socket stays open, as for any other bad command
      offer(error(parsed.refusal().code(), parsed.refusal().message(), parsed.refusal().field()));
      return;
    }
    JsonNode cmd = parsed.node();
    String op = cmd.path("op").asText("");
    if (!op.equals("subscribe") && !op.equals("unsubscribe")) {
      offer(error("UNKNOWN_OP", "op must be subscribe or unsubscribe", "op"));
      return;
    }
    Set<Channel> named = EnumSet.noneOf(Channel.class);
    for (JsonNode c : cmd.path("channels")) {
      Optional<Channel> ch = Channel.parse(c.asText());
      if (ch.isEmpty()) {
        offer(error("UNKNOWN_CHANNEL", "no channel " + c.asText() + "; channels are orders, market, system", "channels"));
        return;
      }
      named.add(ch.get());
    }
    if (named.isEmpty()) {
      offer(error("REQUIRED", "channels must list at least one channel", "channels"));
      return;
    }
    JsonNode from = cmd.path("from");
    if (!from.isMissingNode() && (!from.canConvertToLong() || from.asLong() < 0)) {
      offer(error("INVALID_VALUE", "from must be a non-negative seq", "from"));
      return;
    }
    Set<Channel> now = EnumSet.noneOf(Channel.class);
    now.addAll(channels);
    if (op.equals("subscribe")) {
      now.addAll(named);
      channels = Set.copyOf(now);
      // the reply first: a resume within the ring queues its events at once
      offer(control("subscribed", Map.of("channels", channelNames())));
      if (named.contains(Channel.ORDERS)) startOrders(from.isMissingNode() ? -1 : from.asLong());
    } else {
      now.removeAll(named);
      channels = Set.copyOf(now);
      if (named.contains(Channel.ORDERS)) stopOrders();
      if (named.contains(Channel.MARKET)) latestTicks.keySet().removeIf(key -> !key.startsWith(FeedHub.QUEUE_TICK_PREFIX));
      if (named.contains(Channel.QUEUE)) latestTicks.keySet().removeIf(key -> key.startsWith(FeedHub.QUEUE_TICK_PREFIX));
      offer(control("unsubscribed", Map.of("channels", channelNames())));
    }
  }

  private synchronized void startOrders(long after) {
    if (orders != null || closing) return;
    orders = hub.orders().subscribe(after, this);
  }

  private synchronized void stopOrders() {
    if (orders != null) orders.cancel();
    orders = null;
  }

  private List<String> channelNames() {
    List<String> names = new ArrayList<>();
    for (Channel c : Channel.values()) if (channels.contains(c)) names.add(c.wireName());
    return names;
  }

  private static String control(String type, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("channel", "control");
    m.put("type", type);
    m.putAll(fields);
    return new String(Json.bytes(m), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String error(String code, String message, String field) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("code", code);
    f.put("message", message);
    if (field != null) f.put("field", field);
    return control("error", f);
  }

  // ---------------------------------------------------------------- frame-layer reports

  @Override
  public void compressed(long rawBytes, long wireBytes) {
    bytesRaw.addAndGet(rawBytes);
    bytesWire.addAndGet(wireBytes);
    hub.compressed(rawBytes, wireBytes);
  }

  @Override
  public void plain(long bytes) {
    bytesRaw.addAndGet(bytes);
    bytesWire.addAndGet(bytes);
    hub.plain(bytes);
  }

  @Override
  public void peerClosed(int code) {
    if (peerCloseCode == 0 && sentCloseCode == 0) peerCloseCode = code;
  }

  @Override
  public void closeSent(int code) {
    if (sentCloseCode == 0) sentCloseCode = code;
  }

  /** The bounded label of spark_ws_disconnects_total: who ended the connection and why. */
  String disconnectReason() {
    Optional<Closer.Request> ours = closer.requested();
    if (ours.isPresent()) return ours.get().reason().label;
    if (peerCloseCode != 0) return "client_closed";
    return switch (sentCloseCode) {
      case 0 -> "connection_lost";
      case 1002 -> "protocol_error";
      case 1007 -> "invalid_data";
      default -> "server_error";
    };
  }

  private Integer closeCodeSeen() {
    if (peerCloseCode != 0) return peerCloseCode;
    return sentCloseCode != 0 ? Integer.valueOf(sentCloseCode) : null;
  }

  Status status(String state) {
    long raw = bytesRaw.get();
    long wire = bytesWire.get();
    Optional<Closer.Request> ours = closer.requested();
    Integer code = ours.map(r -> r.reason().code).orElse(closeCodeSeen());
    return new Status(id, principal, channelNames(), compression.map(PermessageDeflate.Agreement::responseHeader).orElse("none"),
        ours.isPresent() && state.equals("open") ? "closing" : state, messagesSent.get(), raw, wire,
        wire == 0 ? 1.0 : Math.round(100.0 * raw / wire) / 100.0, depth.get(), highWater.get(), bufferLimit,
        conflated.get(), drops.get(), connectedAt, code, ours.map(Closer.Request::detail).orElse(null));
  }

  /**
   * The source of what the client receives. It registers with the hub when it starts (so from
   * then on publishes reach it) and leaves when the connection ends, whoever ends it.
   */
  private final class Outbox extends GraphStage<SourceShape<Message>> {
    private final Outlet<Message> out = Outlet.create("FeedConnection.Outbox.out");
    private final SourceShape<Message> shape = SourceShape.of(out);

    @Override
    public SourceShape<Message> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new GraphStageLogic(shape) {
        // alternate between the queue and the latest ticks so neither starves the other
        private boolean ticksFirst;

        {
          setHandler(out, new AbstractOutHandler() {
            @Override
            public void onPull() {
              pushNext();
            }
          });
        }

        @Override
        public void preStart() {
          AsyncCallback<NotUsed> woken = createAsyncCallback(x -> {
            wakePending.set(false);
            pushNext();
          });
          waker = () -> woken.invoke(NotUsed.getInstance());
          Map<String, Object> welcome = new LinkedHashMap<>();
          welcome.put("connectionId", id);
          welcome.put("channels", channelNames());
          welcome.put("compression", compression.map(PermessageDeflate.Agreement::responseHeader).orElse("none"));
          welcome.put("bufferLimit", bufferLimit);
          offer(control("welcome", welcome));
          if (channels.contains(Channel.ORDERS)) startOrders(initialFrom);
          hub.register(FeedConnection.this);
        }

        private void pushNext() {
          if (!isAvailable(out) || closing) return;
          String next = ticksFirst ? nextTick() : null;
          if (next == null) {
            next = queue.poll();
            if (next != null) {
              depth.decrementAndGet();
              roomMade();
            }
          }
          if (next == null) next = nextTick();
          if (next == null) return;
          ticksFirst = !ticksFirst;
          messagesSent.incrementAndGet();
          push(out, TextMessage.create(next));
        }

        private String nextTick() {
          Iterator<String> symbols = latestTicks.keySet().iterator();
          while (symbols.hasNext()) {
            String tick = latestTicks.remove(symbols.next());
            if (tick != null) return tick;
          }
          return null;
        }

        @Override
        public void postStop() {
          closing = true;
          stopOrders();
          hub.unregister(FeedConnection.this);
        }
      };
    }
  }
}
