package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The machine-readable contract, public: the OpenAPI document of every HTTP endpoint and the
 * AsyncAPI document of the feed's messages. Both are hand-written resources in the jar, read once.
 */
public final class ContractRoutes {

  private final byte[] openApi = resource("/openapi.json");
  private final byte[] asyncApi = resource("/asyncapi.json");

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("public", () -> concat(
        path("openapi.json", () -> RouteMetrics.template("/api/public/openapi.json", () -> document(openApi))),
        path("asyncapi.json", () -> RouteMetrics.template("/api/public/asyncapi.json", () -> document(asyncApi))))));
  }

  private static Route document(byte[] body) {
    return get(() -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body))));
  }

  private static byte[] resource(String name) {
    try (InputStream in = ContractRoutes.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("resource " + name + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
