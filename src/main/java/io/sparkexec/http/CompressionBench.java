package io.sparkexec.http;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code java -cp target/spark-executor.jar io.sparkexec.http.CompressionBench [--seconds N]
 * [--window BITS] [--flush-bytes N] FILE...}:
 * size and CPU time of each response coding on saved answers (a fill export, an open-orders
 * listing), a benchmark and not a test. One run, side by side per file: gzip and deflate (level
 * 6, as the edge), Brotli at quality 1, 5 and 9 (the window of conf/spark.conf unless --window),
 * each on the whole body
 * at once (a strict answer: open orders) and, for line-based bodies, as the edge streams them
 * (one element per line as the export emits them, grouped and flushed per stream-flush-bytes, or
 * --flush-bytes).
 * CPU: this thread's for whole bodies; the process's for streams (they run on the stream's
 * threads), per body, after a warm-up round.
 */
public final class CompressionBench {

  private record Case(ContentCoding coding, int quality) {
    String level() {
      return coding == ContentCoding.BR ? "q" + quality : "level6";
    }
  }

  private static final List<Case> CASES = List.of(new Case(ContentCoding.GZIP, 0), new Case(ContentCoding.DEFLATE, 0),
      new Case(ContentCoding.BR, 1), new Case(ContentCoding.BR, 5), new Case(ContentCoding.BR, 9));

  private CompressionBench() {}

  public static void main(String[] args) throws Exception {
    double seconds = 2;
    int window = HttpCompression.Settings.DEFAULTS.brotliWindowBits();
    int flushBytes = HttpCompression.Settings.DEFAULTS.streamFlushBytes();
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--flush-bytes" -> flushBytes = Integer.parseInt(args[++i]);
        default -> files.add(Path.of(args[i]));
      }
    }
    if (files.isEmpty()) throw new IllegalArgumentException("usage: CompressionBench [--seconds N] [--window BITS] [--flush-bytes N] FILE...");
    if (!Brotli.AVAILABLE) throw new IllegalStateException("libbrotli did not load: nothing to compare");
    HttpCompression.Settings defaults = HttpCompression.Settings.DEFAULTS;
    System.out.printf("window_bits=%d flush_bytes=%d seconds_per_case=%.1f%n", window, flushBytes, seconds);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "compression-bench");
    try {
      System.out.println("round file mode coding level bytes_in bytes_out saved_pct smaller_than_gzip_pct cpu_ms_per_body");
      for (int round = 1; round <= 2; round++) { // round 1 warms the JIT; round 2 is the one to quote
        for (Path file : files) {
          ByteString body = ByteString.fromArrayUnsafe(Files.readAllBytes(file));
          List<ByteString> lines = lines(body);
          for (String mode : lines.size() > 1 ? List.of("whole", "streamed") : List.of("whole")) {
            long gzipOut = 0;
            for (Case c : CASES) {
              HttpCompression.Settings s = new HttpCompression.Settings(defaults.minSizeBytes(), c.coding() == ContentCoding.BR ? c.quality() : defaults.brotliQuality(),
                  window, flushBytes, defaults.streamFlushInterval(), defaults.maxBodyBytes());
              long[] outAndNanos = mode.equals("whole") ? whole(s, c.coding(), body, seconds) : streamed(system, s, c.coding(), lines, seconds);
              if (c.coding() == ContentCoding.GZIP) gzipOut = outAndNanos[0];
              System.out.printf("%d %s %s %s %s %d %d %.1f %.1f %.2f%n", round, file.getFileName(), mode, c.coding().token(), c.level(), body.size(), outAndNanos[0],
                  100.0 * (body.size() - outAndNanos[0]) / body.size(), 100.0 * (gzipOut - outAndNanos[0]) / gzipOut, outAndNanos[1] / 1e6);
            }
          }
        }
      }
    } finally {
      system.terminate();
    }
  }

  /** Compressed size and this thread's CPU nanoseconds per body, as a strict answer is compressed. */
  private static long[] whole(HttpCompression.Settings s, ContentCoding coding, ByteString body, double seconds) {
    var threads = ManagementFactory.getThreadMXBean();
    long size = 0;
    int runs = 0;
    long startCpu = threads.getCurrentThreadCpuTime();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    do {
      size = HttpCompression.compress(s, coding, body).size();
      runs++;
    } while (System.nanoTime() < deadline);
    return new long[] {size, (threads.getCurrentThreadCpuTime() - startCpu) / runs};
  }

  /** Compressed size and the process's CPU nanoseconds per body, through the edge's streaming flow. */
  private static long[] streamed(ActorSystem<Void> system, HttpCompression.Settings s, ContentCoding coding, List<ByteString> lines, double seconds)
      throws Exception {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long size = 0;
    int runs = 0;
    long startCpu = os.getProcessCpuTime();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    do {
      size = Source.from(lines).via(HttpCompression.streamed(s, coding)).runWith(Sink.fold(0L, (n, b) -> n + b.size()), system)
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
      runs++;
    } while (System.nanoTime() < deadline);
    return new long[] {size, (os.getProcessCpuTime() - startCpu) / runs};
  }

  /** The body cut after each newline, as the export emits its rows. */
  private static List<ByteString> lines(ByteString body) {
    List<ByteString> lines = new ArrayList<>();
    int start = 0;
    for (int i = body.indexOf((byte) '\n'); i >= 0; i = body.indexOf((byte) '\n', i + 1)) {
      lines.add(body.slice(start, i + 1));
      start = i + 1;
    }
    if (start < body.size()) lines.add(body.drop(start));
    return lines;
  }
}
