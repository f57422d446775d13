package io.sparkexec.journal;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A query source over the store: reads a bounded chunk per demand; a current query completes when
 * caught up, a live one waits for the writer's commit notification (no polling) and reads again.
 * Reads block briefly, so the read journal runs this stage on the query dispatcher.
 */
final class JournalSource<T> extends GraphStage<SourceShape<T>> {

  /** One materialization's cursor over the journal. */
  interface Reader<T> {
    /** The next elements after the cursor, advancing it; empty when caught up. */
    List<T> next(int max);

    /** Nothing more will come: the query's bound is reached. */
    boolean finished();

    /** Whether this commit may have added something for this query (called on the writer thread). */
    boolean wakesOn(JournalStore.Committed committed);
  }

  private final Outlet<T> out = Outlet.create("JournalSource.out");
  private final SourceShape<T> shape = SourceShape.of(out);
  private final JournalStore store;
  private final Supplier<Reader<T>> readers;
  private final boolean live;
  private final int maxBuffer;

  JournalSource(JournalStore store, Supplier<Reader<T>> readers, boolean live, int maxBuffer) {
    this.store = store;
    this.readers = readers;
    this.live = live;
    this.maxBuffer = maxBuffer;
  }

  @Override
  public SourceShape<T> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private final ArrayDeque<T> buffer = new ArrayDeque<>();
      private Reader<T> reader;
      private JournalStore.Listener listener;
      private boolean waiting;

      {
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            deliver();
          }
        });
      }

      @Override
      public void preStart() {
        reader = readers.get();
        if (live) {
          AsyncCallback<JournalStore.Committed> wake = createAsyncCallback(c -> onCommitted());
          Reader<T> r = reader;
          listener = c -> {
            if (r.wakesOn(c)) wake.invoke(c);
          };
          store.subscribe(listener);
        }
      }

      private void onCommitted() {
        if (waiting && isAvailable(out)) {
          waiting = false;
          deliver();
        }
      }

      private void deliver() {
        if (buffer.isEmpty()) {
          if (reader.finished()) {
            completeStage();
            return;
          }
          buffer.addAll(reader.next(maxBuffer));
          if (buffer.isEmpty()) {
            if (live) waiting = true;
            else completeStage();
            return;
          }
        }
        push(out, buffer.poll());
        if (buffer.isEmpty() && reader.finished()) completeStage();
      }

      @Override
      public void postStop() {
        if (listener != null) store.unsubscribe(listener);
      }
    };
  }
}
