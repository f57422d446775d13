package io.sparkexec.front;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.binance.SignedCall;
import io.sparkexec.http.Json;
import io.sparkexec.venue.BinanceWire;
import io.sparkexec.venue.Signing;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The venue account's balances, for GET /api/v3/account: with VENUE=http a signed GET
 * /api/v3/account to the venue under the venue link's credentials, at most once per
 * {@code cache} (every bot's account poll would otherwise cost the venue's rate limit); with the
 * in-process simulated venue there is no venue account: no balances.
 */
final class VenueAccount {

  private static final Logger log = LoggerFactory.getLogger(VenueAccount.class);

  /** The venue link's address and credentials (spark.venue.http). */
  record Link(String url, String apiKey, Signing signing, long recvWindowMs) {}

  private record Cached(long at, CompletionStage<JsonNode> balances) {}

  private final Link link;
  private final Duration cache;
  private final ActorSystem<?> system;
  private final Clock clock;
  private final AtomicReference<Cached> last = new AtomicReference<>();

  /** {@code link} null: the in-process simulated venue. */
  VenueAccount(Link link, Duration cache, ActorSystem<?> system, Clock clock) {
    this.link = link;
    this.cache = cache;
    this.system = system;
    this.clock = clock;
  }

  /** The venue's balances array (Binance's shape), an empty one without a venue account; fails when the venue does not answer. */
  CompletionStage<JsonNode> balances() {
    if (link == null) return CompletableFuture.completedFuture(Json.MAPPER.createArrayNode());
    long now = clock.millis();
    Cached c = last.get();
    if (c != null && now - c.at() < cache.toMillis()) return c.balances();
    Cached next = new Cached(now, fetch(now));
    // one caller fetches per period; another that raced it takes the winner's answer
    if (!last.compareAndSet(c, next)) return last.get().balances();
    next.balances().whenComplete((b, error) -> {
      if (error != null) {
        log.warn("event=binance_front_account_failed error=\"{}\"", error.toString());
        last.compareAndSet(next, null);
      }
    });
    return next.balances();
  }

  private CompletionStage<JsonNode> fetch(long now) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("omitZeroBalances", "false");
    params.put("recvWindow", String.valueOf(link.recvWindowMs()));
    params.put("timestamp", String.valueOf(now));
    String query = BinanceWire.query(params);
    HttpRequest request = HttpRequest.GET(link.url() + "/api/v3/account?" + query + "&signature=" + link.signing().sign(query))
        .addHeader(RawHeader.create(SignedCall.API_KEY_HEADER, link.apiKey()));
    return Http.get(system).singleRequest(request)
        .thenCompose(r -> r.entity().toStrict(10_000, system).thenApply(e -> {
          String body = e.getData().utf8String();
          if (r.status().intValue() != 200) throw new IllegalStateException("venue answered " + r.status().intValue() + " " + body);
          JsonNode node = Json.parse(body).node();
          JsonNode balances = node == null ? null : node.path("balances");
          if (balances == null || !balances.isArray()) throw new IllegalStateException("venue account without balances");
          return balances;
        }));
  }
}
