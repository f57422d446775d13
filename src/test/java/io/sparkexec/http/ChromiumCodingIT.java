package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real headless Chromium fetches a strict and a streamed answer from the edge ({@link EdgeServer}),
 * offering br as it does to every site, and reports the length and SHA-256 of what it decoded:
 * the bytes the edge would have sent as identity.
 */
@ExtendWith(LogCapturingExtension.class)
class ChromiumCodingIT {

  private static final byte[] PAGE = """
      <!doctype html><html><body><script>
      const report = (o) => fetch('/report', { method: 'POST', body: JSON.stringify(o) });
      (async () => {
        try {
          const results = {};
          for (const path of ['/big', '/stream']) {
            const bytes = new Uint8Array(await (await fetch(path, { cache: 'no-store' })).arrayBuffer());
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
            results[path] = { length: bytes.length, sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('') };
          }
          report({ event: 'done', results });
        } catch (e) {
          report({ event: 'error', message: String(e) });
        }
      })();
      </script></body></html>
      """.getBytes(StandardCharsets.UTF_8);

  @Test
  void headlessChromiumReceivesBrotliAndDecodesItToTheIdentityBytes() throws Exception {
    String chromium = ExternalTools.chromium();
    // outside @TempDir: Chromium's helper processes may still write there while JUnit cleans up
    Path profile = Files.createTempDirectory("chromium-profile");
    try (EdgeServer server = new EdgeServer(PAGE)) {
      Process browser = new ProcessBuilder(ExternalTools.chromiumCommand(chromium, profile, server.uri("/page.html").toString()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try {
        CompletableFuture<Done> gate = server.gates.poll(180, TimeUnit.SECONDS);
        if (gate == null) throw new AssertionError("Chromium never asked for /stream; its reports: " + server.reports);
        gate.complete(Done.getInstance());
        String report = server.reports.poll(180, TimeUnit.SECONDS);
        if (report == null) throw new AssertionError("no report from the page");
        JsonNode results = Json.MAPPER.readTree(report);
        assertEquals("done", results.path("event").asText(), report);

        assertTrue(server.acceptEncodings.get("/big").contains("br"), "Chromium offered: " + server.acceptEncodings.get("/big"));
        assertEquals("br", server.contentEncodings.get("/big"));
        assertEquals("br", server.contentEncodings.get("/stream"));
        assertDecoded(EdgeServer.BIG, results.path("results").path("/big"));
        assertDecoded(EdgeServer.STREAM, results.path("results").path("/stream"));
      } finally {
        ExternalTools.stopWithDescendants(browser);
      }
    } finally {
      deleteQuietly(profile);
    }
  }

  private static void assertDecoded(byte[] identity, JsonNode result) throws Exception {
    assertEquals(identity.length, result.path("length").asInt(), result.toString());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(identity)), result.path("sha256").asText());
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      // best effort: a leftover temp profile harms nothing
    }
  }
}
