package io.sparkexec.binance;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.toStrictEntity;

import io.sparkexec.venue.Signing;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The common part of every Binance API call, for the simulator and the front door alike: the
 * body read strictly (bounded in size and time), the call weighed against the key's rate limits,
 * then checked as its endpoint requires: API key, HMAC-SHA256 signature over the query string
 * followed by the form body, timestamp within recvWindow. Nothing here blocks.
 *
 * @param <K> who holds an API key (the simulator's one account, a front-door key's principal)
 */
public final class SignedCall<K> {

  private static final Logger log = LoggerFactory.getLogger(SignedCall.class);
  public static final String API_KEY_HEADER = "X-MBX-APIKEY";
  private static final long DEFAULT_RECV_WINDOW = 5000;
  private static final long MAX_RECV_WINDOW = 60_000;
  // how far ahead of our clock a client's timestamp may be (Binance allows 1 s)
  private static final long MAX_CLOCK_AHEAD = 1000;
  // unknown keys share one budget, so made-up keys cannot grow the limiter's table
  private static final String ANONYMOUS = "anonymous";

  public enum Access {
    PUBLIC,
    API_KEY,
    SIGNED
  }

  /** The API keys a server knows. */
  public interface Keys<K> {
    /** Who holds this key, or null. */
    K find(String apiKey);

    /** The secret the holder signs with. */
    Signing signing(K holder);

    /** The holder's name in the rate limiter (one budget per name). */
    String account(K holder);
  }

  /** A call that passed: its parameters (query string and form body together) and who made it (null on a public endpoint without a key). */
  public record Call<K>(Query query, K holder) {}

  private final Keys<K> keys;
  private final RateLimits limits;
  private final long maxBodyBytes;
  private final Duration bodyReadTimeout;
  private final String room;
  private final Clock clock;
  private final String usedWeightHeader;
  private final String orderCountHeader;

  /** {@code room}: the log events' prefix (venue_sim, binance_front). */
  public SignedCall(Keys<K> keys, RateLimits limits, long maxBodyBytes, Duration bodyReadTimeout, String room, Clock clock) {
    this.keys = keys;
    this.limits = limits;
    this.maxBodyBytes = maxBodyBytes;
    this.bodyReadTimeout = bodyReadTimeout;
    this.room = room;
    this.clock = clock;
    this.usedWeightHeader = "X-MBX-USED-WEIGHT-" + interval(limits.settings().weightWindow());
    this.orderCountHeader = "X-MBX-ORDER-COUNT-" + interval(limits.settings().ordersWindow());
  }

  /** Binance's interval letters: 1S, 10S, 1M. */
  private static String interval(Duration window) {
    long s = window.toSeconds();
    return s % 60 == 0 ? (s / 60) + "M" : s + "S";
  }

  public String usedWeightHeader() {
    return usedWeightHeader;
  }

  public RateLimits limits() {
    return limits;
  }

  /**
   * Binance takes a request's parameters from the query string, an
   * application/x-www-form-urlencoded body, or both (a signature then covers the query string
   * followed by the body). {@code orders}: how many orders the call places (0: none).
   */
  public Route call(Access access, ToIntFunction<Query> weight, ToIntFunction<Query> orders, Function<Call<K>, CompletionStage<HttpResponse>> handler) {
    return extractRequest(declared -> declared.entity().getContentLengthOption().orElse(0) > maxBodyBytes
        ? complete(BinanceErrors.response(413, BinanceErrors.UNKNOWN, "Request body larger than " + maxBodyBytes + " bytes."))
        : toStrictEntity(bodyReadTimeout, maxBodyBytes,
            () -> extractRequest(request -> completeWithFuture(handle(request, access, weight, orders, handler)))));
  }

