package io.sparkexec.slo;

import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.Order;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.OrderService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What counts as a good or bad event for the SLOs the executor's own rooms feed: each method is
 * the listener a room's hook takes, so the rooms never import this one.
 */
public final class SloSources {

  private static final String PRIVATE_API = "/api/private/";
  /**
   * Feed close reasons that are not the server failing its client: the client left or broke the
   * protocol, could not keep up, or was told to go away before a planned stop. Anything else
   * (server errors, a connection the server dropped, reasons added later such as chaos flaps)
   * counts against availability.
   */
  static final Set<String> WS_NOT_SERVER_FAULT = Set.of("client_closed", "connection_lost", "pong_timeout", "slow_consumer", "message_too_big",
      "invalid_compressed_data", "invalid_data", "protocol_error", "server_shutdown");

  private final SloService slo;
  private final Clock clock;

  public SloSources(SloService slo, Clock clock) {
    this.slo = slo;
    this.clock = clock;
  }

  /**
   * Place->ack latency of each order placed here (repeats of an existing clientOrderId are not
   * new orders): arrival to the venue's acknowledgement, or to its refusal when it refused at
   * once. An order not acknowledged when the wait ran out counts what it has waited so far; no
   * answer at all is bad. Orders answered before the venue (respType ACCEPTED) are not counted.
   */
  public OrderService.PlaceListener placeAck() {
    return this::placed;
  }

  private void placed(OrderRequest request, Instant receivedAt, OrderService.PlaceOutcome outcome) {
    if (outcome instanceof OrderService.OutcomeUnknown) {
      slo.recordOutcome(SloService.PLACE_ACK_LATENCY, request.strategy(), false);
      return;
    }
    if (!(outcome instanceof OrderService.Placed placed)) return;
    Order.Timestamps t = placed.order().timestamps();
    if (!receivedAt.equals(t.received())) return;
    Instant answered = t.acknowledged() != null ? t.acknowledged() : t.closed();
    if (answered == null && placed.waitedOut()) answered = clock.instant();
    if (answered != null) slo.recordLatency(SloService.PLACE_ACK_LATENCY, request.strategy(), Duration.between(t.received(), answered));
  }

  /** API error rate: every private API response, bad when 5xx (an injected chaos 503 included). */
  public RouteMetrics.Listener apiErrors() {
    return (route, status) -> {
      if (route.startsWith(PRIVATE_API)) slo.recordOutcome(SloService.API_ERRORS, null, status < 500);
    };
  }

  /**
   * WebSocket availability: one event per feed connection when it ends, by the bounded reason
   * label of {@code spark_ws_disconnects_total}; see {@link #WS_NOT_SERVER_FAULT}.
   */
  public void feedClosed(String reason) {
    slo.recordOutcome(SloService.WS_AVAILABILITY, null, WS_NOT_SERVER_FAULT.contains(reason));
  }
}
