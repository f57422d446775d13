package io.sparkexec;

/**
 * The process's exit status, one per start-up failure class, so a supervisor can tell "fix the
 * configuration" (do not restart) from "try again" (docs/operations.md, Exit codes).
 */
public enum ExitCode {
  /** A requested stop (SIGTERM, SIGINT, a command that finished): the supervisor should not restart. */
  OK(0),
  /** Anything unexpected (a room failed at start or later): restarting may help. */
  FAILED(1),
  /** Bad command line: an unknown command or option. */
  USAGE(2),
  /** A setting is invalid: a bad value (HTTP_PORT=abc), a trade mode that does not fit the venue, an unreadable conf file. */
  CONFIG(3),
  /** The HTTP port (HTTP_HOST:HTTP_PORT) is taken or cannot be bound. */
  HTTP_PORT_TAKEN(4),
  /** The cluster (remoting) port (CLUSTER_HOST:CLUSTER_PORT) is taken. */
  CLUSTER_PORT_TAKEN(5),
  /** Another process holds the journal's (or the order index's) LevelDB lock: another executor uses the same data. */
  JOURNAL_LOCKED(6),
  /** The journal cannot be opened: another layout, an old event schema (migrate-journal), corrupt or not readable. */
  JOURNAL_UNREADABLE(7),
  /** The venue is not one TRADE_MODE may use (paper/shadow against a venue that is no simulator). */
  VENUE_REFUSED(8),
  /** JOURNAL=postgres: the database cannot be reached, refuses the credentials, or has no schema (migrate-db). */
  DATABASE_UNAVAILABLE(9);

  public final int code;

  ExitCode(int code) {
    this.code = code;
  }
}
