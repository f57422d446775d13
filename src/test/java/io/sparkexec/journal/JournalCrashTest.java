package io.sparkexec.journal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 while writing with fsync on, several times on the same journal: after each kill every
 * write the child saw confirmed is there, every atomic batch is whole, sequence nrs and the tag's
 * offsets have no gaps; finally a fresh ActorSystem replays every event intact.
 */
class JournalCrashTest {

  private static final int ROUNDS = 3;

  @TempDir
  Path dir;

  @Test
  void confirmedWritesSurviveKillMinus9() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Map<String, Long> confirmed = new ConcurrentHashMap<>();
    for (int round = 1; round <= ROUNDS; round++) {
      int killAfter = 10 + random.nextInt(150);
      AtomicInteger seen = new AtomicInteger();
      Process child = startChild();
      Thread reader = readConfirmations(child, confirmed, seen);
      await().atMost(Duration.ofSeconds(60)).until(() -> seen.get() >= killAfter || !child.isAlive());
      assertTrue(child.isAlive(), "child died by itself (seed " + seed + ")");
      child.destroyForcibly().waitFor();
      reader.join();
      verifyStore(confirmed, "round " + round + " seed " + seed + " killAfter " + killAfter);
    }
    verifyReplay(confirmed);
  }

  private Process startChild() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        CrashWriterMain.class.getName(), dir.toString())
        .directory(new File(System.getProperty("user.dir")))
        .redirectErrorStream(true)
        .start();
  }

  private static Thread readConfirmations(Process child, Map<String, Long> confirmed, AtomicInteger seen) {
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (!line.startsWith("CONFIRMED ")) continue;
          String[] parts = line.split(" ");
          confirmed.merge(parts[1], Long.parseLong(parts[2]), Math::max);
          seen.incrementAndGet();
        }
      } catch (java.io.IOException e) {
        // the pipe closes when the child is killed
      }
    }, "crash-child-reader");
    t.start();
    return t;
  }

  private void verifyStore(Map<String, Long> confirmed, String context) throws Exception {
    try (JournalStore store = JournalStore.open(new JournalStore.Settings(dir.resolve("journal").toFile(), true, 1024, 1000, 0))) {
      long total = 0;
      for (int i = 0; i < CrashWriterMain.WRITERS; i++) {
        String pid = "crash-" + i;
        long highest = store.highestSequenceNr(pid);
        assertTrue(highest >= confirmed.getOrDefault(pid, 0L), pid + " lost confirmed writes, " + context);
        assertEquals(0, highest % CrashWriterMain.BATCH, pid + " has half an atomic batch, " + context);
        List<Long> seqNrs = store.events(pid, 1, Long.MAX_VALUE, Integer.MAX_VALUE).stream().map(StoredEvent::sequenceNr).toList();
        assertEquals(LongStream.rangeClosed(1, highest).boxed().toList(), seqNrs, pid + " " + context);
        total += highest;
      }
      long tagHighest = store.highestTagOffset(CrashWriterMain.TAG);
      JournalStore.TagPage page = store.tagEntries(CrashWriterMain.TAG, 0, Long.MAX_VALUE, Integer.MAX_VALUE);
      assertEquals(total, tagHighest, context);
      assertEquals(LongStream.rangeClosed(1, total).boxed().toList(), page.entries().stream().map(JournalStore.TagEntry::offset).toList(), context);
    }
  }

  private void verifyReplay(Map<String, Long> confirmed) throws Exception {
    ActorSystem system = ActorSystem.create("crash-verify", TestJournal.config(dir, ""));
    try {
      for (int i = 0; i < CrashWriterMain.WRITERS; i++) {
        String pid = "crash-" + i;
        List<TestJournal.Evt> events = GroupCommitPersistenceTest.state(system.actorOf(TestWriter.props(pid)));
        assertTrue(events.size() >= confirmed.getOrDefault(pid, 0L), pid);
        for (int k = 0; k < events.size(); k++) assertEquals(new TestJournal.Evt(pid, k + 1), events.get(k), pid);
      }
    } finally {
      TestJournal.stop(system);
    }
  }
}
