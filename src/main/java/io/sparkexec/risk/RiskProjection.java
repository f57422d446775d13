package io.sparkexec.risk;

import io.sparkexec.order.OrderDesk;
import java.time.Duration;
import java.util.ArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.stream.AbruptStageTerminationException;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the ledger from the order room's tag stream ("order"), live, from the offset the ledger
 * has journaled. Batches bound the ledger's writes; one batch in flight at a time keeps the
 * offsets in order. Restarted with backoff on failure, from the ledger's offset again.
 */
public final class RiskProjection {

  private static final Logger log = LoggerFactory.getLogger(RiskProjection.class);

  private RiskProjection() {}

  public static void start(ActorSystem<?> system, String readJournalId, ActorRef<RiskLedger.Command> ledger, int batchSize,
      Duration batchWindow, Duration askTimeout) {
    EventsByTagQuery query = PersistenceQuery.get(system).getReadJournalFor(EventsByTagQuery.class, readJournalId);
    RestartSettings restart = RestartSettings.create(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2);
    RestartSource.withBackoff(restart, () ->
            Source.completionStage(AskPattern.<RiskLedger.Command, Long>ask(ledger, RiskLedger.GetOffset::new, askTimeout, system.scheduler()))
                .flatMapConcat(offset -> {
                  log.info("event=risk_projection_started readJournal={} fromOffset={}", readJournalId, offset);
                  return query.eventsByTag(OrderDesk.TAG, Sequence.apply(offset));
                })
                .map(RiskProjection::entry)
                .groupedWithin(batchSize, batchWindow)
                .mapAsync(1, batch -> AskPattern.<RiskLedger.Command, Done>ask(ledger,
                    replyTo -> new RiskLedger.Apply(new ArrayList<>(batch), replyTo), askTimeout, system.scheduler())))
        .runWith(Sink.ignore(), system)
        .whenComplete((done, error) -> {
          // the stream restarts itself on failures; it ends only with the actor system
          if (error != null && !(error instanceof AbruptStageTerminationException)) {
            log.error("event=risk_projection_stopped error=\"{}\"", error.toString());
          }
        });
  }

  private static RiskLedger.Entry entry(EventEnvelope env) {
    if (!(env.offset() instanceof Sequence seq)) {
      throw new IllegalStateException("the order read journal must give Sequence offsets, got " + env.offset());
    }
    return new RiskLedger.Entry(seq.value(), env.event() instanceof OrderDesk.Event e ? RiskLedger.factOf(e.clientOrderId(), e) : null);
  }
}
