package io.sparkexec.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.order.Order;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.order.OrderIndex;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code migrate-journal --orders --from DIR --to DIR}: upgrades a group-commit journal written
 * by the per-order entities ({@code Order|<clientOrderId>}, events {@code OrderEntity$...}) to the
 * order desks' schema ({@code OrderDesk|<symbol>}, events {@code OrderDesk$...} carrying their
 * clientOrderId), into a new directory, and fills the new journal's {@link OrderIndex}.
 *
 * <ul>
 *   <li>Every other persistence id is copied byte for byte (events, highest sequence nr), and
 *       every tag entry that points at one keeps its tag and offset.
 *   <li>The {@code order} tag is walked in offset order; each old order event is decoded as a
 *       Jackson tree by its manifest (no legacy class), mapped onto the desk event, appended to
 *       the desk of the order's symbol (from its OrderAccepted), with the order's strategy on every event as the
 *       desk writes them, and written into the tag at the
 *       <b>same offset</b>: the order of facts and every stored offset (risk ledger, shadow twins,
 *       feed clients) stay valid. Each desk's events get sequence nrs 1.. in tag order, the old
 *       timestamps, and one writer uuid for the whole run (Pekko's replay filter would drop the
 *       events of an old writer that reappears after another one).
 *   <li>The orders are folded with {@link Order#apply} as they go: only open orders are held; an
 *       order that becomes final goes to the index and is dropped (a late event reads it back).
 *       At the end the still-open orders are indexed too; their desks recover them as open.
 * </ul>
 *
 * <p>The source is only read. A failed run leaves a partial target: delete it (and its index) and
 * run again. Old order events that are not in the {@code order} tag fail the run (none should be).
 */
public final class OrderJournalMigration {

  private static final Logger log = LoggerFactory.getLogger(OrderJournalMigration.class);
  /** Persistence ids of the per-order entities (entity type "Order"). */
  static final String LEGACY_PREFIX = "Order|";
  private static final String LEGACY_MANIFEST_PREFIX = "io.sparkexec.order.OrderEntity$";
  private static final String DESK_PREFIX = OrderDesk.ENTITY_KEY.name() + "|";
  private static final int OPS_PER_BATCH = 1000;
  public static final long DEFAULT_PROGRESS_EVERY = 10_000;

  /** The old event's simple class name -> the desk event it becomes. */
  private static final Map<String, Class<? extends OrderDesk.Event>> DESK_EVENTS = Map.of(
      "OrderAccepted", OrderDesk.OrderAccepted.class,
      "OrderInDoubt", OrderDesk.OrderInDoubt.class,
      "OrderAcknowledged", OrderDesk.OrderAcknowledged.class,
      "OrderFilled", OrderDesk.OrderFilled.class,
      "OrderCanceled", OrderDesk.OrderCanceled.class,
      "OrderRejected", OrderDesk.OrderRejected.class,
      "OrderExpired", OrderDesk.OrderExpired.class);
  private static final List<String> SPEC_FIELDS = List.of("symbol", "side", "type", "timeInForce", "quantity", "price", "strategy");

  /**
   * @param orderEvents old order events rewritten as desk events
   * @param orders distinct old orders; {@code openOrders} of them not final
   * @param copiedEvents events of other persistence ids, copied as they were
   */
  public record Result(long orderEvents, long orders, long openOrders, Map<String, Long> desks, long copiedEvents, long copiedPersistenceIds,
      long tagEntries, long indexed) {}

  private OrderJournalMigration() {}

  /** The index directory the new journal will use by default ({@code spark.orders.index-dir = ${spark.journal.dir}"-index"}). */
  public static File defaultIndexDir(File to) {
    return new File(to.getPath() + "-index");
  }

  public static Result run(File from, File to, File indexDir, long progressEvery) throws IOException {
    if (!new File(from, "CURRENT").isFile()) throw new IOException("no LevelDB journal in " + from.getAbsolutePath());
    log.info("event=journal_migration_started kind=orders from={} to={} indexDir={}", from.getAbsolutePath(), to.getAbsolutePath(),
        indexDir.getAbsolutePath());
    long started = System.nanoTime();
    try (DB source = JniDBFactory.factory.open(from, new Options().createIfMissing(false));
        Codec codec = Codec.start()) {
      byte[] format = source.get(Keys.format());
      if (format == null) {
        throw new IOException(from + " is not a group-commit journal: copy a built-in LevelDB journal first with 'migrate-journal --from "
            + from + " --to <dir>', then upgrade that one with --orders");
      }
      if (Keys.longOf(format) != Keys.FORMAT_VERSION) {
        throw new IOException(from + " has journal format version " + Keys.longOf(format) + ", this build reads " + Keys.FORMAT_VERSION);
      }
      if (JournalStore.firstLegacyOrderId(source) == null) {
        log.warn("event=journal_migration_no_legacy_orders from={} action=copy_only", from.getAbsolutePath());
      }
      try (JournalStore target = JournalStore.open(new JournalStore.Settings(to, false, OPS_PER_BATCH, 10_000, 0))) {
        if (target.lastPersistenceIdNid() != 0) throw new IOException(to + " is not empty: migrate into a new directory");
        try (OrderIndex.Loader index = OrderIndex.loader(indexDir, codec.cbor)) {
          Upgrade upgrade = new Upgrade(source, target, index, codec, Math.max(1, progressEvery));
          upgrade.run();
          index.flush();
          Result result = new Result(upgrade.orderEvents, upgrade.orders, upgrade.open.size(), Map.copyOf(upgrade.deskSeqs),
              upgrade.copiedEvents, upgrade.copiedPids, upgrade.tagEntries, index.written());
          log.info("event=journal_migration_done kind=orders orderEvents={} orders={} openOrders={} desks={} copiedEvents={} "
                  + "copiedPersistenceIds={} tagEntries={} indexed={} tookMs={}", result.orderEvents(), result.orders(), result.openOrders(),
              result.desks().size(), result.copiedEvents(), result.copiedPersistenceIds(), result.tagEntries(), result.indexed(),
              (System.nanoTime() - started) / 1_000_000);
          return result;
        }
      }
    }
  }

  private static final class Upgrade {
    private final DB source;
    private final JournalStore target;
    private final OrderIndex.Loader index;
    private final Codec codec;
    private final long progressEvery;
    private final String writerUuid = UUID.randomUUID().toString();
    private final ImportBatches writes;
    private final LruCache<Long, String> names = new LruCache<>(10_000);
    /** Open (non-final) orders by clientOrderId: the only orders held. */
    final Map<String, Order> open = new HashMap<>();
    /** Symbol -> the desk's last sequence nr. */
    final Map<String, Long> deskSeqs = new TreeMap<>();
    long legacyEvents;
    long orderEvents;
    long orders;
    long copiedEvents;
    long copiedPids;
    long tagEntries;

    Upgrade(DB source, JournalStore target, OrderIndex.Loader index, Codec codec, long progressEvery) {
      this.source = source;
      this.target = target;
      this.writes = new ImportBatches(target, OPS_PER_BATCH);
      this.index = index;
      this.codec = codec;
      this.progressEvery = progressEvery;
    }

    void run() throws IOException {
      copyPersistenceIds();
      copyTags();
      for (Map.Entry<String, Long> desk : deskSeqs.entrySet()) writes.add(new GroupCommitWriter.ImportHighest(DESK_PREFIX + desk.getKey(), desk.getValue()));
      writes.finish();
      for (Order o : open.values()) index.put(o);
      if (orderEvents != legacyEvents) {
        throw new IOException((legacyEvents - orderEvents) + " of " + legacyEvents + " old order events are not in the '" + OrderDesk.TAG
            + "' tag and were not migrated; the target is incomplete, delete it");
      }
    }

    /** Every persistence id but the old orders' is copied verbatim; the old orders' events are counted (they come via the tag). */
    private void copyPersistenceIds() throws IOException {
      try (DBIterator it = source.iterator()) {
        it.seek(Keys.nidToPid(1));
        while (it.hasNext()) {
          var entry = it.next();
          if (!Keys.isNidToPid(entry.getKey())) break;
          long nid = Keys.idOf(entry.getKey());
          String name = new String(entry.getValue(), StandardCharsets.UTF_8);
          if (name.startsWith(DESK_PREFIX)) throw new IOException("the source already holds order desk events (" + name + "): not an old journal");
          boolean legacy = name.startsWith(LEGACY_PREFIX);
          if (!legacy) copiedPids++;
          try (DBIterator events = source.iterator()) {
            events.seek(Keys.event(nid, 1));
            while (events.hasNext()) {
              var e = events.next();
              if (!Keys.isEventOf(e.getKey(), nid)) break;
              if (legacy) {
                legacyEvents++;
                continue;
              }
              writes.add(new GroupCommitWriter.ImportEvent(name, Keys.numberOf(e.getKey()), e.getValue()));
              if (++copiedEvents % progressEvery == 0) progress("copy");
            }
          }
          if (!legacy) writes.add(new GroupCommitWriter.ImportHighest(name, Keys.longOf(source.get(Keys.highestSeq(nid)))));
        }
      }
      writes.flush();
    }

    /** Every tag in offset order: entries of copied ids as they were, old order events rewritten at their offset. */
    private void copyTags() throws IOException {
      try (DBIterator it = source.iterator()) {
        it.seek(new byte[] {Keys.TAG_TO_TID});
        while (it.hasNext()) {
          var entry = it.next();
          byte[] key = entry.getKey();
          if (key.length == 0 || key[0] != Keys.TAG_TO_TID) break;
          String tag = new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
          long tid = Keys.longOf(entry.getValue());
          copyTag(tag, tid);
          writes.add(new GroupCommitWriter.ImportTagHighest(tag, Keys.longOf(source.get(Keys.tagHighest(tid)))));
        }
      }
      writes.flush();
    }

    private void copyTag(String tag, long tid) throws IOException {
      try (DBIterator it = source.iterator()) {
        it.seek(Keys.tagEntry(tid, 1));
        while (it.hasNext()) {
          var entry = it.next();
          if (!Keys.isTagEntryOf(entry.getKey(), tid)) break;
          long offset = Keys.numberOf(entry.getKey());
          ByteBuffer pointer = ByteBuffer.wrap(entry.getValue());
          long nid = pointer.getLong();
          long seqNr = pointer.getLong();
          String name = name(nid);
          byte[] value = source.get(Keys.event(nid, seqNr));
          // a deleted event: its offset stays unused, as readers of the old journal saw it
          if (name == null || value == null) continue;
          tagEntries++;
          if (name.startsWith(LEGACY_PREFIX)) {
            if (!tag.equals(OrderDesk.TAG)) throw new IOException("old order event " + name + "/" + seqNr + " in unexpected tag '" + tag + "'");
            rewrite(offset, StoredEvent.decode(name, seqNr, value));
          } else {
            writes.add(new GroupCommitWriter.ImportTagEntry(tag, offset, name, seqNr));
          }
        }
      }
    }

    private void rewrite(long offset, StoredEvent old) throws IOException {
      String id = old.persistenceId().substring(LEGACY_PREFIX.length());
      Order before = known(id);
      OrderDesk.Event event = codec.deskEvent(id, old, before == null ? null : before.strategy());
      Order after;
      if (event instanceof OrderDesk.OrderAccepted accepted) {
        if (before != null) throw new IOException("order " + id + " accepted twice (tag offset " + offset + ")");
        after = Order.accepted(accepted);
        orders++;
      } else {
        if (before == null) throw new IOException("order " + id + " has an event before its OrderAccepted (tag offset " + offset + ")");
        after = before.apply(event);
      }
      if (after.status().isFinal()) {
        open.remove(id);
        index.put(after);
      } else {
        open.put(id, after);
      }
      String symbol = after.symbol();
      long deskSeq = deskSeqs.merge(symbol, 1L, Long::sum);
      String desk = DESK_PREFIX + symbol;
      Payloads.Serialized s = codec.payloads.serialize(event);
      StoredEvent rewritten = new StoredEvent(desk, deskSeq, s.serializerId(), s.manifest(), old.eventManifest(), writerUuid, old.timestamp(),
          s.bytes());
      writes.add(new GroupCommitWriter.ImportEvent(desk, deskSeq, rewritten.encodeValue()));
      writes.add(new GroupCommitWriter.ImportTagEntry(OrderDesk.TAG, offset, desk, deskSeq));
      if (++orderEvents % progressEvery == 0) progress("orders");
    }

    /** An open order from memory, a final one (a late fill) from the index being filled. */
    private Order known(String id) {
      Order o = open.get(id);
      return o != null ? o : index.find(id).orElse(null);
    }

    private String name(long nid) {
      String cached = names.get(nid);
      if (cached != null) return cached;
      byte[] value = source.get(Keys.nidToPid(nid));
      if (value == null) return null;
      String name = new String(value, StandardCharsets.UTF_8);
      names.put(nid, name);
      return name;
    }

    private void progress(String phase) {
      log.info("event=journal_migration_progress kind=orders phase={} orderEvents={} orders={} openOrders={} desks={} copiedEvents={} tagEntries={}",
          phase, orderEvents, orders, open.size(), deskSeqs.size(), copiedEvents, tagEntries);
    }



  }

  /**
   * Old payloads to desk events and desk events to bytes, with the serializer and ObjectMapper a
   * server uses (Pekko's jackson-cbor binding): a local ActorSystem that runs no actors of ours.
   */
  private static final class Codec implements AutoCloseable {
    private final ActorSystem system;
    final ObjectMapper cbor;
    final Payloads payloads;
    private final int cborSerializerId;

    private Codec(ActorSystem system) {
      this.system = system;
      this.cbor = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-cbor", Optional.of(new CBORFactory()));
      this.payloads = new Payloads(system);
      this.cborSerializerId = payloads.serialize(new OrderDesk.OrderCanceled("probe", null, "probe", java.time.Instant.EPOCH)).serializerId();
    }

    static Codec start() {
      return new Codec(ActorSystem.create("journal-migration", ConfigFactory.parseString("""
          pekko.actor.provider = local
          pekko.actor.serialization-bindings { "io.sparkexec.CborSerializable" = jackson-cbor }
          pekko.loglevel = WARNING
          pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
          pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
          pekko.coordinated-shutdown.exit-jvm = off
          """).withFallback(ConfigFactory.defaultReference())));
    }

    /**
     * The old event's fields, read as a tree by its manifest, as the desk event of order {@code id}; events after the
     * acceptance get the order's {@code strategy}, as the desk writes them (the old ones had it on OrderAccepted only).
     */
    OrderDesk.Event deskEvent(String id, StoredEvent old, String strategy) throws IOException {
      String manifest = old.serializerManifest();
      if (old.serializerId() != cborSerializerId || !manifest.startsWith(LEGACY_MANIFEST_PREFIX)) {
        throw new IOException("unexpected old order event at " + old.persistenceId() + "/" + old.sequenceNr() + ": serializer "
            + old.serializerId() + " manifest " + manifest);
      }
      Class<? extends OrderDesk.Event> type = DESK_EVENTS.get(manifest.substring(LEGACY_MANIFEST_PREFIX.length()));
      if (type == null) throw new IOException("unknown old order event " + manifest + " at " + old.persistenceId() + "/" + old.sequenceNr());
      if (!(cbor.readTree(old.payload()) instanceof ObjectNode fields)) {
        throw new IOException("old order event at " + old.persistenceId() + "/" + old.sequenceNr() + " is not a CBOR object");
      }
      ObjectNode mapped = cbor.createObjectNode();
      mapped.put("clientOrderId", id);
      if (type == OrderDesk.OrderAccepted.class) {
        JsonNode stated = fields.get("clientOrderId");
        if (stated != null && !stated.isNull() && !stated.asText().equals(id)) {
          throw new IOException("OrderAccepted of " + old.persistenceId() + " names clientOrderId " + stated.asText());
        }
        ObjectNode spec = mapped.putObject("spec");
        for (String f : SPEC_FIELDS) spec.set(f, fields.remove(f));
        fields.remove("clientOrderId");
      } else {
        mapped.put("strategy", strategy);
      }
      fields.fields().forEachRemaining(f -> {
        if (!f.getKey().equals("clientOrderId")) mapped.set(f.getKey(), f.getValue());
      });
      return cbor.treeToValue(mapped, type);
    }

    @Override
    public void close() {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("event=journal_migration_codec_stop_failed error=\"{}\"", e.toString());
      }
    }
  }
}
