package io.sparkexec.metrics;

import com.typesafe.config.Config;
import kamon.Kamon;
import kamon.metric.Metric;
import kamon.metric.MeasurementUnit;
import kamon.prometheus.PrometheusReporter;

/**
 * Every metric the executor exports, in one place. Time histograms record nanoseconds and are
 * exported in seconds with a {@code _seconds} suffix; counters get {@code _total}. Names follow
 * Prometheus conventions so {@code promtool check metrics} passes clean.
 */
public final class Metrics {

  private Metrics() {}

  private static final MeasurementUnit NANOS = MeasurementUnit.time().nanoseconds();

  public static final Metric.Histogram HTTP_REQUEST_DURATION =
      Kamon.histogram("spark_http_request_duration", "HTTP request duration by route template, method and status", NANOS);

  public static final Metric.Histogram ORDER_PLACE_ACK_DURATION =
      Kamon.histogram("spark_order_place_ack_duration", "Time from an order's arrival over HTTP to the venue's acknowledgement", NANOS);

  public static final Metric.Counter ORDERS_FINAL =
      Kamon.counter("spark_orders_final", "Orders that reached a final state, by state");

  public static final Metric.Counter ORDERS_ACCEPTED =
      Kamon.counter("spark_orders_accepted", "Orders journaled as accepted");

  public static final Metric.Counter ORDERS_REJECTED_PRE_TRADE =
      Kamon.counter("spark_orders_rejected_pre_trade", "Place requests refused before anything was journaled, by reason code");

  public static final Metric.Histogram BATCH_SIZE =
      Kamon.histogram("spark_batch_size", "Orders per batch sent to the venue, by symbol");

  public static final Metric.Counter BATCH_FLUSHES =
      Kamon.counter("spark_batch_flush", "Batches sent to the venue, by symbol");

  public static final Metric.Histogram BATCH_LATENCY =
      Kamon.histogram("spark_batch_latency", "Time an order waited in its symbol's batcher before its batch was sent", NANOS);

  public static final Metric.Counter JOURNAL_FAILURES =
      Kamon.counter("spark_journal_failures", "Journal writes or probes that failed");

  public static final Metric.Histogram JOURNAL_WRITE_DURATION =
      Kamon.histogram("spark_journal_write_duration", "Time from a write's arrival at the group-commit journal writer to its commit (synced when fsync is on)", NANOS);

  public static final Metric.Histogram JOURNAL_BATCH_SIZE =
      Kamon.histogram("spark_journal_batch_size", "Events per LevelDB WriteBatch committed by the group-commit journal");

  public static final Metric.Gauge JOURNAL_WRITER_QUEUE_DEPTH =
      Kamon.gauge("spark_journal_writer_queue_depth", "Write requests waiting for the group-commit journal writer");

  public static final Metric.Gauge READY =
      Kamon.gauge("spark_ready", "1 when every start-up gate has passed and the executor takes orders, else 0");

  public static final Metric.Gauge ORDERS_IN_FLIGHT =
      Kamon.gauge("spark_orders_in_flight", "Place requests being processed right now");


  public static final Metric.Gauge TRADING_STATE =
      Kamon.gauge("spark_trading_state", "Trading state: 0 active, 1 reducing (position-reducing orders only), 2 halted (kill switch)");

  public static final Metric.Counter RISK_REJECTIONS =
      Kamon.counter("spark_risk_rejections", "Orders refused by the guardrails, by limit (halted and reducing for the trading state)");

  public static final Metric.Counter DEAD_MAN_TRIGGERED =
      Kamon.counter("spark_dead_man_triggered", "Dead-man switches that fired (no heartbeat within the window) and canceled a strategy's open orders");

  public static final Metric.Counter SHADOW_ORDERS =
      Kamon.counter("spark_shadow_orders", "Shadow orders simulated and never sent, by source (request, mode, twin)");

  public static final Metric.Histogram SHADOW_LATENCY =
      Kamon.histogram("spark_shadow_latency", "Simulated venue latency of shadow orders", NANOS);

  public static final Metric.Histogram SHADOW_SLIPPAGE_BPS =
      Kamon.histogram("spark_shadow_slippage_bps", "Shadow fill slippage from the decision price in basis points (absolute), by direction (adverse, favorable)");

  public static final Metric.Counter WS_COMPRESSED_FRAMES =
      Kamon.counter("spark_ws_compressed_frames", "WebSocket feed data frames sent compressed with permessage-deflate");

  public static final Metric.Gauge WS_COMPRESSION_RATIO =
      Kamon.gauge("spark_ws_compression_ratio", "WebSocket feed payload bytes before compression divided by bytes sent, over every compressed frame since start");

  public static final Metric.Counter WS_BANDWIDTH_SAVED =
      Kamon.counter("spark_ws_bandwidth_saved_bytes", "WebSocket feed payload bytes that permessage-deflate kept off the wire");

  public static final Metric.Counter WS_DISCONNECTS =
      Kamon.counter("spark_ws_disconnects", "WebSocket feed connections ended, by reason (client_closed, pong_timeout, slow_consumer, ...)");

  public static final Metric.Gauge WS_CONNECTIONS =
      Kamon.gauge("spark_ws_connections", "Open WebSocket feed connections");

