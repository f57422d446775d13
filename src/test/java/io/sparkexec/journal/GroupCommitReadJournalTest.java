package io.sparkexec.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read journal: events by persistence id and by tag (current ones complete, live ones follow
 * new writes), tag offsets gap-free and exclusive on resume, persistence ids, and the lookup the
 * order start-up scan uses. Each test uses its own ids and tags on one shared system.
 */
class GroupCommitReadJournalTest {

  @TempDir
  static Path dir;
  static ActorSystem system;
  static GroupCommitReadJournal queries;

  @BeforeAll
  static void start() {
    system = TestJournal.start("GroupCommitReadJournalTest", dir);
    queries = PersistenceQuery.get(system).getReadJournalFor(GroupCommitReadJournal.class, GroupCommitReadJournal.IDENTIFIER);
  }

  @AfterAll
  static void stop() {
    TestJournal.stop(system);
  }

  static long write(ActorRef writer, int count, boolean atomic, String... tags) throws Exception {
    return (Long) Patterns.ask(writer, new TestWriter.Write(count, atomic, Set.of(tags)), TestJournal.TIMEOUT).toCompletableFuture().get();
  }

  static <T> List<T> run(Source<T, NotUsed> source) throws Exception {
    return source.runWith(Sink.seq(), system).toCompletableFuture().get(TestJournal.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  static List<Long> seqNrs(List<EventEnvelope> envelopes) {
    return envelopes.stream().map(EventEnvelope::sequenceNr).toList();
  }

  static List<Long> offsets(List<EventEnvelope> envelopes) {
    return envelopes.stream().map(e -> ((Sequence) e.offset()).value()).toList();
  }

  static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void currentEventsByPersistenceIdReadsARangeAndCompletes() throws Exception {
    ActorRef writer = system.actorOf(TestWriter.props("by-pid-current"));
    write(writer, 5, true);
    List<EventEnvelope> all = run(queries.currentEventsByPersistenceId("by-pid-current", 0, Long.MAX_VALUE));
    assertEquals(range(1, 5), seqNrs(all));
    assertEquals(range(1, 5), offsets(all));
    assertEquals(new TestJournal.Evt("by-pid-current", 3), all.get(2).event());
    assertTrue(all.get(0).timestamp() > 0);
    assertEquals(range(2, 3), seqNrs(run(queries.currentEventsByPersistenceId("by-pid-current", 2, 3))));
    assertEquals(List.of(), run(queries.currentEventsByPersistenceId("never-written", 0, Long.MAX_VALUE)));
  }

  @Test
  void eventsByPersistenceIdFollowsNewWrites() throws Exception {
    ActorRef writer = system.actorOf(TestWriter.props("by-pid-live"));
    write(writer, 2, false);
    CompletionStage<List<EventEnvelope>> live = queries.eventsByPersistenceId("by-pid-live", 0, Long.MAX_VALUE).take(7).runWith(Sink.seq(), system);
    write(writer, 5, false);
    assertEquals(range(1, 7), seqNrs(live.toCompletableFuture().get(20, TimeUnit.SECONDS)));
    // a live query bounded by toSequenceNr completes there
    assertEquals(range(3, 4), seqNrs(run(queries.eventsByPersistenceId("by-pid-live", 3, 4))));
  }

  @Test
  void currentEventsByTagHasGapFreeOffsetsAndResumesExclusively() throws Exception {
    List<CompletableFuture<Object>> writes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ActorRef writer = system.actorOf(TestWriter.props("tagged-" + i));
      for (int round = 0; round < 3; round++) {
        writes.add(Patterns.ask(writer, new TestWriter.Write(5, round % 2 == 0, Set.of("blue")), TestJournal.TIMEOUT).toCompletableFuture());
      }
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();

    List<EventEnvelope> all = run(queries.currentEventsByTag("blue", NoOffset.getInstance()));
    assertEquals(range(1, 60), offsets(all));
    for (int i = 0; i < 4; i++) {
      String pid = "tagged-" + i;
      assertEquals(range(1, 15), seqNrs(all.stream().filter(e -> e.persistenceId().equals(pid)).toList()), pid);
    }
    // exclusive: resuming from the offset of the 10th envelope starts at the 11th
    List<EventEnvelope> resumed = run(queries.currentEventsByTag("blue", Offset.sequence(10)));
    assertEquals(range(11, 60), offsets(resumed));
    assertEquals(all.subList(10, 60), resumed);
    assertEquals(all, run(queries.currentEventsByTag("blue", Offset.sequence(0))));
    assertEquals(List.of(), run(queries.currentEventsByTag("no-such-tag", NoOffset.getInstance())));
    // the head comes from the tag's counter and equals the last offset the tag stream gives
    assertEquals(List.of(60L), run(queries.tagHead("blue")));
    assertEquals(List.of(0L), run(queries.tagHead("no-such-tag")));
  }

  @Test
  void eventsByTagDeliversNewWritesAfterTheGivenOffset() throws Exception {
    ActorRef a = system.actorOf(TestWriter.props("live-tag-a"));
    ActorRef b = system.actorOf(TestWriter.props("live-tag-b"));
    write(a, 3, true, "green");
    CompletionStage<List<EventEnvelope>> live = queries.eventsByTag("green", Offset.sequence(3)).take(6).runWith(Sink.seq(), system);
    write(b, 2, false, "green", "other");
    write(a, 4, true, "green");
    List<EventEnvelope> got = live.toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(range(4, 9), offsets(got));
    assertEquals(List.of("live-tag-b", "live-tag-b", "live-tag-a", "live-tag-a", "live-tag-a", "live-tag-a"),
        got.stream().map(EventEnvelope::persistenceId).toList());
    assertEquals(range(1, 2), offsets(run(queries.currentEventsByTag("other", NoOffset.getInstance()))));
  }

  @Test
  void tagStreamSkipsDeletedEventsAndKeepsOffsets() throws Exception {
    ActorRef writer = system.actorOf(TestWriter.props("tag-deleted"));
    write(writer, 6, false, "red");
    Patterns.ask(writer, new TestWriter.Delete(4), TestJournal.TIMEOUT).toCompletableFuture().get();
    List<EventEnvelope> survivors = run(queries.currentEventsByTag("red", NoOffset.getInstance()));
    assertEquals(range(5, 6), offsets(survivors));
    assertEquals(range(5, 6), seqNrs(survivors));
  }

  @Test
  void persistenceIdsListsExistingThenNewIds() throws Exception {
    write(system.actorOf(TestWriter.props("ids-1")), 1, false);
    List<String> current = run(queries.currentPersistenceIds());
    assertTrue(current.contains("ids-1"));
    assertEquals(current.size(), Set.copyOf(current).size(), "no duplicates");

    CompletionStage<List<String>> live = queries.persistenceIds().filter(id -> id.startsWith("ids-")).take(3).runWith(Sink.seq(), system);
    write(system.actorOf(TestWriter.props("ids-2")), 1, false);
    write(system.actorOf(TestWriter.props("ids-3")), 1, false);
    assertEquals(List.of("ids-1", "ids-2", "ids-3"), live.toCompletableFuture().get(20, TimeUnit.SECONDS));
  }

  @Test
  void typedTagsReachTheStreamTheOrderScanReads() throws Exception {
    var typed = Adapter.toTyped(system);
    var counter = Adapter.spawn(system, TaggedCounter.create(PersistenceId.ofUniqueId("typed-1")), "typed-1");
    for (int i = 1; i <= 3; i++) {
      int n = i;
      AskPattern.<TaggedCounter.Command, Long>ask(counter, replyTo -> new TaggedCounter.Add(n, replyTo), TestJournal.TIMEOUT, typed.scheduler())
          .toCompletableFuture().get();
    }
    CurrentEventsByTagQuery scan = PersistenceQuery.get(system).getReadJournalFor(CurrentEventsByTagQuery.class, GroupCommitReadJournal.IDENTIFIER);
    List<EventEnvelope> events = scan.currentEventsByTag(TaggedCounter.TAG, NoOffset.getInstance()).runWith(Sink.seq(), system)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(range(1, 3), offsets(events));
    events.forEach(e -> assertInstanceOf(TaggedCounter.Added.class, e.event()));
    assertEquals(List.of(1, 2, 3), events.stream().sorted(Comparator.comparingLong(EventEnvelope::sequenceNr))
        .map(e -> ((TaggedCounter.Added) e.event()).amount()).toList());
  }
}
