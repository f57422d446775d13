package io.sparkexec.snapshot;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.BodyFields;
import io.sparkexec.order.OrderRoutes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * State snapshots over HTTP. Creating one writes a file on the executor's disk, so it takes the
 * admin role; listing them only reads names, times and sizes, so any trader key may.
 */
public final class SnapshotRoutes {

  private static final Set<String> FIELDS = Set.of("name", "data");

  private final Snapshots snapshots;
  private final Auth auth;
  private final long maxBodyBytes;

  public SnapshotRoutes(Snapshots snapshots, Auth auth, long maxBodyBytes) {
    this.snapshots = snapshots;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> concat(
        path("snapshot", () -> RouteMetrics.template("/api/private/snapshot", () ->
            post(() -> auth.require(Auth.Role.ADMIN, p -> create())))),
        path("snapshots", () -> RouteMetrics.template("/api/private/snapshots", () ->
            get(() -> auth.require(Auth.Role.TRADER, p -> list())))))));
  }

  private Route create() {
    return Json.body(maxBodyBytes, body -> {
      BodyFields f = new BodyFields(body, FIELDS);
      String name = f.matching("name", SnapshotStore.NAME, SnapshotStore.NAME_RULE, true);
      JsonNode data = f.value("data", false);
      if (f.rejection() != null) return complete(OrderRoutes.refused(f.rejection()));
      return completeWithFuture(snapshots.create(name, data).thenApply(SnapshotRoutes::created));
    });
  }

  /**
   * 507 for a full quota: the server cannot store it, and waiting does not help (only retention,
   * an operator or when-full = prune-oldest frees room), so not 429 with a Retry-After.
   */
  private static HttpResponse created(Snapshots.Created created) {
    if (created instanceof Snapshots.Stored stored) return Json.response(StatusCodes.CREATED, stored.entry());
    Snapshots.QuotaFull full = (Snapshots.QuotaFull) created;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("count", full.count());
    details.put("bytes", full.bytes());
    details.put("sizeBytes", full.sizeBytes());
    details.put("maxCount", full.maxCount());
    details.put("maxTotalBytes", full.maxTotalBytes());
    return ApiErrors.response(507, "SNAPSHOT_QUOTA_FULL", "the snapshot store holds " + full.count() + " snapshots (" + full.bytes()
        + " bytes); with this one (" + full.sizeBytes() + " bytes) it would pass its quota of " + full.maxCount() + " snapshots or "
        + full.maxTotalBytes() + " bytes", null, details);
  }

  private Route list() {
    return completeWithFuture(snapshots.list().thenApply(entries -> Json.ok(new Listing(entries.size(), entries))));
  }

  private record Listing(int count, List<SnapshotStore.Entry> snapshots) {}
}
