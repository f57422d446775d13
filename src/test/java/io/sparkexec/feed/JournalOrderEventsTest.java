package io.sparkexec.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.http.Json;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orders channel's reader on a real journal: each event rendered with its own strategy, and
 * the order index asked only for events that may predate events carrying it (null strategy, at or
 * below the first head this reader read) — those of orders with no strategy written since are not.
 */
class JournalOrderEventsTest {

  private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir
  static Path dir;
  static ActorSystem<Void> system;
  static ActorRef<Write> writer;

  /** Journals the events in one write, tagged as the desks tag them. */
  record Write(List<OrderDesk.Event> events, ActorRef<Done> replyTo) {}

  /** Writes order events as a desk would (same persistence id scheme, same tag), and nothing else. */
  static final class Writer extends EventSourcedBehavior<Write, OrderDesk.Event, Integer> {
    Writer() {
      super(PersistenceId.of(OrderDesk.ENTITY_KEY.name(), "TESTUSDT"));
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Write, OrderDesk.Event, Integer> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (s, w) -> Effect().persist(w.events()).thenRun(next -> w.replyTo().tell(Done.getInstance())))
          .build();
    }

    @Override
    public EventHandler<Integer, OrderDesk.Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((n, e) -> n + 1);
    }

    @Override
    public Set<String> tagsFor(OrderDesk.Event event) {
      return Set.of(OrderDesk.TAG);
    }
  }

  @BeforeAll
  static void start() {
    String d = dir.toString().replace("\\", "/");
    system = ActorSystem.create(Behaviors.empty(), "JournalOrderEventsTest", AppConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.loglevel = WARNING
        spark.journal.dir = "%s/journal"
        spark.journal.fsync = off
        pekko.persistence.snapshot-store.local.dir = "%s/snapshots"
        """.formatted(d, d))));
    writer = system.systemActorOf(Behaviors.setup(ctx -> new Writer()), "writer", Props.empty());
  }

  @AfterAll
  static void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static void write(OrderDesk.Event... events) throws Exception {
    AskPattern.<Write, Done>ask(writer, replyTo -> new Write(List.of(events), replyTo), TIMEOUT, system.scheduler())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static OrderDesk.OrderAccepted accepted(String id, String strategy) {
    return new OrderDesk.OrderAccepted(id, new OrderSpec("TESTUSDT", Side.BUY, OrderType.MARKET, TimeInForce.IOC, new BigDecimal("1"), null, strategy),
        new BigDecimal("100"), T, T);
  }

  static Venue.Fill fill(String tradeId) {
    return new Venue.Fill(tradeId, new BigDecimal("100"), new BigDecimal("1"), BigDecimal.ZERO, "USDT", T);
  }

  @Test
  void eventsCarryTheirStrategyAndOnlyThoseThatMayPredateItAskTheIndex() throws Exception {
    // as an earlier build journaled them: only OrderAccepted names the strategy
    write(accepted("old-1", "alpha"), new OrderDesk.OrderAcknowledged("old-1", null, "V-1", T, T), new OrderDesk.OrderFilled("old-1", null, fill("t1")));
    List<String> asked = new CopyOnWriteArrayList<>();
    JournalOrderEvents reader = new JournalOrderEvents(system, "spark.journal.query", id -> {
      asked.add(id);
      return id.equals("old-1") ? "alpha" : null;
    });
    // what the feed's reader does first: from here on the journal holds only what this process writes
    assertEquals(3L, reader.head().toCompletableFuture().get(30, TimeUnit.SECONDS));
    write(accepted("new-1", "beta"), new OrderDesk.OrderFilled("new-1", "beta", fill("t2")),
        accepted("none-1", null), new OrderDesk.OrderFilled("none-1", null, fill("t3")));

    List<OrderEventSource.Sequenced> events = reader.after(0).take(7).runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<String> strategies = new ArrayList<>();
    for (OrderEventSource.Sequenced e : events) strategies.add(e.strategy());
    assertEquals(Arrays.asList("alpha", "alpha", "alpha", "beta", "beta", null, null), strategies);
    assertEquals(List.of("old-1", "old-1"), asked, "the index is asked for the old events without a strategy, and for no other");

    JsonNode filled = Json.MAPPER.readTree(events.get(2).json());
    assertEquals("orders", filled.path("channel").asText());
    assertEquals(3, filled.path("seq").asLong());
    assertEquals("OrderFilled", filled.path("event").path("eventType").asText());
    assertEquals("alpha", filled.path("event").path("strategy").asText(), "the event as sent names the strategy the index gave");
    assertTrue(filled.path("event").path("fill").has("tradeId"), filled::toString);
    JsonNode none = Json.MAPPER.readTree(events.get(6).json()).path("event");
    assertTrue(none.has("strategy") && none.path("strategy").isNull(), none::toString);
  }
}
