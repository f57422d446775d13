package io.sparkexec.venue.sim;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.sparkexec.http.Json;
import io.sparkexec.journal.JournalStore;
import io.sparkexec.journal.StoredEvent;
import io.sparkexec.venue.SimulatedVenue;
import io.sparkexec.venue.Venue.Fill;
import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulator's durable memory: one append-only stream of what it created, changed and was
 * asked, in the project's group-commit LevelDB store (one fsync covers every record queued
 * meanwhile). Appends only enqueue, so callers holding a book's lock never wait on the disk;
 * the stage they get completes once the record is durable. Replayed once at start-up.
 */
final class SimLedger implements SimulatedVenue.OrderLog, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SimLedger.class);
  /** The one stream every record goes to (a persistence id in the store's terms). */
  static final String STREAM = "venue-sim";

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Created.class, name = "created"),
    @JsonSubTypes.Type(value = Changed.class, name = "changed"),
    @JsonSubTypes.Type(value = Attempted.class, name = "attempted")
  })
  sealed interface Entry {}

  record Created(VenueOrder order, VenueOrderReport report) implements Entry {}

  record Changed(VenueOrderReport report) implements Entry {}

  /** Place requests seen for these clientOrderIds (one per element of a batch). */
  record Attempted(List<String> clientOrderIds) implements Entry {}

  /** Hears every creation and change as it is recorded, and once more on replay: cheap, under the book's lock, never blocking. */
  interface View {
    void created(VenueOrder order, VenueOrderReport report);

    void changed(VenueOrderReport report);
  }

  private final JournalStore store;
  private final List<View> views;
  private final SimulatedVenue.Restored restored;
  private final Map<String, VenueOrder> placed = new ConcurrentHashMap<>();
  private final Map<String, Integer> submissions = new ConcurrentHashMap<>();
  private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
  private long sequenceNr;

  private SimLedger(JournalStore store, List<View> views) {
    this.store = store;
    this.views = List.copyOf(views);
    Map<String, SimulatedVenue.RestoredOrder> orders = new LinkedHashMap<>();
    long[] last = new long[2];
    store.replay(STREAM, 1, Long.MAX_VALUE, Long.MAX_VALUE, event -> {
      Entry entry = decode(event.payload());
      if (entry instanceof Created c) {
        orders.put(c.order().clientOrderId(), new SimulatedVenue.RestoredOrder(c.order(), c.report()));
        placed.put(c.order().clientOrderId(), c.order());
        submissions.merge(c.order().clientOrderId(), 1, Integer::sum);
        noteIds(c.report(), last);
        for (View v : this.views) v.created(c.order(), c.report());
      } else if (entry instanceof Changed c) {
        orders.computeIfPresent(c.report().clientOrderId(), (id, o) -> new SimulatedVenue.RestoredOrder(o.order(), c.report()));
        noteIds(c.report(), last);
        for (View v : this.views) v.changed(c.report());
      } else if (entry instanceof Attempted a) {
        for (String id : a.clientOrderIds()) attempts.merge(id, 1, Integer::sum);
      }
    });
    this.sequenceNr = store.highestSequenceNr(STREAM);
    this.restored = new SimulatedVenue.Restored(List.copyOf(orders.values()), last[0], last[1]);
  }

  /** Opens the store and replays it into {@code views}: blocking, so call it on the blocking dispatcher. */
  static SimLedger open(JournalStore.Settings settings, List<View> views) {
    try {
      JournalStore store = JournalStore.open(settings);
      try {
        return new SimLedger(store, views);
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void noteIds(VenueOrderReport report, long[] last) {
    last[0] = Math.max(last[0], Long.parseLong(report.venueOrderId()));
    for (Fill f : report.fills()) last[1] = Math.max(last[1], Long.parseLong(f.tradeId()));
  }

  SimulatedVenue.Restored restored() {
    return restored;
  }

  @Override
  public CompletableFuture<Void> created(VenueOrder order, VenueOrderReport report) {
    placed.put(order.clientOrderId(), order);
    submissions.merge(order.clientOrderId(), 1, Integer::sum);
    for (View v : views) v.created(order, report);
    return append(new Created(order, report));
  }

  @Override
  public CompletableFuture<Void> changed(VenueOrderReport report) {
    for (View v : views) v.changed(report);
    return append(new Changed(report));
  }

  /**
   * The venue forgot a final order: its terms and attempt count go too. Its creation count stays,
   * one small entry per order ever created: it is what refuses a forgotten id as a duplicate, so
   * a late resubmit can never create an order twice.
   */
  @Override
  public void forgotten(String clientOrderId) {
    placed.remove(clientOrderId);
    attempts.remove(clientOrderId);
  }

  /** Counts place attempts; recorded alongside the rest, nobody waits for it. */
  void attempted(List<String> clientOrderIds) {
    if (clientOrderIds.isEmpty()) return;
    for (String id : clientOrderIds) attempts.merge(id, 1, Integer::sum);
    append(new Attempted(clientOrderIds)).exceptionally(error -> {
      log.warn("event=venue_sim_attempts_not_recorded count={} error=\"{}\"", clientOrderIds.size(), error.toString());
      return null;
    });
  }

  /** What was placed under this clientOrderId, or null if it was never created. */
  VenueOrder placed(String clientOrderId) {
    return placed.get(clientOrderId);
  }

  boolean wasCreated(String clientOrderId) {
    return submissions.containsKey(clientOrderId);
  }

  Map<String, Integer> submissions() {
    return new TreeMap<>(submissions);
  }

  Map<String, Integer> attempts() {
    return new TreeMap<>(attempts);
  }

  private CompletableFuture<Void> append(Entry entry) {
    byte[] payload = Json.bytes(entry);
    // sequence numbers go to the writer's queue in the order they are taken
    synchronized (this) {
      long seq = ++sequenceNr;
      StoredEvent event = new StoredEvent(STREAM, seq, 0, "", "", "", System.currentTimeMillis(), payload);
      return store.append(List.of(new JournalStore.AtomicAppend(STREAM, List.of(JournalStore.NewEvent.of(event, Set.of())))));
    }
  }

  private static Entry decode(byte[] payload) {
    try {
      return Json.MAPPER.readValue(payload, Entry.class);
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable venue-sim ledger record", e);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
