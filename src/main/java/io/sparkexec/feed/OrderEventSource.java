package io.sparkexec.feed;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Where the {@code orders} channel's events come from: the journal's "order" tag stream
 * ({@link JournalOrderEvents}), with {@code seq} its offset: increasing; gap-free on our LevelDB
 * journal (but for deleted events), with gaps on {@code JOURNAL=postgres}, whose offset is the
 * journal's ordering column. The feed reads it through {@link OrderFanout}: one live reader for every connection,
 * and a cursor of its own only for a client resuming from further back than the fan-out keeps.
 */
public interface OrderEventSource {

  /**
   * One order event: its offset in the tag stream, the order's strategy (which scoped keys may see
   * it; null when unknown: unscoped keys only) and the channel message as clients receive it,
   * rendered once for all of them.
   */
  record Sequenced(long seq, String strategy, String json) {

    /** The message {"channel":"orders","seq":N,"event":EVENT} around an event's JSON object. */
    public static Sequenced of(long seq, String strategy, String eventJson) {
      return new Sequenced(seq, strategy, "{\"channel\":\"orders\",\"seq\":" + seq + ",\"event\":" + eventJson + "}");
    }
  }

  /** Every event with a seq above {@code afterSeq} (0 or more), then the live ones (the journal's never completes). */
  Source<Sequenced, NotUsed> after(long afterSeq);

  /** The newest seq now (0 before the first event). */
  CompletionStage<Long> head();
}
