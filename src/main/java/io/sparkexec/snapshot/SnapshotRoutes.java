package io.sparkexec.snapshot;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.BodyFields;
import io.sparkexec.order.OrderRoutes;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

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
    return withSizeLimit(maxBodyBytes, () -> entity(Unmarshaller.entityToByteString(), bytes -> {
      JsonNode body;
      try {
        body = Json.MAPPER.readTree(bytes.toArray());
      } catch (IOException e) {
        return complete(ApiErrors.response(400, "MALFORMED_JSON", "the body is not valid JSON", "body", null));
      }
      BodyFields f = new BodyFields(body, FIELDS);
      String name = f.matching("name", SnapshotStore.NAME, SnapshotStore.NAME_RULE, true);
      JsonNode data = f.value("data", false);
      if (f.rejection() != null) return complete(OrderRoutes.refused(f.rejection()));
      return completeWithFuture(snapshots.create(name, data).thenApply(entry -> Json.response(StatusCodes.CREATED, entry)));
    }));
  }

  private Route list() {
    return completeWithFuture(snapshots.list().thenApply(entries -> Json.ok(new Listing(entries.size(), entries))));
  }

  private record Listing(int count, List<SnapshotStore.Entry> snapshots) {}
}
