package io.sparkexec.snapshot;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.http.Auth;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/private/export/fills}: every fill in a range as chunked NDJSON or CSV, streamed
 * from the journal as it is read. A trader key sees its own strategies' fills; admin keys all.
 */
public final class ExportRoutes {

  private final FillExport export;
  private final Auth auth;
  private final Clock clock;

  public ExportRoutes(FillExport export, Auth auth, Clock clock) {
    this.export = export;
    this.auth = auth;
    this.clock = clock;
  }

  /** A validated export request, or the rule it breaks. */
  public record Query(Instant from, Instant to, FillExport.Format format, Rejection rejection) {
    /** {@code from}/{@code to}: an ISO instant (2026-03-01T12:00:00Z) or a UTC date (2026-03-01); absent: all time, now. */
    public static Query parse(String from, String to, String format, Instant now) {
      Instant f = from == null ? Instant.EPOCH : instant(from);
      if (f == null) return invalid("from", from);
      Instant t = to == null ? now : instant(to);
      if (t == null) return invalid("to", to);
      if (outOfRange(f)) return outOfRange("from");
      if (outOfRange(t)) return outOfRange("to");
      if (!t.isAfter(f)) return new Query(null, null, null, Rejection.invalid("to", "INVALID_RANGE", "to must be after from"));
      FillExport.Format fmt;
      try {
        fmt = format == null ? FillExport.Format.NDJSON : FillExport.Format.valueOf(format.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return new Query(null, null, null, Rejection.invalid("format", "INVALID_VALUE", "format must be ndjson or csv"));
      }
      return new Query(f, t, fmt, null);
    }

    private static Query invalid(String field, String value) {
      return new Query(null, null, null, Rejection.invalid(field, "INVALID_FORMAT",
          field + " must be an ISO-8601 instant (2026-03-01T12:00:00Z) or a date (2026-03-01), not " + value));
    }

    // Instant reaches the year -1e9, far past what epoch milliseconds (the journal's timestamps) can hold
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private static boolean outOfRange(Instant i) {
      return i.isBefore(Instant.EPOCH) || i.isAfter(LATEST);
    }

    private static Query outOfRange(String field) {
      return new Query(null, null, null, Rejection.invalid(field, "INVALID_RANGE", field + " must be between 1970-01-01 and 9999-12-31"));
    }

    private static Instant instant(String s) {
      try {
        return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> pathPrefix("export", () -> path("fills", () ->
        RouteMetrics.template("/api/private/export/fills", () -> get(() -> auth.require(Auth.Role.TRADER, p ->
            parameterOptional("from", from -> parameterOptional("to", to -> parameterOptional("format", format ->
                complete(fills(Query.parse(from.orElse(null), to.orElse(null), format.orElse(null), clock.instant()),
                    OrderRoutes.scope(p)))))))))))));
  }

  private HttpResponse fills(Query q, Scope scope) {
    if (q.rejection() != null) return OrderRoutes.refused(q.rejection());
    var bytes = FillExport.encode(export.rows(q.from(), q.to()).filter(r -> scope.permits(r.strategy())), q.format());
    var type = q.format() == FillExport.Format.CSV
        ? ContentTypes.create(MediaTypes.TEXT_CSV, org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)
        : ContentTypes.create(MediaTypes.applicationWithOpenCharset("x-ndjson"), org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8);
    return HttpResponse.create().withEntity(HttpEntities.createChunked(type, bytes));
  }
}
