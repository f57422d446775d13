package io.sparkexec.metrics;

import com.typesafe.config.Config;
import kamon.Kamon;
import kamon.metric.Metric;
import kamon.metric.MeasurementUnit;
import kamon.prometheus.PrometheusReporter;
import kamon.tag.TagSet;

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

  public static final Metric.Counter HTTP_RESPONSE_UNCOMPRESSED_BYTES =
      Kamon.counter("spark_http_response_uncompressed_bytes", "Response body bytes before compression, by coding (br, gzip, deflate); over the compressed bytes: the compression ratio");

  public static final Metric.Counter HTTP_RESPONSE_COMPRESSED_BYTES =
      Kamon.counter("spark_http_response_compressed_bytes", "Response body bytes sent compressed, by coding (br, gzip, deflate)");

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
      Kamon.counter("spark_queue_processed", "Jobs that left a durable queue, by queue and outcome (acked; dead_lettered after the last delivery failed)");

  public static final Metric.Gauge QUEUE_LAG =
      Kamon.gauge("spark_queue_lag_seconds", "Age in seconds of the oldest ready (unclaimed) job, by queue; 0 when none waits");

  public static final Metric.Gauge QUEUE_IN_FLIGHT =
      Kamon.gauge("spark_queue_in_flight", "Jobs claimed and neither acked, nacked nor expired yet, by queue");

  public static final Metric.Counter QUEUE_REDELIVERIES =
      Kamon.counter("spark_queue_redeliveries", "Claims of jobs that had been delivered before (after a nack or a visibility timeout), by queue");

  public static final Metric.Counter QUEUE_DEAD_LETTERS =
      Kamon.counter("spark_queue_dead_letters", "Jobs moved to the dead letters after their last delivery failed, by queue");

  public static final Metric.Counter QUEUE_DEAD_LETTERS_DROPPED =
      Kamon.counter("spark_queue_dead_letters_dropped", "Oldest dead letters removed to keep max-dead-letters, by queue");

  // ---- chaos (io.sparkexec.chaos) ----

  public static final Metric.Counter CHAOS_HTTP_ERRORS =
      Kamon.counter("spark_chaos_http_errors", "Private API requests answered 503 by chaos injection (details.injected = true)");

  public static final Metric.Counter CHAOS_VENUE_FAULTS =
      Kamon.counter("spark_chaos_venue_faults", "Venue calls faulted by chaos injection, by kind (error, timeout)");

  /** Incremented by the feed each time the chaos flap drops its connections. */
  public static final Metric.Counter CHAOS_WS_FLAPS =
      Kamon.counter("spark_chaos_ws_flaps", "WebSocket feed connection drops caused by the chaos flap");

  public static final Metric.Counter CHAOS_RECOVERY =
      Kamon.counter("spark_chaos_recovery", "Returns within SLO after chaos was cleared");

  public static final Metric.Gauge CHAOS_SETTING =
      Kamon.gauge("spark_chaos_setting", "Chaos settings in force, by setting (percent, milliseconds or seconds as named; 0 = off)");
  // ---- canary and warm-up (io.sparkexec.slo.Canary): synthetic orders only, never real ones

  public static final Metric.Histogram CANARY_DURATION =
      Kamon.histogram("executor_canary_duration", "Duration of each phase of a canary order over loopback HTTP (http_guards, entity, journal_batch, venue, final, total), by phase", NANOS);

  public static final Metric.Counter CANARY_RUNS =
      Kamon.counter("spark_canary_runs", "Canary runs, by result (ok: every order reached a final state; failed)");
  // ---- queue room: the signal consumer (SignalConsumer) ----

  public static final Metric.Counter SIGNALS =
      Kamon.counter("spark_queue_signals", "Signal jobs handled by the signal consumer, by outcome (ordered, dead_lettered, retried, claim_lost)");

  public static final Metric.Gauge SIGNALS_IN_FLIGHT =
      Kamon.gauge("spark_queue_signals_in_flight", "Signal jobs the consumer has claimed and not finished yet (placing, or waiting out a retry backoff)");

  public static final Metric.Histogram SIGNAL_LATENCY =
      Kamon.histogram("spark_queue_signal_latency", "Time from a signal's enqueue to its order being journaled (first delivery that placed it)", NANOS);

  // ---- snapshot room ----

  public static final Metric.Counter SNAPSHOTS_CREATED =
      Kamon.counter("spark_snapshot_created", "State snapshot files written under SNAPSHOT_DIR");

  public static final Metric.Counter SNAPSHOTS_RETENTION_DELETED =
      Kamon.counter("spark_snapshot_retention_deleted", "Files deleted from SNAPSHOT_DIR by retention, by kind (snapshot, temp)");

  public static final Metric.Gauge SNAPSHOT_SIZE =
      Kamon.gauge("spark_snapshot_size_bytes", "Size in bytes of the last state snapshot written");
  // ---- slo (io.sparkexec.slo): the per-strategy series carry a strategy label, the global ones none

  public static final Metric.Counter SLO_EVENTS =
      Kamon.counter("spark_slo_events", "Events an SLO counted (global scope), by slo and result (good, bad): the input of the burn-rate rules");

  public static final Metric.Gauge SLO_OBJECTIVE =
      Kamon.gauge("spark_slo_objective", "The share of good events an SLO promises (from conf/slo.conf), by slo");

  public static final Metric.Gauge SLO_BURN_RATE =
      Kamon.gauge("spark_slo_burn_rate", "Error budget burn rate (error ratio over 1 - objective) over a window, by slo, window and strategy");

  public static final Metric.Gauge SLO_ALERT =
      Kamon.gauge("spark_slo_alert", "1 while an SLO's multi-window burn-rate alert fires, else 0, by slo, severity (page, ticket) and strategy");

  public static final Metric.Gauge SLO_COMPLIANCE =
      Kamon.gauge("spark_slo_compliance", "Share of good events over the compliance period, by slo and strategy");

  public static final Metric.Gauge SLO_ERROR_BUDGET_REMAINING =
      Kamon.gauge("spark_slo_error_budget_remaining", "Share of the compliance period's error budget left (0 when spent), by slo and strategy");

  public static final Metric.Counter SLO_UNTRACKED_STRATEGY_EVENTS =
      Kamon.counter("spark_slo_untracked_strategy_events", "Events of strategies beyond max-strategies, counted in the global SLO only, by slo");
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
    registerAtZero(config);
  }

  /**
   * Every counter, and the gauges and histogram a dashboard panel or an alert reads, exist from the
   * first scrape (docs/grafana, conf/prometheus), not from their first event: a panel shows 0, not
   * "No data", and an alert on a rate has a series. A counter starts as one unlabelled series at 0
   * (its labels are its room's: reasons, states, codes), plus the config's queue for the queue's.
   * Gauges whose 0 would say something false (readiness, trading state, SLO budgets) are set by
   * their room at start instead.
   */
  private static void registerAtZero(Config config) {
    String queue = config.getString("spark.queue.name");
    java.util.List<Metric.Counter> byQueue = java.util.List.of(QUEUE_ENQUEUED, QUEUE_REDELIVERIES, QUEUE_DEAD_LETTERS);
    for (java.lang.reflect.Field field : Metrics.class.getFields()) {
      if (field.getType() != Metric.Counter.class) continue;
      try {
        Metric.Counter counter = (Metric.Counter) field.get(null);
        if (counter == QUEUE_PROCESSED) {
          for (String outcome : java.util.List.of("acked", "dead_lettered")) counter.withTags(TagSet.of("queue", queue).withTag("outcome", outcome));
        } else if (byQueue.contains(counter)) {
          counter.withTag("queue", queue);
        } else {
          counter.withoutTags();
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
    for (Metric.Gauge g : java.util.List.of(QUEUE_IN_FLIGHT, QUEUE_LAG, SIGNALS_IN_FLIGHT)) g.withTag("queue", queue).update(0);
    for (Metric.Gauge g : java.util.List.of(WS_CONNECTIONS, ORDERS_IN_FLIGHT, ORDERS_IN_DOUBT, JOURNAL_WRITER_QUEUE_DEPTH)) {
      g.withoutTags().update(0);
    }
  }

  // Kamon leaves a histogram off the page until its first record; these are read by a dashboard
  // panel or an alert (docs/grafana, conf/prometheus), so until then the page carries them empty
  // (page name -> the histogram, whose description is the HELP line promtool requires)
  private static final java.util.Map<String, Metric.Histogram> HISTOGRAMS_FROM_START = java.util.Map.of(
      "spark_order_place_ack_duration_seconds", ORDER_PLACE_ACK_DURATION, "spark_http_request_duration_seconds", HTTP_REQUEST_DURATION,
      "spark_batch_latency_seconds", BATCH_LATENCY, "spark_batch_size", BATCH_SIZE);

  static String withEmptyHistograms(String page) {
    StringBuilder out = null;
    for (java.util.Map.Entry<String, Metric.Histogram> h : new java.util.TreeMap<>(HISTOGRAMS_FROM_START).entrySet()) {
      String name = h.getKey();
      if (page.contains(name + "_bucket{")) continue;
      if (out == null) out = new StringBuilder(page);
      out.append("# HELP ").append(name).append(' ').append(h.getValue().description()).append('\n');
      out.append("# TYPE ").append(name).append(" histogram\n").append(name).append("_bucket{le=\"+Inf\"} 0.0\n")
          .append(name).append("_count 0.0\n").append(name).append("_sum 0.0\n");
    }
    return out == null ? page : out.toString();
  }

  /** The Prometheus text exposition of everything recorded up to the last metric tick. */
  public static String scrape() {
    PrometheusReporter r = reporter;
    return r == null ? "" : withEmptyHistograms(plainBucketBounds(r.scrapeData()));
  }

  private static final String STRATEGY_LABEL = "strategy=\"";

  /**
   * The page without the series of strategies {@code sees} refuses (strategy names are another
   * strategy's business: issue #14 F13); series without a strategy label all stay. One pass over
   * the page; the label's value is read as Prometheus escapes it.
   */
  public static String scrapeFor(java.util.function.Predicate<String> sees) {
    String page = scrape();
    if (!page.contains(STRATEGY_LABEL)) return page;
    StringBuilder out = new StringBuilder(page.length());
    int start = 0;
    while (start < page.length()) {
      int end = page.indexOf('\n', start);
      end = end < 0 ? page.length() : end + 1;
      int label = page.indexOf(STRATEGY_LABEL, start);
      if (label < 0 || label >= end || page.charAt(start) == '#' || sees.test(labelValue(page, label + STRATEGY_LABEL.length()))) {
        out.append(page, start, end);
      }
      start = end;
    }
    return out.toString();
  }

  private static String labelValue(String page, int from) {
    StringBuilder v = new StringBuilder();
    for (int i = from; i < page.length(); i++) {
      char c = page.charAt(i);
      if (c == '"') break;
      if (c == '\\' && i + 1 < page.length()) {
        char n = page.charAt(++i);
        v.append(n == 'n' ? '\n' : n);
      } else {
        v.append(c);
      }
    }
    return v.toString();
  }

  private static final java.util.regex.Pattern EXPONENT_LE = java.util.regex.Pattern.compile("le=\"([0-9.]+E-?[0-9]+)\"");

  /** Kamon writes bucket bounds under 0.001 as Java doubles (le="5.0E-4"); Prometheus clients and dashboards expect le="0.0005". */
  static String plainBucketBounds(String page) {
    return EXPONENT_LE.matcher(page).replaceAll(m -> "le=\"" + new java.math.BigDecimal(m.group(1)).stripTrailingZeros().toPlainString() + "\"");
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

  public static final Metric.Counter VENUE_ORDER_CONFLICTS =
      Kamon.counter("spark_venue_order_conflicts", "Venue answers for one of our clientOrderIds that describe another order (another client's), by the first field that differs; never adopted");

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
