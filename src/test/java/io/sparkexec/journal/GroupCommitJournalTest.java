package io.sparkexec.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The cases of Pekko's journal TCK (persistence-tck JournalSpec), ported to JUnit 5 and spoken
 * over the journal protocol exactly as the TCK does: each test starts with events 1..5 of a fresh
 * persistence id (4 and 5 in one atomic write).
 */
class GroupCommitJournalTest {

  @TempDir
  static Path dir;
  static ActorSystem system;
  static ActorRef journal;
  static final AtomicInteger ids = new AtomicInteger();

  String pid;
  final String writerUuid = UUID.randomUUID().toString();
  TestKit receiver;

  @BeforeAll
  static void start() {
    system = TestJournal.start("GroupCommitJournalTest", dir);
    journal = Persistence.get(system).journalFor("spark.journal", com.typesafe.config.ConfigFactory.empty());
  }

  @AfterAll
  static void stop() {
    TestJournal.stop(system);
  }

  @BeforeEach
  void writeFiveEvents() {
    pid = "p-" + ids.incrementAndGet();
    receiver = new TestKit(system);
    List<AtomicWrite> writes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) writes.add(AtomicWrite.apply(repr(pid, i, "a-" + i)));
    writes.add(atomic(repr(pid, 4, "a-4"), repr(pid, 5, "a-5")));
    TestKit probe = new TestKit(system);
    journal.tell(writeMessages(writes, probe.getRef()), ActorRef.noSender());
    probe.expectMsgEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$);
    for (int i = 1; i <= 5; i++) {
      JournalProtocol.WriteMessageSuccess ok = probe.expectMsgClass(JournalProtocol.WriteMessageSuccess.class);
      assertEquals(i, ok.persistent().sequenceNr());
      assertEquals("a-" + i, ok.persistent().payload());
    }
  }

  PersistentRepr repr(String persistenceId, long seqNr, Object payload) {
    return PersistentRepr.apply(payload, seqNr, persistenceId, "", false, ActorRef.noSender(), writerUuid);
  }

  static AtomicWrite atomic(PersistentRepr... events) {
    return new AtomicWrite(CollectionConverters.asScala(List.of(events)).toList());
  }

  static JournalProtocol.WriteMessages writeMessages(List<AtomicWrite> writes, ActorRef replyTo) {
    List<PersistentEnvelope> envelopes = new ArrayList<>(writes);
    return new JournalProtocol.WriteMessages(CollectionConverters.asScala(envelopes).toList(), replyTo, 1);
  }

  void replay(long from, long to, long max) {
    journal.tell(new JournalProtocol.ReplayMessages(from, to, max, pid, receiver.getRef()), ActorRef.noSender());
  }

  void expectReplayed(long... seqNrs) {
    for (long seqNr : seqNrs) {
      PersistentRepr p = receiver.expectMsgClass(JournalProtocol.ReplayedMessage.class).persistent();
      assertEquals(seqNr, p.sequenceNr());
      assertEquals("a-" + seqNr, p.payload());
      assertEquals(pid, p.persistenceId());
      assertEquals(writerUuid, p.writerUuid());
      assertTrue(p.timestamp() > 0, "timestamp kept");
    }
  }

  void expectRecoverySuccess(long highest) {
    receiver.expectMsgEquals(new JournalProtocol.RecoverySuccess(highest));
  }

  void deleteTo(long toSeqNr) {
    TestKit probe = new TestKit(system);
    journal.tell(new JournalProtocol.DeleteMessagesTo(pid, toSeqNr, probe.getRef()), ActorRef.noSender());
    probe.expectMsgEquals(new DeleteMessagesSuccess(toSeqNr));
  }

  @Test
  void replaysAllMessages() {
    replay(1, Long.MAX_VALUE, Long.MAX_VALUE);
    expectReplayed(1, 2, 3, 4, 5);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysFromALowerBound() {
    replay(3, Long.MAX_VALUE, Long.MAX_VALUE);
    expectReplayed(3, 4, 5);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysToAnUpperBound() {
    replay(1, 3, Long.MAX_VALUE);
    expectReplayed(1, 2, 3);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysUpToACountLimit() {
    replay(1, Long.MAX_VALUE, 3);
    expectReplayed(1, 2, 3);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysBetweenBounds() {
    replay(2, 3, Long.MAX_VALUE);
    expectReplayed(2, 3);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysBetweenBoundsUpToACountLimit() {
    replay(2, 5, 2);
    expectReplayed(2, 3);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysOneWhenBoundsAreEqual() {
    replay(2, 2, Long.MAX_VALUE);
    expectReplayed(2);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysOneWhenCountLimitIsOne() {
    replay(2, 4, 1);
    expectReplayed(2);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysNothingWhenCountLimitIsZero() {
    replay(2, 4, 0);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysNothingWhenLowerBoundExceedsUpperBound() {
    replay(3, 2, Long.MAX_VALUE);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysNothingForAPersistenceIdNeverWritten() {
    journal.tell(new JournalProtocol.ReplayMessages(0, Long.MAX_VALUE, Long.MAX_VALUE, "never-written", receiver.getRef()), ActorRef.noSender());
    expectRecoverySuccess(0);
  }

  @Test
  void doesNotReplayDeletedMessages() {
    deleteTo(3);
    replay(1, Long.MAX_VALUE, Long.MAX_VALUE);
    expectReplayed(4, 5);
    expectRecoverySuccess(5);
  }

  @Test
  void keepsTheHighestSequenceNrAfterDeletion() {
    deleteTo(3);
    replay(0, Long.MAX_VALUE, Long.MAX_VALUE);
    expectReplayed(4, 5);
    expectRecoverySuccess(5);
  }

  @Test
  void keepsTheHighestSequenceNrAfterDeletingEverything() {
    deleteTo(Long.MAX_VALUE);
    replay(0, Long.MAX_VALUE, Long.MAX_VALUE);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysSurvivorsWhenLowerBoundIsTheLastDeleted() {
    deleteTo(3);
    replay(3, Long.MAX_VALUE, Long.MAX_VALUE);
    expectReplayed(4, 5);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysNothingWhenUpperBoundIsInsideTheDeletedPrefix() {
    deleteTo(3);
    replay(1, 2, Long.MAX_VALUE);
    expectRecoverySuccess(5);
    replay(1, 3, Long.MAX_VALUE);
    expectRecoverySuccess(5);
  }

  @Test
  void replaysFromTheFirstSurvivor() {
    deleteTo(3);
    replay(4, Long.MAX_VALUE, Long.MAX_VALUE);
    expectReplayed(4, 5);
    expectRecoverySuccess(5);
  }

  @Test
  void rejectsANonSerializableEventAloneAndWritesTheOthers() {
    Object notSerializable = new Object();
    TestKit probe = new TestKit(system);
    List<AtomicWrite> writes = List.of(AtomicWrite.apply(repr(pid, 6, "b-6")), AtomicWrite.apply(repr(pid, 7, notSerializable)),
        AtomicWrite.apply(repr(pid, 8, "b-8")));
    journal.tell(writeMessages(writes, probe.getRef()), ActorRef.noSender());
    probe.expectMsgEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$);
    assertEquals(6, probe.expectMsgClass(JournalProtocol.WriteMessageSuccess.class).persistent().sequenceNr());
    JournalProtocol.WriteMessageRejected rejected = probe.expectMsgClass(JournalProtocol.WriteMessageRejected.class);
    assertEquals(7, rejected.message().sequenceNr());
    assertEquals(8, probe.expectMsgClass(JournalProtocol.WriteMessageSuccess.class).persistent().sequenceNr());

    journal.tell(new JournalProtocol.ReplayMessages(6, Long.MAX_VALUE, Long.MAX_VALUE, pid, receiver.getRef()), ActorRef.noSender());
    assertEquals(6, receiver.expectMsgClass(JournalProtocol.ReplayedMessage.class).persistent().sequenceNr());
    assertEquals(8, receiver.expectMsgClass(JournalProtocol.ReplayedMessage.class).persistent().sequenceNr());
    expectRecoverySuccess(8);
  }

  @Test
  void rejectsAnAtomicWriteAsAWhole() {
    TestKit probe = new TestKit(system);
    journal.tell(writeMessages(List.of(atomic(repr(pid, 6, "b-6"), repr(pid, 7, new Object()))), probe.getRef()), ActorRef.noSender());
    probe.expectMsgEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$);
    assertEquals(6, probe.expectMsgClass(JournalProtocol.WriteMessageRejected.class).message().sequenceNr());
    assertEquals(7, probe.expectMsgClass(JournalProtocol.WriteMessageRejected.class).message().sequenceNr());

    replay(6, Long.MAX_VALUE, Long.MAX_VALUE);
    expectRecoverySuccess(5);
  }

  @Test
  void serializesEventsWithPekkoSerialization() {
    TestJournal.Evt event = new TestJournal.Evt("cbor", 6);
    TestKit probe = new TestKit(system);
    journal.tell(writeMessages(List.of(AtomicWrite.apply(repr(pid, 6, event))), probe.getRef()), ActorRef.noSender());
    probe.expectMsgEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$);
    probe.expectMsgClass(JournalProtocol.WriteMessageSuccess.class);

    journal.tell(new JournalProtocol.ReplayMessages(6, Long.MAX_VALUE, Long.MAX_VALUE, pid, receiver.getRef()), ActorRef.noSender());
    PersistentRepr replayed = receiver.expectMsgClass(JournalProtocol.ReplayedMessage.class).persistent();
    assertEquals(event, replayed.payload());
    assertInstanceOf(TestJournal.Evt.class, replayed.payload());
    assertNull(replayed.sender());
    expectRecoverySuccess(6);
  }
}
