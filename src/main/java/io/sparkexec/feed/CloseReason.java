package io.sparkexec.feed;

/**
 * Why the server closes a feed connection: the close code the client sees (RFC 6455 codes
 * where one fits, 4xxx private codes for the feed's own reasons) and the bounded label of
 * {@code spark_ws_disconnects_total{reason}}.
 */
public enum CloseReason {
  SERVER_SHUTDOWN(1001, "server_shutdown"),
  INVALID_COMPRESSED_DATA(1007, "invalid_compressed_data"),
  MESSAGE_TOO_BIG(1009, "message_too_big"),
  /** The orders source failed (a journal read): reconnect with {@code from=<last seq received>}. */
  ORDERS_FAILED(1011, "server_error"),
  PONG_TIMEOUT(4001, "pong_timeout"),
  /** The client fell too far behind: reconnect with {@code from=<last seq received>}. */
  SLOW_CONSUMER_RESUME(4002, "slow_consumer"),
  /** The chaos switchboard's WebSocket flap dropped every connection: reconnect with {@code from=<last seq received>}. */
  CHAOS_FLAP(4003, "chaos_flap");

  public final int code;
  public final String label;

  CloseReason(int code, String label) {
    this.code = code;
    this.label = label;
  }
}