  public static final Metric.Counter WS_TICKS_CONFLATED =
      Kamon.counter("spark_ws_market_ticks_conflated", "Market ticks replaced by a newer tick before a slow feed client read them");

  public static final Metric.Counter QUEUE_ENQUEUED =
      Kamon.counter("spark_queue_enqueued", "Jobs journaled into a durable queue (duplicates within the dedupe window not counted), by queue");

  public static final Metric.Counter QUEUE_PROCESSED =
      Kamon.counter("spark_queue_processed", "Jobs acked by a consumer and removed from the queue, by queue");

  public static final Metric.Gauge QUEUE_LAG =
      Kamon.gauge("spark_queue_lag_seconds", "Age in seconds of the oldest ready (unclaimed) job, by queue; 0 when none waits");

  public static final Metric.Gauge QUEUE_IN_FLIGHT =
      Kamon.gauge("spark_queue_in_flight", "Jobs claimed and neither acked, nacked nor expired yet, by queue");

  public static final Metric.Counter QUEUE_REDELIVERIES =
      Kamon.counter("spark_queue_redeliveries", "Claims of jobs that had been delivered before (after a nack or a visibility timeout), by queue");

  public static final Metric.Counter QUEUE_DEAD_LETTERS =
      Kamon.counter("spark_queue_dead_letters", "Jobs moved to the dead letters after their last delivery failed, by queue");

  // ---- order room: in-doubt orders and restart reconciliation ----

  public static final Metric.Gauge ORDERS_IN_DOUBT =
      Kamon.gauge("spark_orders_in_doubt", "Orders whose submit outcome is unknown and whose venue state is being checked; alert when it stays above 0");

  public static final Metric.Counter ORDERS_IN_DOUBT_GIVEN_UP =
      Kamon.counter("spark_orders_in_doubt_given_up", "In-doubt orders rejected after the last allowed venue check; each one needs a look at the venue");

  public static final Metric.Counter RECONCILIATION_CORRECTIONS =
      Kamon.counter("spark_reconciliation_corrections", "Venue facts journaled by restart reconciliation, by kind (ack, fill, cancel, expire, reject, resubmit)");

  public static final Metric.Gauge RECONCILIATION_EXTERNAL_ORDERS =
      Kamon.gauge("spark_reconciliation_external_orders", "Venue open orders the executor does not hold open, as of the last reconciliation; reported, never adopted");

  private static volatile PrometheusReporter reporter;

  /** Starts Kamon with the given config and our own Prometheus reporter (no embedded server). */
  public static synchronized void init(Config config) {
    if (reporter != null) return;
    Kamon.init(config);
    PrometheusReporter r = new PrometheusReporter("kamon.prometheus", Kamon.config());
    Kamon.addReporter("prometheus", r);
    reporter = r;
  }

  /** The Prometheus text exposition of everything recorded up to the last metric tick. */
  public static String scrape() {
    PrometheusReporter r = reporter;
    return r == null ? "" : r.scrapeData();
  }

  // ---- venue link (HttpVenue, CircuitBreakerVenue) ----

  public static final Metric.Gauge HTTP_KEEPALIVE_CONNECTIONS =
      Kamon.gauge("spark_http_keepalive_connections", "TCP connections the HTTP venue's pool holds open to the venue");

  public static final Metric.Counter HTTP_KEEPALIVE_OPENED =
      Kamon.counter("spark_http_keepalive_opened", "TCP connections the HTTP venue's pool opened to the venue");

  public static final Metric.Counter HTTP_KEEPALIVE_REUSED =
      Kamon.counter("spark_http_keepalive_reused", "Venue requests sent on a pooled connection that had already served a request");

  public static final Metric.Histogram VENUE_CALL_DURATION =
      Kamon.histogram("spark_venue_call_duration", "HTTP venue call duration by endpoint and outcome (ok, refused, rate_limited, error, timeout)", NANOS);

  public static final Metric.Counter VENUE_RATE_LIMITED =
      Kamon.counter("spark_venue_rate_limited", "Venue answers telling us to slow down, by status (429, 418)");

  public static final Metric.Counter VENUE_RATE_LIMIT_WAITS =
      Kamon.counter("spark_venue_rate_limit_waits", "Venue calls the client-side rate limiter delayed");

  public static final Metric.Histogram VENUE_RATE_LIMIT_WAIT_DURATION =
      Kamon.histogram("spark_venue_rate_limit_wait", "How long the client-side rate limiter delayed a venue call", NANOS);

  public static final Metric.Gauge VENUE_BREAKER_STATE =
      Kamon.gauge("spark_venue_breaker_state", "Venue circuit breaker: 0 closed, 1 half-open, 2 open");

  public static final Metric.Counter VENUE_BREAKER_TRANSITIONS =
      Kamon.counter("spark_venue_breaker_transitions", "Venue circuit breaker state changes, by the state entered");

  public static final Metric.Counter VENUE_USER_STREAM_RECONNECTS =
      Kamon.counter("spark_venue_user_stream_reconnects", "User-data stream (execution reports) connections lost and attempted again");

  public static final Metric.Gauge VENUE_USER_STREAM_UP =
      Kamon.gauge("spark_venue_user_stream_up", "1 while the venue's user-data stream is connected, else 0 (open orders are polled)");
}
