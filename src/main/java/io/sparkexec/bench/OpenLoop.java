package io.sparkexec.bench;

import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One open-loop run. A single sender thread sends request i at {@code start + i/rate}; it never
 * waits for answers except when all connections are busy, and even then the latency of a late
 * request counts from its intended time. The measured phase is scheduled afresh once the
 * warm-up's answers are in. Answers are recorded on the HTTP client's threads.
 * Every scheduled request of the measured phase ends as exactly one of: an answer (status
 * counted, latency recorded) or an error (no answer within the timeout, connection failure,
 * never sent because the run's deadline passed).
 *
 * <p>Client: {@link java.net.http.HttpClient} over HTTP/1.1 with keep-alive. Requests in flight
 * are bounded by a semaphore of {@code --connections} permits, and the client keeps one
 * connection per request in flight, so the pool never grows past that bound. It needs no
 * actor system of its own (a second Pekko system would bring its own dispatcher threads onto
 * the same 2 cores as the server) and runs on two threads: the sender and the client's
 * selector, which also runs the recording callbacks.
 */
final class OpenLoop {

  /** What the measured phase produced. Latencies are recorded in microseconds. */
  record Result(long scheduled, long answered, long ok, long errors, SortedMap<Integer, Long> statusCounts,
      SortedMap<String, Long> errorCounts, Histogram latencyMicros, Histogram sendLagMicros, double achievedPerSecond,
      double clientCpuPercent, Histogram firstMicros, Histogram restMicros) {

    double p(double percentile) {
      return p(latencyMicros, percentile);
    }

    /** {@code --first N}: the first N measured requests, or the ones after them. */
    double pFirst(double percentile) {
      return p(firstMicros, percentile);
    }

    double pRest(double percentile) {
      return p(restMicros, percentile);
    }

    private static double p(Histogram h, double percentile) {
      return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    double maxMs() {
      return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMaxValue() / 1000.0;
    }

    double meanMs() {
      return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMean() / 1000.0;
    }

    double sendLagP99Ms() {
      return sendLagMicros.getTotalCount() == 0 ? 0 : sendLagMicros.getValueAtPercentile(99) / 1000.0;
    }
  }

  private final Bench.Options options;
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private final HttpRequest healthRequest;

  // measured phase only
  private final Histogram latency = new ConcurrentHistogram(3);
  private final Histogram sendLag = new ConcurrentHistogram(3);
  private final Histogram first = new ConcurrentHistogram(3);
  private final Histogram rest = new ConcurrentHistogram(3);
  private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final LongAdder answered = new LongAdder();
  private final AtomicLong lastAnswerNanos = new AtomicLong();
  // both phases, for the progress lines
  private final Recorder interval = new Recorder(3);
  private final LongAdder sentTotal = new LongAdder();
  private final LongAdder answeredTotal = new LongAdder();
  private final LongAdder errorsTotal = new LongAdder();
  // request index -> intended send time; whoever removes an entry settles that request
  private final Map<Long, Long> inFlight = new ConcurrentHashMap<>();
  private final Object drained = new Object();

  private HttpClient client;
  private Semaphore connections;
  private long warmupCount;
  private volatile long nextIndex; // the sender's position, for the progress lines
  private volatile long measureStartNanos;

  OpenLoop(Bench.Options options) {
    this.options = options;
    this.healthRequest = HttpRequest.newBuilder(options.endpoint()).timeout(options.timeout()).GET().build();
  }

  Result run() throws InterruptedException {
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("bench-progress"));
    client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(options.timeout())
        // callbacks run on the client's selector thread: they only record, and each hand-off to a
        // pool thread cost ~20% more client CPU (measured at 1,500/s, docs/performance.md)
        .executor(Runnable::run)
        .build();
    connections = new Semaphore(options.connections());
    prime();
    warmupCount = Math.round(options.rate() * options.warmup().toNanos() / 1e9);
    long total = warmupCount + Math.round(options.rate() * options.duration().toNanos() / 1e9);
    long runStart = System.nanoTime() + 10_000_000;
    measureStartNanos = Long.MAX_VALUE;
    if (options.warmup().plus(options.duration()).toSeconds() >= 5) {
      ticker.scheduleAtFixedRate(new Progress(runStart), 1, 1, TimeUnit.SECONDS);
    }

    // warm-up, unrecorded; the measured phase starts once its answers are in (at most one timeout
    // later), so a server still warming up does not hand its backlog over to the measurement
    if (warmupCount > 0) {
      send(0, warmupCount, runStart, runStart + options.warmup().toNanos() + options.timeout().toNanos());
      awaitAnswers(System.nanoTime() + options.timeout().toNanos());
    }
    measureStartNanos = System.nanoTime() + 1_000_000;
    long cpuAtMeasureStart = processCpuNanos();
    long sendDeadline = measureStartNanos + options.duration().toNanos() + options.timeout().toNanos();
    long stoppedAt = send(warmupCount, total, measureStartNanos, sendDeadline);
    if (stoppedAt < total) error("not_sent", total - stoppedAt);

    // drain: wait for the answers still due, then count the rest as errors
    awaitAnswers(System.nanoTime() + options.timeout().toNanos() + 1_000_000_000L);
    for (Long index : inFlight.keySet()) settle(index, null, null);
    long end = System.nanoTime();
    double cpuPercent = 100.0 * (processCpuNanos() - cpuAtMeasureStart) / Math.max(1, end - measureStartNanos);
    ticker.shutdownNow();

    long window = Math.max(options.duration().toNanos(), lastAnswerNanos.get() - measureStartNanos);
    long ok = statuses.entrySet().stream().filter(e -> e.getKey() / 100 == 2).mapToLong(e -> e.getValue().sum()).sum();
    long errorCount = errors.values().stream().mapToLong(LongAdder::sum).sum();
    return new Result(total - warmupCount, answered.sum(), ok, errorCount, sorted(statuses), sorted(errors), latency, sendLag,
        answered.sum() / (window / 1e9), cpuPercent, first, rest);
  }

  /**
   * {@code --prime}: requests shaped like the run's, one at a time, to a throwaway JDK HTTP server
   * in this process, so the client's first measured requests are not its own cold start and the
   * executor under test sees none of them.
   */
  private void prime() throws InterruptedException {
    if (options.prime() == 0) return;
    com.sun.net.httpserver.HttpServer sink;
    try {
      sink = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the priming server: " + e, e);
    }
    sink.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    sink.start();
    java.net.URI target = java.net.URI.create("http://127.0.0.1:" + sink.getAddress().getPort() + options.endpoint().getPath());
    try {
      for (int i = 0; i < options.prime(); i++) {
        HttpRequest r = request(-1 - i);
        client.send(HttpRequest.newBuilder(r, (name, value) -> true).uri(target).build(), HttpResponse.BodyHandlers.discarding());
      }
    } catch (IOException e) {
      throw new IllegalStateException("priming failed: " + e, e);
    } finally {
      sink.stop(0);
    }
  }

  /**
   * Sends requests [from, to) at {@code phaseStart + (i - from)/rate}. When every connection is
   * busy it waits for one, but not past {@code deadline}; returns the first index not sent.
   */
  private long send(long from, long to, long phaseStart, long deadline) throws InterruptedException {
    for (long i = from; i < to; i++) {
      long intended = phaseStart + (long) ((i - from) * 1e9 / options.rate());
      nextIndex = i;
      parkUntil(intended);
      if (!connections.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) return i;
      long now = System.nanoTime();
      if (i >= warmupCount) sendLag.recordValue((now - intended) / 1000);
      inFlight.put(i, intended);
      sentTotal.increment();
      long index = i;
      client.sendAsync(request(i), HttpResponse.BodyHandlers.discarding())
          .whenComplete((response, failure) -> {
            connections.release();
            settle(index, response, failure);
          });
    }
    return to;
  }

  /** Waits until every request sent so far has settled, or the deadline; woken by {@link #settle}. */
  private void awaitAnswers(long deadline) throws InterruptedException {
    synchronized (drained) {
      long left;
      while (!inFlight.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
        drained.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  private HttpRequest request(long i) {
    if (!options.orders()) return healthRequest;
    // unique per request and per run; alternating sides keep the simulated price where it is
    String body = "{\"clientOrderId\":\"bench-" + runId + "-" + i + "\",\"symbol\":\"" + options.symbol()
        + "\",\"side\":\"" + (i % 2 == 0 ? "BUY" : "SELL") + "\",\"type\":\"MARKET\",\"quantity\":\"" + options.quantity() + "\"}";
    return HttpRequest.newBuilder(options.endpoint())
        .timeout(options.timeout())
        .header("Content-Type", "application/json")
        .header("X-API-Key", options.key())
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** Records one request's end exactly once: the first caller to remove it from inFlight wins. */
  private void settle(long index, HttpResponse<?> response, Throwable failure) {
    Long intended = inFlight.remove(index);
    if (intended == null) return;
    if (inFlight.isEmpty()) {
      synchronized (drained) {
        drained.notifyAll();
      }
    }
    long now = System.nanoTime();
    boolean measured = index >= warmupCount;
    if (response != null) {
      long micros = (now - intended) / 1000;
      interval.recordValue(micros);
      answeredTotal.increment();
      if (measured) {
        latency.recordValue(micros);
        (index < warmupCount + options.first() ? first : rest).recordValue(micros);
        statuses.computeIfAbsent(response.statusCode(), k -> new LongAdder()).increment();
        answered.increment();
        lastAnswerNanos.accumulateAndGet(now, Math::max);
      }
    } else {
      errorsTotal.increment();
      if (measured) error(kind(failure), 1);
    }
  }

  private void error(String kind, long n) {
    errors.computeIfAbsent(kind, k -> new LongAdder()).add(n);
  }

  /** Error kind for the report; null = still unanswered when the run ended. */
  private static String kind(Throwable failure) {
    if (failure == null) return "no_answer";
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof HttpConnectTimeoutException) return "connect_timeout";
    if (t instanceof HttpTimeoutException) return "timeout";
    if (t instanceof ConnectException) return "connect";
    if (t instanceof IOException) return "io";
    return t.getClass().getSimpleName().toLowerCase(Locale.ROOT);
  }

  /** One line a second on stderr: what was sent and answered in that second, and its latencies. */
  private final class Progress implements Runnable {
    private final long start;
    private long lastSent;
    private long lastAnswered;

    Progress(long start) {
      this.start = start;
    }

    @Override
    public void run() {
      long now = System.nanoTime();
      Histogram h = interval.getIntervalHistogram();
      long sent = sentTotal.sum();
      long done = answeredTotal.sum();
      System.err.printf(Locale.ROOT, "%5.0fs %-7s sent %5d answered %5d  p50 %7.3f  p99 %8.3f  max %8.3f ms  in flight %4d  errors %d%n",
          (now - start) / 1e9, nextIndex < warmupCount ? "warm-up" : "measure", sent - lastSent, done - lastAnswered,
          h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
          inFlight.size(), errorsTotal.sum());
      lastSent = sent;
      lastAnswered = done;
    }
  }

  private static void parkUntil(long deadline) {
    for (long wait = deadline - System.nanoTime(); wait > 0; wait = deadline - System.nanoTime()) LockSupport.parkNanos(wait);
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  private static <K extends Comparable<K>> SortedMap<K, Long> sorted(Map<K, LongAdder> counts) {
    SortedMap<K, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
