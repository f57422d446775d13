package io.sparkexec.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.feed.FeedHub;
import io.sparkexec.feed.FeedRoutes;
import io.sparkexec.feed.FeedSettings;
import io.sparkexec.feed.OrderEventSource;
import io.sparkexec.feed.WsTokens;
import io.sparkexec.http.Auth;
import io.sparkexec.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The feed's side of the WebSocket benchmark against a Node {@code ws} server
 * (docs/bench/run-ws-bench.sh): the real feed (FeedHub, FeedRoutes, the permessage-deflate shim)
 * on a port, whose orders channel replays a file of real order-event JSON lines, one per seq, as
 * fast as each connection takes them. A file instead of the journal, so the figure is the feed's
 * speed, not the order path's; both servers send the same bytes.
 *
 * <p>Usage: {@code ws-bench-server PORT EVENTS_FILE COUNT}: every connection with {@code from=0}
 * gets COUNT messages, cycling through the file's lines.
 */
public final class WsFeedBench {

  private WsFeedBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: ws-bench-server PORT EVENTS_FILE COUNT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    List<String> events = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    long count = Long.parseLong(args[2]);
    // the whole run may sit in a connection's buffer: the peer buffers without bound too
    Config config = AppConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = WARNING
        spark.feed.buffer = %d
        """.formatted(count + 64)));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ws-bench", config);
    FeedSettings settings = FeedSettings.fromConfig(config.getConfig("spark.feed"));
    // the file stands in for a journal whose head is COUNT: each from=0 client catches up through its own read of it
    OrderEventSource source = new OrderEventSource() {
      @Override
      public Source<OrderEventSource.Sequenced, NotUsed> after(long afterSeq) {
        return Source.range((int) afterSeq + 1, (int) count).map(i -> OrderEventSource.Sequenced.of(i, null, events.get((i - 1) % events.size())));
      }

      @Override
      public CompletionStage<Long> head() {
        return CompletableFuture.completedFuture(count);
      }
    };
    FeedHub hub = FeedHub.start(system, settings, Source.empty(), source, Clock.systemUTC());
    Auth auth = Auth.fromConfig(config.getConfig("spark.auth"), "paper");
    WsTokens tokens = new WsTokens(settings.tokenTtl(), settings.maxTokens(), settings.maxTokensPerKey(), Clock.systemUTC());
    Http.get(system).newServerAt("127.0.0.1", port)
        .bind(HttpServer.edge(List.of(new FeedRoutes(hub, tokens, auth).route())))
        .toCompletableFuture().get();
    System.out.println("ws-bench-server listening port=" + port + " events=" + events.size() + " count=" + count
        + " deflateLevel=" + settings.deflateLevel());
  }
}
