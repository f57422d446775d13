package io.sparkexec.feed;

import io.sparkexec.testing.ExternalTools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What the feed's interop tests share beyond {@link ExternalTools}: Node's ws package, client
 * processes whose output lines are read, the page server for Chromium.
 */
final class Interop {

  private Interop() {}

  /** The ws npm package, installed under target/node when npm is there and it is missing. */
  static Path nodeWsModule() {
    Path module = Path.of("target/node/node_modules/ws").toAbsolutePath();
    if (!Files.isDirectory(module) && ExternalTools.runs("npm", "--version")) {
      ExternalTools.runs("npm", "install", "--prefix", "target/node", "--no-audit", "--no-fund", "ws@8");
    }
    ExternalTools.requireTool(ExternalTools.runs("node", "--version") && Files.isDirectory(module), "node with the ws package (npm install --prefix target/node ws@8)");
    return module;
  }

  /** A started process whose output lines are collected. */
  record Client(Process process, BlockingQueue<String> lines) {
    static Client start(List<String> command, Path dir) throws IOException {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l = r.readLine(); l != null; l = r.readLine()) lines.add(l);
        } catch (IOException ignored) {
          // the process ended
        }
      }, "interop-output");
      reader.setDaemon(true);
      reader.start();
      return new Client(p, lines);
    }

    /** The first line starting with {@code prefix}; fails on an error line or after two minutes. */
    String await(String prefix) throws InterruptedException {
      List<String> seen = new ArrayList<>();
      while (true) {
        String l = lines.poll(120, TimeUnit.SECONDS);
        if (l == null) throw new AssertionError("no " + prefix + " line; output so far: " + seen);
        seen.add(l);
        if (l.startsWith(prefix)) return l.substring(prefix.length()).trim();
        if (l.startsWith("ERROR") || l.startsWith("GAP")) throw new AssertionError("client reported: " + l + "; output: " + seen);
      }
    }
  }

  static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      // best effort: a leftover temp profile harms nothing
    }
  }

  /**
   * The page Chromium opens, served by a small HTTP server of the test's own: {@code /page.html},
   * and {@code /<postPath>} where the page POSTs what it has to say (into {@code posts}), so
   * nothing depends on when Chromium dumps or exits. Started; the caller stops it.
   */
  static com.sun.net.httpserver.HttpServer pageServer(byte[] page, String postPath, BlockingQueue<String> posts) throws IOException {
    com.sun.net.httpserver.HttpServer pages = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    pages.createContext("/page.html", ex -> {
      ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
      ex.sendResponseHeaders(200, page.length);
      ex.getResponseBody().write(page);
      ex.close();
    });
    pages.createContext(postPath, ex -> {
      posts.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    pages.start();
    return pages;
  }
}
