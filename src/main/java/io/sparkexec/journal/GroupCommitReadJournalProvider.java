package io.sparkexec.journal;

import com.typesafe.config.Config;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.ReadJournalProvider;

/** Registers {@link GroupCommitReadJournal} with Pekko Persistence Query (javadsl only). */
public final class GroupCommitReadJournalProvider implements ReadJournalProvider {

  private final GroupCommitReadJournal javadsl;

  public GroupCommitReadJournalProvider(ExtendedActorSystem system, Config config) {
    this.javadsl = new GroupCommitReadJournal(system, config);
  }

  @Override
  public org.apache.pekko.persistence.query.javadsl.ReadJournal javadslReadJournal() {
    return javadsl;
  }

  /** Java-only product: the Scala DSL offers no queries. */
  @Override
  public org.apache.pekko.persistence.query.scaladsl.ReadJournal scaladslReadJournal() {
    return new org.apache.pekko.persistence.query.scaladsl.ReadJournal() {};
  }
}
