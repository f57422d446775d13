package io.sparkexec.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code feed-subscribers}: the orders-channel side of the feed fan-out bench
 * (docs/bench/run-feed-bench.sh). Holds N live {@code orders} subscribers on a running executor
 * while the script runs a closed-loop order load, then checks that every subscriber received
 * every order event of that load, in seq order, without gap or duplicate.
 *
 * <p>The load's orders are recognised by their clientOrderId prefix ({@code wrk-<run>-}, as
 * docs/bench/order.lua names them). What the journal holds of them is read back at the end by a
 * probe connection replaying the channel from seq 0 (resuming with {@code from=} after a close, as
 * any client would), so the check does not depend on how many events an order makes.
 *
 * <p>Messages are not parsed as JSON: the client shares the box with the server, and only the
 * seq and the clientOrderId prefix are needed. The JDK client offers no permessage-deflate, so
 * the server sends plain frames.
 */
public final class FeedSubscribers {

  static final String USAGE = """
      usage: java -jar target/spark-executor.jar feed-subscribers --url URL --run RUN [options]

      Connects N live subscribers to the orders channel and prints "feed-subscribers ready"
      once all are welcomed. When stdin ends (or a line "done" arrives: the load has ended),
      waits until no subscriber has received anything for --idle, replays the channel from
      seq 0 on one more connection to count the events of orders named wrk-<RUN>-..., and
      checks each subscriber: every one of those events, seqs consecutive, no duplicate, still open.

      options:
        --url URL          executor base URL                       (default http://127.0.0.1:8080)
        --run RUN          the load's run id (BENCH_RUN of order.lua)  (required)
        --connections N    subscribers                             (default 100)
        --key KEY          X-API-Key                               (default trader-dev-key)
        --idle D           quiet time that counts as drained, e.g. 3s  (default 3s)

      Prints one line starting with "feed-subscribers-summary" (key=value). Exit status 0 when
      every subscriber passed, 1 otherwise, 2 on bad arguments.
      """;

  private static final String ORDERS_PREFIX = "{\"channel\":\"orders\",\"seq\":";

  private FeedSubscribers() {}

