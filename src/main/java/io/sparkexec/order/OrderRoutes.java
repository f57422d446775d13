package io.sparkexec.order;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.Readiness;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.metrics.Metrics;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order API: place, get, cancel, open orders. Validation and the guard chain run here,
 * before the entity is asked, so a refused order leaves no trace but a metric and a log line.
 */
public final class OrderRoutes {

  private static final Logger log = LoggerFactory.getLogger(OrderRoutes.class);

  public record Settings(long maxBodyBytes, int maxInFlight, Duration responseTimeout, Duration askTimeout) {
    public static Settings fromConfig(com.typesafe.config.Config http) {
      return new Settings(http.getBytes("max-body-bytes"), http.getInt("max-in-flight-orders"),
          http.getDuration("order-response-timeout"), http.getDuration("ask-timeout"));
    }
  }

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ActorRef<OpenOrders.Command> openOrders;
  private final List<OrderGuard> guards;
  private final Auth auth;
  private final Readiness readiness;
  private final Settings settings;
  private final Clock clock;
  private final Consumer<String> journalSuspect;
  private final AtomicInteger inFlight = new AtomicInteger();

  public OrderRoutes(ActorSystem<?> system, ActorRef<OpenOrders.Command> openOrders, List<OrderGuard> guards, Auth auth,
      Readiness readiness, Settings settings, Clock clock, Consumer<String> journalSuspect) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.openOrders = openOrders;
    this.guards = List.copyOf(guards);
    this.auth = auth;
    this.readiness = readiness;
    this.settings = settings;
    this.clock = clock;
    this.journalSuspect = journalSuspect;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> concat(
        pathPrefix("order", () -> concat(
            pathEnd(() -> RouteMetrics.template("/api/private/order", () ->
                post(() -> auth.require(Auth.Role.TRADER, p -> place())))),
            path(id -> RouteMetrics.template("/api/private/order/{clientOrderId}", () -> concat(
                get(() -> auth.require(Auth.Role.TRADER, p -> getOrder(id))),
                delete(() -> auth.require(Auth.Role.TRADER, p -> cancel(id)))))))),
        path("open-orders", () -> RouteMetrics.template("/api/private/open-orders", () ->
            get(() -> auth.require(Auth.Role.TRADER, p -> openOrders())))))));
  }

  private Route place() {
    return extractRequestEntity(entity -> {
      if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return complete(ApiErrors.response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", null, null));
      }
      if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > settings.maxBodyBytes()) {
        return complete(tooLarge());
      }
      return withSizeLimit(settings.maxBodyBytes(), () -> entity(Unmarshaller.entityToByteString(), bytes ->
          parameterOptional("respType", respType -> completeWithFuture(placeBody(bytes, respType.orElse(null))))));
    });
  }

  private HttpResponse tooLarge() {
    return ApiErrors.response(413, "PAYLOAD_TOO_LARGE", "request body is larger than " + settings.maxBodyBytes() + " bytes", "body",
        Map.of("limitBytes", settings.maxBodyBytes()));
  }

  private CompletionStage<HttpResponse> placeBody(ByteString bytes, String respTypeParam) {
    if (!readiness.isReady()) {
      return done(ApiErrors.retryLater(503, "NOT_READY", "the executor is not ready for orders", 1, Map.of("gates", readiness.gates())));
    }
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(bytes.toArray());
    } catch (IOException e) {
      return done(refused(Rejection.invalid("body", "MALFORMED_JSON", "the body is not valid JSON"), null));
    }
    OrderRequest.Parsed parsed = OrderRequest.parse(body, respTypeParam, OrderRoutes::newClientOrderId);
    if (parsed.rejection() != null) return done(refused(parsed.rejection(), null));
    OrderRequest request = parsed.request();
    for (OrderGuard guard : guards) {
      Rejection r = guard.check(request);
      if (r != null) return done(refused(r, request));
    }
    if (inFlight.incrementAndGet() > settings.maxInFlight()) {
      inFlight.decrementAndGet();
      return done(ApiErrors.retryLater(429, "TOO_MANY_IN_FLIGHT", "too many orders in flight; retry shortly", 1,
          Map.of("maxInFlight", settings.maxInFlight())));
    }
    Metrics.ORDERS_IN_FLIGHT.withoutTags().increment();
    EntityRef<OrderEntity.Command> ref = orderRef(request.clientOrderId());
    CompletionStage<HttpResponse> answer = ref
        .<OrderEntity.Reply>ask(replyTo -> new OrderEntity.Place(request, clock.instant(), replyTo), settings.responseTimeout())
        .thenApply(reply -> placeReply(reply, request))
        .exceptionallyCompose(error -> afterTimeout(ref, error));
    return answer.whenComplete((r, e) -> {
      inFlight.decrementAndGet();
      Metrics.ORDERS_IN_FLIGHT.withoutTags().decrement();
    });
  }

  private static HttpResponse placeReply(OrderEntity.Reply reply, OrderRequest request) {
    if (reply instanceof OrderEntity.Found found) {
      boolean answeredEarly = request.respType() == OrderRequest.RespType.ACCEPTED;
      return Json.response(answeredEarly ? StatusCodes.ACCEPTED : StatusCodes.OK, OrderJson.of(found.order()));
    }
    if (reply instanceof OrderEntity.Conflict conflict) {
      return ApiErrors.response(409, "IDEMPOTENCY_CONFLICT", "clientOrderId " + request.clientOrderId() + " is taken by an order with another body",
          "clientOrderId", Map.of("existing", OrderJson.of(conflict.existing())));
    }
    throw new IllegalStateException("unexpected reply to Place: " + reply);
  }

  /**
   * The wait ran out: answer 202 with the state the order has now. If even that does not come,
   * the journal may be failing: say so (503) and have it checked.
   */
  private CompletionStage<HttpResponse> afterTimeout(EntityRef<OrderEntity.Command> ref, Throwable error) {
    if (!(unwrap(error) instanceof TimeoutException)) return CompletableFuture.failedFuture(error);
    return ref.<OrderEntity.Reply>ask(OrderEntity.Get::new, settings.askTimeout())
        .thenApply(reply -> {
          if (reply instanceof OrderEntity.Found found) return Json.response(StatusCodes.ACCEPTED, OrderJson.of(found.order()));
          // the entity answers but has nothing: its persist failed (it restarted) or is stuck
          journalSuspect.accept("order not journaled within the response timeout");
          return ApiErrors.retryLater(503, "OUTCOME_UNKNOWN", "the order was not journaled in time; retry with the same clientOrderId", 1, null);
        })
        .exceptionally(e -> {
          journalSuspect.accept("order ask timed out twice");
          return ApiErrors.retryLater(503, "OUTCOME_UNKNOWN", "no answer in time; retry with the same clientOrderId", 1, null);
        });
  }

  private Route getOrder(String id) {
    return completeWithFuture(orderRef(id).<OrderEntity.Reply>ask(OrderEntity.Get::new, settings.askTimeout()).thenApply(reply ->
        reply instanceof OrderEntity.Found found ? Json.ok(OrderJson.of(found.order())) : notFound(id)));
  }

  private Route cancel(String id) {
    EntityRef<OrderEntity.Command> ref = orderRef(id);
    return completeWithFuture(ref.<OrderEntity.Reply>ask(OrderEntity.Cancel::new, settings.responseTimeout())
        .thenApply(reply -> {
          if (reply instanceof OrderEntity.Found found) {
            return Json.response(found.order().status().isFinal() ? StatusCodes.OK : StatusCodes.ACCEPTED, OrderJson.of(found.order()));
          }
          if (reply instanceof OrderEntity.NotOpen notOpen) {
            return ApiErrors.response(409, "ORDER_NOT_OPEN", "order " + id + " is " + notOpen.order().status() + " and cannot be canceled",
                null, Map.of("order", OrderJson.of(notOpen.order())));
          }
          return notFound(id);
        })
        .exceptionallyCompose(error -> afterTimeout(ref, error)));
  }

  private Route openOrders() {
    return parameterOptional("symbol", symbol -> parameterOptional("strategy", strategy -> completeWithFuture(
        AskPattern.<OpenOrders.Command, OpenOrders.Listing>ask(openOrders,
                replyTo -> new OpenOrders.Query(symbol.orElse(null), strategy.orElse(null), replyTo), settings.askTimeout(), system.scheduler())
            .thenApply(listing -> Json.ok(Map.of("count", listing.orders().size(), "orders",
                listing.orders().stream().map(OrderJson::of).toList()))))));
  }

  private EntityRef<OrderEntity.Command> orderRef(String clientOrderId) {
    return sharding.entityRefFor(OrderEntity.ENTITY_KEY, clientOrderId);
  }

  private static HttpResponse notFound(String id) {
    return ApiErrors.response(404, "ORDER_NOT_FOUND", "no order with clientOrderId " + id, "clientOrderId", null);
  }

  private HttpResponse refused(Rejection r, OrderRequest request) {
    Metrics.ORDERS_REJECTED_PRE_TRADE.withTag("code", r.code()).increment();
    log.info("event=order_refused code={} field={} clientOrderId={} symbol={}", r.code(), r.field(),
        request == null ? null : request.clientOrderId(), request == null ? null : request.symbol());
    HttpResponse response = ApiErrors.response(r.kind().httpStatus, r.code(), r.message(), r.field(), r.details());
    return r.kind() == Rejection.Kind.TOO_MANY || r.kind() == Rejection.Kind.UNAVAILABLE
        ? response.addHeader(org.apache.pekko.http.javadsl.model.headers.RetryAfter.create(1L))
        : response;
  }

  private static String newClientOrderId() {
    return "x-" + UUID.randomUUID().toString().replace("-", "").substring(0, 30);
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
