package io.sparkexec.order;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every order ever accepted, by clientOrderId: the read side that keeps an order answerable and
 * its id taken after its desk has let it go. A LevelDB database of its own (key: the id, value:
 * the order's latest state that matters, CBOR), written by one thread off the hot path.
 *
 * <p>Life of an entry: a desk {@link #claim}s the id before it journals the order (so two desks
 * cannot take one id at once), tells {@link #written} once the journal holds it (accepted, final,
 * or a late fill), and the writer thread stores it and syncs, all that came in the last 50 ms in
 * one write. Until then the entry is pending and answered from memory. A crash can lose pending entries only; their
 * desks re-index what they recover (open orders, recently final ones), see {@link OrderDesk}.
 */
public final class OrderIndex implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OrderIndex.class);
  // orders per LevelDB write: bounds a write's size, not its latency (one sync per write)
  private static final int MAX_WRITE = 4096;
  // at most one (synced) write per this many ms: readers are answered from memory meanwhile, and
  // the journal's own fsyncs on the hot path do not queue behind the index's on the same disk
  private static final long WRITE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** A pending entry: the order, and whether the journal holds it yet (a claim does not). */
  private record Entry(Order order, boolean journaled) {}

  private final DB db;
  private final ObjectMapper cbor;
  private final ConcurrentHashMap<String, Entry> pending = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> dirty = new ConcurrentLinkedQueue<>();
  private final Thread writer;
  private volatile boolean running = true;
  private volatile Throwable failure;

  private OrderIndex(DB db, ObjectMapper cbor, String name) {
    this.db = db;
    this.cbor = cbor;
    this.writer = new Thread(this::writeLoop, name);
    writer.setDaemon(true);
    writer.start();
  }

  private static final IndexId ID = new IndexId();

  /** One index per ActorSystem (LevelDB allows one handle per directory), opened on first use, closed when the system terminates. */
  private static final class IndexId extends AbstractExtensionId<Holder> {
    @Override
    public Holder createExtension(ExtendedActorSystem system) {
      OrderIndex index = open(new File(system.settings().config().getString("spark.orders.index-dir")),
          JacksonObjectMapperProvider.get(system).getOrCreate("jackson-cbor", Optional.of(new CBORFactory())));
      system.registerOnTermination(index::close);
      return new Holder(index);
    }
  }

  private record Holder(OrderIndex index) implements Extension {}

  /** The system's index, at {@code spark.orders.index-dir}. */
  public static OrderIndex get(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system)).index();
  }

  public static OrderIndex open(File dir, ObjectMapper cbor) {
    try {
      if (!dir.isDirectory() && !dir.mkdirs()) throw new IOException("cannot create " + dir);
      DB db = JniDBFactory.factory.open(dir, new Options().createIfMissing(true).cacheSize(16L << 20));
      log.info("event=order_index_opened dir={}", dir);
      return new OrderIndex(db, cbor, "spark-order-index-writer");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the order index at " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Takes {@code candidate.clientOrderId()} for a new order. Null: taken, journal it and then call
   * {@link #written}, or {@link #release} if that fails. Otherwise the order that already has it.
   */
  public Order claim(Order candidate) {
    String id = candidate.clientOrderId();
    Entry mine = new Entry(candidate, false);
    Entry before = pending.putIfAbsent(id, mine);
    if (before != null) return before.order();
    Order stored = read(id);
    if (stored == null) return null;
    pending.remove(id, mine);
    return stored;
  }

  /** The claim's order was never journaled: the id is free again. */
  public void release(Order candidate) {
    pending.computeIfPresent(candidate.clientOrderId(), (id, e) -> e.journaled() ? e : null);
  }

  /** The journal holds this state of the order: store it. */
  public void written(Order order) {
    pending.put(order.clientOrderId(), new Entry(order, true));
    dirty.add(order.clientOrderId());
  }

  /** The latest state of the order known here (a pending one included), or empty. */
  public Optional<Order> find(String clientOrderId) {
    Entry e = pending.get(clientOrderId);
    return e != null ? Optional.of(e.order()) : Optional.ofNullable(read(clientOrderId));
  }

  /** True while a journaled state of the order is not yet stored: a desk's snapshot must then keep it. */
  public boolean isPending(String clientOrderId) {
    Entry e = pending.get(clientOrderId);
    return e != null && e.journaled();
  }

  /** Null while healthy; the writer's error once it failed (entries then stay pending in memory). */
  public Throwable failure() {
    return failure;
  }

  private Order read(String id) {
    return decode(db, cbor, id);
  }

  private void writeLoop() {
    List<String> ids = new ArrayList<>(256);
    List<Entry> entries = new ArrayList<>(256);
    long lastWrite = 0;
    while (running || !dirty.isEmpty()) {
      long wait = lastWrite + WRITE_EVERY_NANOS - System.nanoTime();
      if (running && (wait > 0 || dirty.isEmpty())) {
        LockSupport.parkNanos(this, wait > 0 ? wait : WRITE_EVERY_NANOS);
        continue;
      }
      String id;
      while (ids.size() < MAX_WRITE && (id = dirty.poll()) != null) ids.add(id);
      lastWrite = System.nanoTime();
      try (WriteBatch batch = db.createWriteBatch()) {
        for (String each : ids) {
          Entry e = pending.get(each);
          entries.add(e);
          if (e != null && e.journaled()) batch.put(each.getBytes(StandardCharsets.UTF_8), cbor.writeValueAsBytes(e.order()));
        }
        db.write(batch, new WriteOptions().sync(true));
        if (failure != null) log.info("event=order_index_write_recovered");
        failure = null;
        // an entry written again meanwhile stays pending for its own turn
        for (int i = 0; i < ids.size(); i++) {
          if (entries.get(i) != null) pending.remove(ids.get(i), entries.get(i));
        }
      } catch (IOException | RuntimeException e) {
        if (failure == null) log.error("event=order_index_write_failed error=\"{}\"", e.toString());
        failure = e;
        // keep the entries pending (answered from memory) and try again shortly
        dirty.addAll(ids);
        LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1));
      }
      ids.clear();
      entries.clear();
    }
  }

  /**
   * Fills an index offline (the journal migration, with no server running): entries in this
   * index's format, written straight to its LevelDB in synced batches, no writer thread. Refuses
   * a directory that already holds entries. {@link Loader#find} sees what was put so far.
   */
  public static Loader loader(File dir, ObjectMapper cbor) throws IOException {
    if (!dir.isDirectory() && !dir.mkdirs()) throw new IOException("cannot create " + dir);
    DB db = JniDBFactory.factory.open(dir, new Options().createIfMissing(true).cacheSize(16L << 20));
    try (var it = db.iterator()) {
      it.seekToFirst();
      if (it.hasNext()) throw new IOException("order index " + dir + " is not empty: fill a new directory");
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
    return new Loader(db, cbor);
  }

  /** See {@link #loader}: bounded memory (one batch of entries), one sync per batch. */
  public static final class Loader implements AutoCloseable {
    private static final int BATCH = 1000;
    private final DB db;
    private final ObjectMapper cbor;
    private final java.util.Map<String, Order> batch = new java.util.LinkedHashMap<>();
    private long written;

    private Loader(DB db, ObjectMapper cbor) {
      this.db = db;
      this.cbor = cbor;
    }

    public void put(Order order) throws IOException {
      batch.put(order.clientOrderId(), order);
      if (batch.size() >= BATCH) flush();
    }

    public Optional<Order> find(String clientOrderId) {
      Order o = batch.get(clientOrderId);
      return o != null ? Optional.of(o) : Optional.ofNullable(decode(db, cbor, clientOrderId));
    }

    /** Orders stored (a re-put of one order counts again). */
    public long written() {
      return written + batch.size();
    }

    public void flush() throws IOException {
      if (batch.isEmpty()) return;
      try (WriteBatch wb = db.createWriteBatch()) {
        for (Order o : batch.values()) wb.put(o.clientOrderId().getBytes(StandardCharsets.UTF_8), cbor.writeValueAsBytes(o));
        db.write(wb, new WriteOptions().sync(true));
      }
      written += batch.size();
      batch.clear();
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
      } finally {
        db.close();
      }
    }
  }

  private static Order decode(DB db, ObjectMapper cbor, String id) {
    byte[] bytes = db.get(id.getBytes(StandardCharsets.UTF_8));
    if (bytes == null) return null;
    try {
      return cbor.readValue(bytes, Order.class);
    } catch (IOException e) {
      throw new UncheckedIOException("order index entry " + id + " cannot be read", e);
    }
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(writer);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
      db.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.warn("event=order_index_close_failed error=\"{}\"", e.toString());
    }
  }
}
