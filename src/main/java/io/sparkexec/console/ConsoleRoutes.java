package io.sparkexec.console;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.redirect;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The operator console's static page at {@code /console} (the page) and {@code /console/<asset>}.
 * The assets are a fixed list of resources in the jar, read once at start: nothing else under
 * /console is served, no path reaches another resource, and nothing is built at run time. The
 * page talks to the public API like any client (its key in the tab's sessionStorage), so this
 * class holds no rule and no key.
 */
public final class ConsoleRoutes {

  /**
   * Scripts, styles and connections from this origin only: no inline script or style, no eval, no
   * framing, no form posting elsewhere. connect-src 'self' covers the same-origin ws: feed.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
      + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  /** Every asset the page loads; a new module is added here, so nothing unlisted is ever served. */
  static final List<String> ASSETS = List.of("console.css", "favicon.svg", "app.js", "api.js", "feed.js", "dom.js", "orders.js",
      "panels.js", "chart.js", "actions.js");

  // text/javascript (RFC 9239), which module scripts need; pekko-http names only the older application/javascript
  private static final ContentType JAVASCRIPT = MediaTypes.customWithOpenCharset("text", "javascript", Map.of(), false, "js").toContentType(HttpCharsets.UTF_8);

  private static final List<HttpHeader> HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("X-Frame-Options", "DENY"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      // small files, revalidated each time: a new jar's console is never mixed with a cached old module
      RawHeader.create("Cache-Control", "no-cache"));

  private final HttpResponse page = response("index.html");
  private final Map<String, HttpResponse> assets = ASSETS.stream().collect(Collectors.toUnmodifiableMap(Function.identity(), ConsoleRoutes::response));

  public Route route() {
    return pathPrefix("console", () -> get(() -> concat(
        pathEnd(() -> complete(page)),
        // the page loads its assets by absolute path, so /console/ works too; one address keeps bookmarks alike
        pathSingleSlash(() -> redirect(Uri.create("/console"), StatusCodes.PERMANENT_REDIRECT)),
        path(PathMatchers.segment(), name -> assets.containsKey(name) ? complete(assets.get(name)) : reject()))));
  }

  private static HttpResponse response(String name) {
    return HttpResponse.create().withEntity(HttpEntities.create(contentType(name), resource(name))).addHeaders(HEADERS);
  }

  static ContentType contentType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1);
    return switch (ext) {
      case "html" -> ContentTypes.TEXT_HTML_UTF8;
      case "css" -> MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8);
      case "js" -> JAVASCRIPT;
      case "svg" -> ContentTypes.create(MediaTypes.IMAGE_SVG_XML);
      default -> throw new IllegalArgumentException("no content type for console asset " + name);
    };
  }

  private static byte[] resource(String name) {
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + name)) {
      if (in == null) throw new IllegalStateException("resource /console/" + name + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
