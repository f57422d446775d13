package io.sparkexec.venue;

import io.sparkexec.metrics.Metrics;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ClientTransport;
import org.apache.pekko.http.javadsl.OutgoingConnection;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Plain TCP that counts the connections the pool opens and holds, since Pekko's pool does not say
 * which requests reused one. Every new connection serves at least one request first, so a
 * request answered while no fresh connection is unclaimed went over a reused one.
 */
public final class PoolTransport extends ClientTransport {

  private final ClientTransport tcp = ClientTransport.TCP();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong unclaimedFresh = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong reused = new AtomicLong();

  @Override
  public Flow<ByteString, ByteString, CompletionStage<OutgoingConnection>> connectTo(
      String host, int port, ClientConnectionSettings settings, ActorSystem system) {
    return tcp.connectTo(host, port, settings, system)
        .mapMaterializedValue(connected -> connected.thenApply(c -> {
          opened.incrementAndGet();
          unclaimedFresh.incrementAndGet();
          Metrics.HTTP_KEEPALIVE_OPENED.withoutTags().increment();
          Metrics.HTTP_KEEPALIVE_CONNECTIONS.withoutTags().update(open.incrementAndGet());
          return c;
        }))
        .watchTermination((connected, done) -> {
          done.whenComplete((d, e) -> connected.whenComplete((c, notConnected) -> {
            if (notConnected == null) Metrics.HTTP_KEEPALIVE_CONNECTIONS.withoutTags().update(open.decrementAndGet());
          }));
          return connected;
        });
  }

  /** A request got an HTTP answer: it went over a fresh connection or a reused one. */
  void answered() {
    requests.incrementAndGet();
    if (unclaimedFresh.getAndUpdate(n -> n > 0 ? n - 1 : 0) == 0) {
      reused.incrementAndGet();
      Metrics.HTTP_KEEPALIVE_REUSED.withoutTags().increment();
    }
  }

  public record Stats(long requests, long connectionsOpened, long connectionsOpen, long reused) {
    public double reuseRatio() {
      return requests == 0 ? 0 : (double) reused / requests;
    }
  }

  Stats stats() {
    return new Stats(requests.get(), opened.get(), open.get(), reused.get());
  }
}
