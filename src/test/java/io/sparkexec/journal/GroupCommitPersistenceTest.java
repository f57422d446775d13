package io.sparkexec.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real persistent actors on the journal: many writers at once keep each persistence id's order
 * with no gaps (group commit mixes their writes into shared batches), and a second ActorSystem on
 * the same directory replays everything, including a highest sequence nr whose events were all
 * deleted.
 */
class GroupCommitPersistenceTest {

  @TempDir
  Path dir;

  @Test
  void concurrentWritersKeepPerIdOrderAndSurviveARestart() throws Exception {
    int writers = 40;
    int rounds = 5;
    ActorSystem first = TestJournal.start("persistence-1", dir);
    try {
      List<ActorRef> refs = new ArrayList<>();
      for (int i = 0; i < writers; i++) refs.add(first.actorOf(TestWriter.props("w-" + i)));
      for (int round = 0; round < rounds; round++) {
        List<CompletableFuture<Object>> acks = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
          // alternate single persistAsync bursts and atomic persistAll batches
          TestWriter.Write write = new TestWriter.Write(10, (round + i) % 2 == 0, Set.of());
          acks.add(Patterns.ask(refs.get(i), write, TestJournal.TIMEOUT).toCompletableFuture());
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
      }
      Object deleted = Patterns.ask(refs.get(0), new TestWriter.Delete(Long.MAX_VALUE), TestJournal.TIMEOUT).toCompletableFuture().get();
      assertEquals(DeleteMessagesSuccess.class, deleted.getClass());
    } finally {
      TestJournal.stop(first);
    }

    ActorSystem second = TestJournal.start("persistence-2", dir);
    try {
      ActorRef emptied = second.actorOf(TestWriter.props("w-0"));
      assertEquals(List.of(), state(emptied));
      // the highest sequence nr survived deleting every event: the next write continues after it
      assertEquals(10L * rounds + 1, Patterns.ask(emptied, new TestWriter.Write(1, false, Set.of()), TestJournal.TIMEOUT)
          .toCompletableFuture().get());
      for (int i = 1; i < writers; i++) {
        String pid = "w-" + i;
        List<TestJournal.Evt> events = state(second.actorOf(TestWriter.props(pid)));
        List<Long> seqNrs = events.stream().map(TestJournal.Evt::n).toList();
        assertEquals(LongStream.rangeClosed(1, 10L * rounds).boxed().toList(), seqNrs, pid);
        events.forEach(e -> assertEquals(pid, e.text()));
      }
    } finally {
      TestJournal.stop(second);
    }
  }

  @SuppressWarnings("unchecked")
  static List<TestJournal.Evt> state(ActorRef writer) throws Exception {
    return (List<TestJournal.Evt>) Patterns.ask(writer, TestWriter.STATE, TestJournal.TIMEOUT).toCompletableFuture().get();
  }
}