  private static String formBody(HttpRequest request) {
    if (!(request.entity() instanceof HttpEntity.Strict strict) || strict.getData().isEmpty()) return "";
    if (!strict.getContentType().mediaType().equals(MediaTypes.APPLICATION_X_WWW_FORM_URLENCODED)) return "";
    return strict.getData().utf8String();
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request, Access access, ToIntFunction<Query> weight, ToIntFunction<Query> orders,
      Function<Call<K>, CompletionStage<HttpResponse>> handler) {
    long now = clock.millis();
    String rawQuery = request.getUri().rawQueryString().orElse("");
    String body = formBody(request);
    Query query = Query.create(rawQuery.isEmpty() ? body : body.isEmpty() ? rawQuery : rawQuery + "&" + body);
    String key = request.getHeader(API_KEY_HEADER).map(HttpHeader::value).orElse(null);
    K holder = key == null ? null : keys.find(key);
    int placing = orders.applyAsInt(query);
    RateLimits.Verdict verdict = limits.admit(holder == null ? ANONYMOUS : keys.account(holder), weight.applyAsInt(query), placing, now);
    RawHeader used = RawHeader.create(usedWeightHeader, String.valueOf(verdict.usedWeight()));
    RawHeader count = placing > 0 ? RawHeader.create(orderCountHeader, String.valueOf(verdict.usedOrders())) : null;
    if (verdict instanceof RateLimits.Banned banned) {
      return done(withHeaders(BinanceErrors.response(418, BinanceErrors.TOO_MANY_REQUESTS,
          "Way too many requests; banned for " + banned.retryAfterSeconds() + " s after being told to wait.")
          .addHeader(RetryAfter.create((long) banned.retryAfterSeconds())), used, count));
    }
    if (verdict instanceof RateLimits.Limited limited) {
      return done(withHeaders(BinanceErrors.response(429, BinanceErrors.TOO_MANY_REQUESTS,
          "Too many requests; " + limited.limit() + " limit exceeded, retry after " + limited.retryAfterSeconds() + " s.")
          .addHeader(RetryAfter.create((long) limited.retryAfterSeconds())), used, count));
    }
    HttpResponse refused = access == Access.PUBLIC ? null : refusal(rawQuery, body, query, holder, access, now);
    CompletionStage<HttpResponse> answer = refused != null ? done(refused) : handler.apply(new Call<>(query, holder));
    return answer.exceptionally(error -> {
      log.error("event={}_request_failed path={} error=\"{}\"", room, request.getUri().path(), error.toString());
      return BinanceErrors.internalError();
    }).thenApply(r -> withHeaders(r, used, count));
  }

  private static HttpResponse withHeaders(HttpResponse r, RawHeader used, RawHeader count) {
    return count == null ? r.addHeader(used) : r.addHeader(used).addHeader(count);
  }

  /** Why this call may not proceed (key, signature, timestamp), or null. */
  private HttpResponse refusal(String rawQuery, String body, Query query, K holder, Access access, long now) {
    if (holder == null) return BinanceErrors.unknownKey();
    if (access == Access.API_KEY) return null;
    Optional<String> signature = query.get("signature");
    if (signature.isEmpty()) return BinanceErrors.mandatory("signature");
    // Binance's totalParams: the query string, then the body, each without its signature pair
    if (!keys.signing(holder).verify(withoutSignature(rawQuery) + withoutSignature(body), signature.get())) {
      return BinanceErrors.response(400, BinanceErrors.INVALID_SIGNATURE, "Signature for this request is not valid.");
    }
    Optional<String> timestamp = query.get("timestamp");
    if (timestamp.isEmpty()) return BinanceErrors.mandatory("timestamp");
    Long ts = BinanceErrors.number(timestamp.get());
    if (ts == null) return BinanceErrors.illegal("timestamp", "^[0-9]{1,20}$");
    long recvWindow = DEFAULT_RECV_WINDOW;
    Optional<String> window = query.get("recvWindow");
    if (window.isPresent()) {
      Long w = BinanceErrors.number(window.get());
      if (w == null) return BinanceErrors.illegal("recvWindow", "^[0-9]{1,20}$");
      if (w > MAX_RECV_WINDOW) return BinanceErrors.response(400, BinanceErrors.BAD_RECV_WINDOW, "recvWindow must be less than " + MAX_RECV_WINDOW + ".");
      recvWindow = w;
    }
    if (ts < now - recvWindow || ts > now + MAX_CLOCK_AHEAD) {
      return BinanceErrors.response(400, BinanceErrors.INVALID_TIMESTAMP, "Timestamp for this request is outside of the recvWindow.");
    }
    return null;
  }

  private static String withoutSignature(String raw) {
    if (!raw.contains("signature=")) return raw;
    StringBuilder kept = new StringBuilder(raw.length());
    for (String pair : raw.split("&")) {
      if (pair.startsWith("signature=")) continue;
      if (kept.length() > 0) kept.append('&');
      kept.append(pair);
    }
    return kept.toString();
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
