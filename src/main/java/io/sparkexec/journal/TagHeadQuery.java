package io.sparkexec.journal;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The newest offset of a tag, read from a counter rather than by reading the tag: Pekko's query
 * interfaces have no such call, so a live-only reader would otherwise scan the whole tag first.
 */
public interface TagHeadQuery {

  /** One element: the tag's highest offset now (0 for a tag never written). */
  Source<Long, NotUsed> tagHead(String tag);
}
