package io.sparkexec.batch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;

/**
 * Natural batching with a linger bound. Elements come in chunks (a desk's batch is one chunk, so
 * it is never split by arriving one order at a time). Takes what is available up to {@code maxSize}; when no
 * batch is in flight it sends at once (no latency tax under light load); while batches are in
 * flight it lets a partial batch fill for at most {@code linger}; never more than
 * {@code parallelism} dispatches in flight. It pulls only while the forming batch has room,
 * so a slow venue backpressures into the bounded queue in front of it.
 */
final class MicroBatchSink<T> extends GraphStage<SinkShape<List<T>>> {

  private final Inlet<List<T>> in = Inlet.create("MicroBatchSink.in");
  private final SinkShape<List<T>> shape = SinkShape.of(in);
  private final int maxSize;
  private final long lingerNanos;
  private final int parallelism;
  private final ToLongFunction<T> enqueuedAtNanos;
  private final Function<List<T>, CompletionStage<?>> dispatch;

  MicroBatchSink(int maxSize, Duration linger, int parallelism, ToLongFunction<T> enqueuedAtNanos, Function<List<T>, CompletionStage<?>> dispatch) {
    if (maxSize < 1 || parallelism < 1) throw new IllegalArgumentException("maxSize and parallelism must be >= 1");
    this.maxSize = maxSize;
    this.lingerNanos = linger.toNanos();
    this.parallelism = parallelism;
    this.enqueuedAtNanos = enqueuedAtNanos;
    this.dispatch = dispatch;
  }

  @Override
  public SinkShape<List<T>> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private final ArrayList<T> forming = new ArrayList<>(maxSize);
      private int inFlight;
      private boolean timerArmed;
      private AsyncCallback<Done> batchDone;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            forming.addAll(grab(in));
            flushDue();
            pullIfRoom();
          }

          @Override
          public void onUpstreamFinish() {
            flushDue();
            completeIfDrained();
          }
        });
      }

      @Override
      public void preStart() {
        batchDone = createAsyncCallback(done -> {
          inFlight--;
          flushDue();
          pullIfRoom();
          completeIfDrained();
        });
        pull(in);
      }

      @Override
      public void onTimer(Object key) {
        timerArmed = false;
        flushDue();
        pullIfRoom();
      }

      private void flushDue() {
        while (!forming.isEmpty() && inFlight < parallelism) {
          boolean due = forming.size() >= maxSize
              || inFlight == 0
              || isClosed(in)
              || System.nanoTime() - enqueuedAtNanos.applyAsLong(forming.get(0)) >= lingerNanos;
          if (!due) break;
          send();
        }
        if (!forming.isEmpty() && !timerArmed && inFlight < parallelism) {
          long waited = System.nanoTime() - enqueuedAtNanos.applyAsLong(forming.get(0));
          scheduleOnce("linger", Duration.ofNanos(Math.max(0, lingerNanos - waited)));
          timerArmed = true;
        }
      }

      private void send() {
        int n = Math.min(maxSize, forming.size());
        List<T> batch = new ArrayList<>(forming.subList(0, n));
        forming.subList(0, n).clear();
        inFlight++;
        CompletionStage<?> sent;
        try {
          sent = dispatch.apply(batch);
        } catch (RuntimeException e) {
          inFlight--;
          throw e;
        }
        sent.whenComplete((result, error) -> batchDone.invoke(Done.getInstance()));
      }

      private void pullIfRoom() {
        if (forming.size() < maxSize && !hasBeenPulled(in) && !isClosed(in)) pull(in);
      }

      private void completeIfDrained() {
        if (isClosed(in) && forming.isEmpty() && inFlight == 0) completeStage();
      }
    };
  }
}