  public static void main(String[] args) throws Exception {
    String url = "http://127.0.0.1:8080";
    String run = null;
    String key = "trader-dev-key";
    int connections = 100;
    Duration idle = Duration.ofSeconds(3);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        System.out.print(USAGE);
        return;
      }
      if (i + 1 >= args.length) usage("missing value for " + a);
      String v = args[++i];
      switch (a) {
        case "--url" -> url = v;
        case "--run" -> run = v;
        case "--key" -> key = v;
        case "--connections" -> connections = Integer.parseInt(v);
        case "--idle" -> idle = Bench.duration(a, v);
        default -> usage("unknown option " + a);
      }
    }
    if (run == null) usage("--run is required");
    URI feed = URI.create(url.replaceFirst("^http", "ws") + "/ws/feed?channels=orders");
    String marker = "\"wrk-" + run + "-";
    HttpClient http = HttpClient.newHttpClient();

    List<Subscriber> subscribers = new ArrayList<>();
    for (int i = 0; i < connections; i++) subscribers.add(Subscriber.open(http, feed, key, marker));
    for (Subscriber s : subscribers) s.welcomed.get(60, TimeUnit.SECONDS);
    System.out.println("feed-subscribers ready connections=" + connections);

    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = stdin.readLine()) != null && !line.trim().equals("done"); ) { }
    long lastSeq = drained(subscribers, idle);

    // the journal's side: every event of the run, replayed from the start of the channel
    Replay journal = Replay.read(http, feed, key, marker, lastSeq, idle);

    int passed = 0;
    int closed = 0;
    long gaps = 0;
    long duplicates = 0;
    long minRun = Long.MAX_VALUE;
    long maxRun = 0;
    for (Subscriber s : subscribers) {
      boolean open = !s.closed.isDone();
      if (!open) closed++;
      gaps += s.gaps;
      duplicates += s.duplicates;
      minRun = Math.min(minRun, s.runEvents);
      maxRun = Math.max(maxRun, s.runEvents);
      boolean ok = open && s.gaps == 0 && s.duplicates == 0 && s.runEvents == journal.runEvents && s.runFirst == journal.runFirst
          && s.runLast == journal.runLast;
      if (ok) passed++;
      else System.out.println("feed-subscriber-failed " + s.describe());
      s.close();
    }
    boolean all = passed == connections && journal.runEvents > 0 && journal.gaps == 0;
    System.out.println("feed-subscribers-summary connections=" + connections + " runEvents=" + journal.runEvents + " runSeqs=" + journal.runFirst
        + ".." + journal.runLast + " journalGaps=" + journal.gaps
        + " passed=" + passed + " closed=" + closed + " gaps=" + gaps + " duplicates=" + duplicates + " minRunEvents=" + minRun
        + " maxRunEvents=" + maxRun + " lastSeq=" + lastSeq + " replayConnections=" + journal.connections + " ok=" + all);
    System.exit(all ? 0 : 1);
  }

  private static void usage(String problem) {
    System.err.print("feed-subscribers: " + problem + "\n\n" + USAGE);
    System.exit(2);
  }

  /**
   * Any subscriber received a message: wakes whoever waits for the subscribers to make progress
   * (a wait with a timeout on this, never a sleep loop).
   */
  private static final class Activity {
    private volatile CompletableFuture<Void> next = CompletableFuture.completedFuture(null);

    void signal() {
      CompletableFuture<Void> f = next;
      if (!f.isDone()) f.complete(null);
    }

    /** Armed before the waiter checks its condition, so a message between check and wait is not missed. */
    CompletableFuture<Void> arm() {
      CompletableFuture<Void> f = new CompletableFuture<>();
      next = f;
      return f;
    }

    static void await(CompletableFuture<Void> armed, long nanos) throws InterruptedException {
      try {
        armed.get(Math.max(1, nanos), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException quietOrFailed) {
        // quiet for that long (or the signal failed, which it cannot): the caller checks its condition again
      }
    }
  }

  private static final Activity ACTIVITY = new Activity();

  /** Waits until no subscriber has received a message for {@code idle}; the highest seq any of them saw. */
  private static long drained(List<Subscriber> subscribers, Duration idle) throws InterruptedException {
    while (true) {
      CompletableFuture<Void> armed = ACTIVITY.arm();
      long newest = Long.MIN_VALUE;
      for (Subscriber s : subscribers) newest = Math.max(newest, s.lastReceivedNanos);
      long quietFor = System.nanoTime() - newest;
      if (quietFor >= idle.toNanos()) break;
      // a message wakes the wait early; the loop then measures the quiet again from the newest one
      Activity.await(armed, idle.toNanos() - quietFor);
    }
    long last = 0;
    for (Subscriber s : subscribers) last = Math.max(last, s.last);
    return last;
  }

  /** What the replay from seq 0 found: the run's events (count, first and last seq), seq gaps, and how many connections it took. */
  private record Replay(long runEvents, long runFirst, long runLast, long gaps, int connections) {

    /** Replays until seq {@code lastSeq}, reconnecting with {@code from=<last seq received>} after a close (e.g. 4002). */
    static Replay read(HttpClient http, URI feed, String key, String marker, long lastSeq, Duration idle) throws Exception {
      long runEvents = 0;
      long runFirst = 0;
      long runLast = 0;
      long gaps = 0;
      long from = 0;
      int connections = 0;
      while (from < lastSeq) {
        Subscriber r = Subscriber.open(http, URI.create(feed + "&from=" + from), key, marker);
        connections++;
        r.waitUntil(lastSeq, idle);
        r.close();
        runEvents += r.runEvents;
        if (runFirst == 0) runFirst = r.runFirst;
        runLast = Math.max(runLast, r.runLast);
        gaps += r.gaps + (r.received > 0 && r.firstSeq != from + 1 ? 1 : 0);
        if (r.last <= from) throw new IllegalStateException("the replay stalled after seq " + from + ": " + r.describe());
        from = r.last;
      }
      return new Replay(runEvents, runFirst, runLast, gaps, connections);
    }
  }

  /** One connection: what it received, counted on its listener thread (one message at a time). */
  private static final class Subscriber implements WebSocket.Listener {
    final CompletableFuture<Void> welcomed = new CompletableFuture<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final String marker;
    private final StringBuilder partial = new StringBuilder();
    private WebSocket ws;
    volatile long last;
    volatile long lastReceivedNanos = System.nanoTime();
    long received;
    long gaps;
    long duplicates;
    long runEvents;
    long runFirst;
    long runLast;
    long firstSeq;

    private Subscriber(String marker) {
      this.marker = marker;
    }

    static Subscriber open(HttpClient http, URI uri, String key, String marker) throws Exception {
      Subscriber s = new Subscriber(marker);
      s.ws = http.newWebSocketBuilder().header("X-API-Key", key).buildAsync(uri, s).get(60, TimeUnit.SECONDS);
      return s;
    }

    @Override
    public void onOpen(WebSocket socket) {
      // no backpressure from this side: a slow client is the server's problem to detect, not ours to cause
      socket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean lastPart) {
      if (!lastPart || partial.length() > 0) {
        partial.append(data);
        if (!lastPart) return null;
        data = partial.toString();
        partial.setLength(0);
      }
      String m = data.toString();
      if (!m.startsWith(ORDERS_PREFIX)) {
        lastReceivedNanos = System.nanoTime();
        welcomed.complete(null);
        ACTIVITY.signal();
        return null;
      }
      int end = m.indexOf(',', ORDERS_PREFIX.length());
      long seq = Long.parseLong(m, ORDERS_PREFIX.length(), end, 10);
      if (received == 0) firstSeq = seq;
      else if (seq <= last) duplicates++;
      else if (seq != last + 1) gaps++;
      received++;
      if (seq > last) last = seq;
      if (m.contains(marker)) {
        runEvents++;
        if (runFirst == 0) runFirst = seq;
        runLast = seq;
      }
      // written last: the main thread reads the counters after seeing it
      lastReceivedNanos = System.nanoTime();
      ACTIVITY.signal();
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
      closed.complete(statusCode);
      ACTIVITY.signal();
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      closed.completeExceptionally(error);
      ACTIVITY.signal();
    }

    /** Until it has seen {@code seq}, is closed, or has been quiet for {@code idle}. */
    void waitUntil(long seq, Duration idle) throws InterruptedException {
      while (true) {
        CompletableFuture<Void> armed = ACTIVITY.arm();
        long quietFor = System.nanoTime() - lastReceivedNanos;
        if (last >= seq || closed.isDone() || quietFor >= idle.toNanos()) return;
        Activity.await(armed, idle.toNanos() - quietFor);
      }
    }

    String describe() {
      return "received=" + received + " seqs=" + firstSeq + ".." + last + " gaps=" + gaps + " duplicates=" + duplicates + " runEvents=" + runEvents
          + " runSeqs=" + runFirst + ".." + runLast + " closed=" + (!closed.isDone() ? "no" : closed.isCompletedExceptionally() ? "error" : String.valueOf(closed.join()));
    }

    void close() {
      if (!closed.isDone()) ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
    }
  }
}
