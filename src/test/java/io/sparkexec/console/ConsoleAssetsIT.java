package io.sparkexec.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without a browser: /console serves the page and every asset it loads with the right content type
 * and the strict Content-Security-Policy, serves nothing else, and no console asset is reachable
 * outside /console.
 */
class ConsoleAssetsIT {

  private static final Path SOURCES = Path.of("src/main/resources/console");
  private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=UTF-8", "js", "text/javascript; charset=UTF-8",
      "css", "text/css; charset=UTF-8", "svg", "image/svg+xml");
  private static final Pattern PAGE_REFERENCE = Pattern.compile("(?:src|href)=\"/console/([^\"]+)\"");
  private static final Pattern IMPORT = Pattern.compile("from '\\./([^']+)'");

  @TempDir
  static Path dir;
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void assertServed(String path, String type) {
    TestServer.Response r = server.publicGet(path);
    assertEquals(200, r.status(), path);
    assertEquals(type, r.header("Content-Type").orElse(""), path);
    assertEquals(ConsoleRoutes.CONTENT_SECURITY_POLICY, r.header("Content-Security-Policy").orElse(""), path);
    assertEquals("nosniff", r.header("X-Content-Type-Options").orElse(""), path);
    assertEquals("DENY", r.header("X-Frame-Options").orElse(""), path);
    assertEquals("no-referrer", r.header("Referrer-Policy").orElse(""), path);
  }

  @Test
  void thePageHasTheStrictPolicyAndNoInlineScriptOrStyle() {
    assertServed("/console", TYPES.get("html"));
    String csp = server.publicGet("/console").header("Content-Security-Policy").orElseThrow();
    assertTrue(csp.startsWith("default-src 'none'") && csp.contains("script-src 'self';") && !csp.contains("unsafe"), csp);
    String page = server.publicGet("/console").text();
    Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(page);
    int count = 0;
    while (scripts.find()) {
      count++;
      assertTrue(scripts.group(1).contains("src=\"/console/"), "every script is a file of /console: " + scripts.group());
    }
    assertEquals(1, count, "one module script, the app");
    assertFalse(Pattern.compile("\\son[a-z]+=|\\sstyle=|<style").matcher(page).find(), "no inline handler or style");
  }

  /** The page's references and the modules' imports, followed to the end, are every file of the console, each served. */
  @Test
  void everyAssetThePageLoadsIsServedWithItsContentType() throws IOException {
    Set<String> reached = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>();
    PAGE_REFERENCE.matcher(server.publicGet("/console").text()).results().forEach(m -> todo.add(m.group(1)));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!reached.add(name)) continue;
      String ext = name.substring(name.lastIndexOf('.') + 1);
      assertServed("/console/" + name, TYPES.get(ext));
      if (ext.equals("js")) IMPORT.matcher(server.publicGet("/console/" + name).text()).results().forEach(m -> todo.add(m.group(1)));
    }
    try (Stream<Path> files = Files.list(SOURCES)) {
      Set<String> sources = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("index.html")).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(sources, reached, "every file of the console is loaded by the page, and served");
    }
    assertEquals(new TreeSet<>(ConsoleRoutes.ASSETS), reached);
  }

  @Test
  void nothingElseIsServedAndNoAssetOutsideConsole() {
    for (String path : new String[] {"/app.js", "/console.css", "/favicon.svg", "/index.html", "/consoleapp.js", "/console.js",
        "/console/index.html", "/console/nope.js", "/console/app.js/x", "/console/sub/app.js", "/console/logback.xml",
        "/console/application.conf", "/console/openapi.json", "/console/..%2Flogback.xml", "/console/%2e%2e%2Fapplication.conf",
        "/console/%2e%2e/console/app.js/", "/api/public/console", "/api/console/app.js"}) {
      TestServer.Response r = server.publicGet(path);
      assertEquals(404, r.status(), path + " answered " + r);
      assertTrue(r.header("Content-Type").orElse("").startsWith("application/json"), path + ": the API's JSON 404");
    }
    TestServer.Response slash = server.publicGet("/console/");
    assertEquals(308, slash.status());
    assertEquals("/console", slash.header("Location").orElse(""));
    TestServer.Response post = server.send(HttpRequest.newBuilder(server.uri("/console/app.js")).POST(HttpRequest.BodyPublishers.noBody()).build());
    assertEquals(405, post.status());
  }

  /** What the page's security rests on, kept by every module: text nodes only, the key in sessionStorage only. */
  @Test
  void theScriptsRenderTextOnlyAndKeepTheKeyOutOfStorageAndUrls() throws IOException {
    Pattern unsafe = Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|\\beval\\(|new Function|localStorage|document\\.cookie");
    for (String name : ConsoleRoutes.ASSETS) {
      if (!name.endsWith(".js")) continue;
      String js = server.publicGet("/console/" + name).text().replaceAll("(?m)^\\s*//.*$", ""); // the code, not its comments
      assertFalse(unsafe.matcher(js).find(), name + " uses " + unsafe.matcher(js).results().map(java.util.regex.MatchResult::group).toList());
      assertEquals(name.equals("api.js"), js.contains("sessionStorage"), name + ": only the REST client touches the stored key");
    }
  }
}
