package io.sparkexec.journal;

import java.util.function.UnaryOperator;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * The snapshot adapter of an entity whose state is mutable and changed in place: a copy goes to
 * the store (made on the entity's thread; the store serializes it later, while the entity moves
 * on), and a copy comes back (a store that hands back objects, not bytes, would otherwise see the
 * entity change its snapshot).
 */
public final class CopyingSnapshotAdapter<S> implements SnapshotAdapter<S> {

  private final Class<S> type;
  private final UnaryOperator<S> copy;

  public CopyingSnapshotAdapter(Class<S> type, UnaryOperator<S> copy) {
    this.type = type;
    this.copy = copy;
  }

  @Override
  public Object toJournal(S state) {
    return copy.apply(state);
  }

  @Override
  public S fromJournal(Object from) {
    return copy.apply(type.cast(from));
  }
}
