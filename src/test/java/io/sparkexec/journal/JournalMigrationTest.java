package io.sparkexec.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.journal.leveldb.javadsl.LeveldbReadJournal;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by Pekko's built-in LevelDB plugin (tags, atomic batches, a range deletion, a
 * delete-all) is migrated, then our plugin replays the same events, keeps highest sequence nrs and
 * serves the tag stream with the same offsets.
 */
class JournalMigrationTest {

  @TempDir
  Path dir;

  record Tagged(String persistenceId, long sequenceNr, long offset) {}

  @Test
  void migratesABuiltInJournal() throws Exception {
    Path builtinDir = dir.resolve("builtin");
    Map<String, List<TestJournal.Evt>> written = new HashMap<>();
    List<Tagged> builtinTagStream;
    ActorSystem builtin = ActorSystem.create("builtin", TestJournal.config(dir, """
        pekko.persistence.journal.plugin = "pekko.persistence.journal.leveldb"
        pekko.persistence.journal.leveldb.dir = "%s"
        pekko.persistence.journal.leveldb.fsync = off
        """.formatted(builtinDir.toString().replace("\\", "/"))));
    try {
      for (int i = 0; i < 4; i++) {
        ActorRef writer = builtin.actorOf(TestWriter.props("m-" + i));
        write(writer, 3, true, "mig");
        write(writer, 4, false, "mig", "even-" + (i % 2 == 0));
        write(writer, 2, true);
      }
      delete(builtin.actorOf(TestWriter.props("m-1")), 5);
      delete(builtin.actorOf(TestWriter.props("m-3")), Long.MAX_VALUE);
      for (int i = 0; i < 4; i++) written.put("m-" + i, GroupCommitPersistenceTest.state(builtin.actorOf(TestWriter.props("m-" + i))));
      LeveldbReadJournal queries = PersistenceQuery.get(builtin).getReadJournalFor(LeveldbReadJournal.class, LeveldbReadJournal.Identifier());
      builtinTagStream = tagStream(builtin, queries.currentEventsByTag("mig", NoOffset.getInstance()).runWith(Sink.seq(), builtin)
          .toCompletableFuture().get(20, TimeUnit.SECONDS));
    } finally {
      TestJournal.stop(builtin);
    }

    JournalMigration.Result result = JournalMigration.run(builtinDir.toFile(), dir.resolve("journal").toFile());
    assertEquals(4, result.persistenceIds());
    assertEquals(36 - 5 - 9, result.events(), "written minus deleted");
    assertThrows(IOException.class, () -> JournalMigration.run(builtinDir.toFile(), dir.resolve("journal").toFile()), "target not empty");

    ActorSystem ours = TestJournal.start("migrated", dir);
    try {
      for (int i = 0; i < 4; i++) {
        String pid = "m-" + i;
        assertEquals(written.get(pid), GroupCommitPersistenceTest.state(ours.actorOf(TestWriter.props(pid))), pid);
      }
      assertEquals(List.of(), written.get("m-3"));
      ActorRef emptied = ours.actorOf(TestWriter.props("m-3"));
      GroupCommitPersistenceTest.state(emptied);
      assertEquals(10L, write(emptied, 1, false), "highest sequence nr 9 kept after deleting every event");

      GroupCommitReadJournal queries = PersistenceQuery.get(ours).getReadJournalFor(GroupCommitReadJournal.class, GroupCommitReadJournal.IDENTIFIER);
      List<Tagged> ourTagStream = tagStream(ours, queries.currentEventsByTag("mig", NoOffset.getInstance()).runWith(Sink.seq(), ours)
          .toCompletableFuture().get(20, TimeUnit.SECONDS));
      // the built-in journal keeps tagged copies of deleted events; ours only serves live events, at the same offsets
      List<Tagged> surviving = builtinTagStream.stream()
          .filter(t -> written.get(t.persistenceId()).stream().anyMatch(e -> e.n() == t.sequenceNr()))
          .toList();
      assertEquals(surviving, ourTagStream);
      assertEquals(Set.of("m-0", "m-1", "m-2", "m-3"), Set.copyOf(queries.currentPersistenceIds()
          .runWith(Sink.seq(), ours).toCompletableFuture().get(20, TimeUnit.SECONDS)));
    } finally {
      TestJournal.stop(ours);
    }
  }

  private static long write(ActorRef writer, int count, boolean atomic, String... tags) throws Exception {
    return (Long) Patterns.ask(writer, new TestWriter.Write(count, atomic, Set.of(tags)), TestJournal.TIMEOUT).toCompletableFuture().get();
  }

  private static void delete(ActorRef writer, long toSequenceNr) throws Exception {
    Patterns.ask(writer, new TestWriter.Delete(toSequenceNr), TestJournal.TIMEOUT).toCompletableFuture().get();
  }

  private static List<Tagged> tagStream(ActorSystem system, List<EventEnvelope> envelopes) {
    return envelopes.stream()
        .map(e -> new Tagged(e.persistenceId(), e.sequenceNr(), ((org.apache.pekko.persistence.query.Sequence) e.offset()).value()))
        .toList();
  }
}
