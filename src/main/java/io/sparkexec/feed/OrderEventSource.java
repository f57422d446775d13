package io.sparkexec.feed;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Where the {@code orders} channel's events come from: the journal's "order" tag stream
 * ({@link JournalOrderEvents}), with {@code seq} its global, gap-free offset. The feed runs one source per
 * subscribed connection and never backpressures it: a connection that falls {@code WS_BUFFER}
 * messages behind is closed with {@link CloseReason#SLOW_CONSUMER_RESUME} and reconnects with
 * {@code from=<last seq it received>}.
 */
@FunctionalInterface
public interface OrderEventSource {

  /**
   * One order event: its offset in the tag stream, the order's strategy (which scoped keys may see
   * it; null when unknown: unscoped keys only) and the event as a JSON object.
   */
  record Sequenced(long seq, String strategy, String json) {}

  /** Every event with a seq above {@code afterSeq}, then the live ones; a negative {@code afterSeq} means live only. */
  Source<Sequenced, NotUsed> after(long afterSeq);
}
