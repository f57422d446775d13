package io.sparkexec.journal;

import java.nio.file.Path;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.pattern.Patterns;

/**
 * The child process of {@link JournalCrashTest}: writers append atomic batches of
 * {@value #BATCH} tagged events with fsync on, forever, and print {@code CONFIRMED <pid> <seqNr>}
 * once each batch is acknowledged by the journal. Killed with SIGKILL by the test.
 */
public final class CrashWriterMain {

  static final int BATCH = 3;
  static final int WRITERS = 4;
  static final String TAG = "crash";

  private CrashWriterMain() {}

  public static void main(String[] args) {
    ActorSystem system = ActorSystem.create("crash-writer", TestJournal.config(Path.of(args[0]), "spark.journal.fsync = on"));
    for (int i = 0; i < WRITERS; i++) {
      String pid = "crash-" + i;
      loop(system.actorOf(TestWriter.props(pid)), pid);
    }
  }

  private static void loop(ActorRef writer, String pid) {
    Patterns.ask(writer, new TestWriter.Write(BATCH, true, Set.of(TAG)), TestJournal.TIMEOUT).whenComplete((seqNr, error) -> {
      if (error != null) {
        System.out.println("FAILED " + pid + " " + error);
        return;
      }
      System.out.println("CONFIRMED " + pid + " " + seqNr);
      loop(writer, pid);
    });
  }
}
