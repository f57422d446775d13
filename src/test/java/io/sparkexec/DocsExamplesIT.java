package io.sparkexec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docs' examples are tests: every fenced block right after a {@code <!-- doc-test -->} line in
 * README.md and docs/*.md is run, in file order (README first, then docs/ by name), with curl
 * against one fresh executor on the default settings. A {@code $ curl ...} command (continued
 * with {@code \}) is followed by its documented answer, in the same block or in the fenced blocks
 * right after it: an {@code HTTP/1.1 NNN} line is the status to expect, a JSON object the body whose
 * key fields must match. A command shown without an answer must answer 2xx.
 */
class DocsExamplesIT {

  private static final String MARKER = "<!-- doc-test -->";
  /** The members compared when the docs show them: what a reader acts on, not ids or times. */
  private static final List<String> KEY_FIELDS = List.of("clientOrderId", "symbol", "side", "type", "timeInForce", "quantity", "price",
      "status", "executedQty", "strategy", "reason", "ready", "accepted", "duplicates");
  private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/1\\.1 (\\d{3})");

  @TempDir
  Path dir;

  record Example(String source, String command, Integer status, String body) {}

  @Test
  void everyMarkedExampleAnswersAsDocumented() throws Exception {
    boolean curl = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start().waitFor() == 0;
    if (!curl) {
      System.out.println("DocsExamplesIT: SKIPPED, curl is not installed (apt-get install -y curl)");
      assertFalse("true".equals(System.getenv("CI")), "curl is required on CI");
      assumeTrue(false, "curl is not installed");
    }
    List<Example> examples = new ArrayList<>();
    examples.addAll(examples(Path.of("README.md")));
    try (Stream<Path> docs = Files.list(Path.of("docs"))) {
      for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) examples.addAll(examples(doc));
    }
    assertTrue(examples.size() >= 10, "marked examples found: " + examples);
    // the documented server: default settings (the test server's wide price collar set back)
    try (TestServer server = TestServer.inProcess(dir, ConfigFactory.parseMap(Map.of("spark.risk.limits.price-collar-pct", "5")))) {
      for (Example e : examples) check(e, server.port());
    }
  }

  private static void check(Example e, int port) throws IOException, InterruptedException {
    String command = e.command().replace("localhost:8080", "127.0.0.1:" + port).replace("127.0.0.1:8080", "127.0.0.1:" + port)
        + " -w '\\n%{http_code}'";
    Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), e.source() + ": still running: " + command);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    int nl = out.lastIndexOf('\n');
    int status = Integer.parseInt(out.substring(nl + 1).strip());
    String body = nl < 0 ? "" : out.substring(0, nl);
    String where = e.source() + ": " + e.command() + "\n -> " + status + " " + body;
    if (e.status() != null) assertEquals(e.status().intValue(), status, where);
    else assertTrue(status >= 200 && status < 300, where);
    JsonNode expected = json(e.body());
    if (expected == null) return;
    JsonNode actual = TestServer.MAPPER.readTree(body);
    for (String field : KEY_FIELDS) {
      if (expected.has(field)) assertEquals(expected.get(field), actual.get(field), where + "\n field " + field);
    }
    if (expected.has("error")) {
      assertEquals(expected.at("/error/code"), actual.at("/error/code"), where);
      if (expected.at("/error").has("field")) assertEquals(expected.at("/error/field"), actual.at("/error/field"), where);
    }
  }

  private static JsonNode json(String text) {
    String t = text.strip();
    if (!t.startsWith("{")) return null;
    try {
      return TestServer.MAPPER.readTree(t);
    } catch (IOException notWholeJson) {
      return null; // an elided answer ("...") documents its status only
    }
  }

  /** The marked blocks of one file, each split into commands with the answer shown after each. */
  static List<Example> examples(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Example> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).strip().equals(MARKER)) continue;
      List<String> block = new ArrayList<>();
      int j = i + 1;
      // the marked block and the fenced blocks right after it (blank lines between)
      while (j < lines.size() && lines.get(j).startsWith("```")) {
        j++;
        while (j < lines.size() && !lines.get(j).startsWith("```")) block.add(lines.get(j++));
        j++;
        while (j < lines.size() && lines.get(j).isBlank()) j++;
        if (j < lines.size() && !lines.get(j).startsWith("```")) break;
      }
      found.addAll(split(file + ":" + (i + 1), block));
    }
    return found;
  }

  private static List<Example> split(String source, List<String> block) {
    List<Example> out = new ArrayList<>();
    for (int k = 0; k < block.size(); ) {
      String line = block.get(k);
      if (!line.startsWith("$ curl ") && !line.startsWith("curl ")) {
        k++;
        continue;
      }
      StringBuilder cmd = new StringBuilder(line.startsWith("$ ") ? line.substring(2) : line);
      while (cmd.toString().endsWith("\\") && ++k < block.size()) {
        cmd.setLength(cmd.length() - 1);
        cmd.append(' ').append(block.get(k).strip());
      }
      k++;
      Integer status = null;
      StringBuilder answer = new StringBuilder();
      while (k < block.size() && !block.get(k).startsWith("$ curl ") && !block.get(k).startsWith("curl ")) {
        Matcher m = STATUS_LINE.matcher(block.get(k));
        if (m.find()) status = Integer.valueOf(m.group(1));
        else if (!block.get(k).contains(": ") || block.get(k).startsWith(" ") || block.get(k).startsWith("{") || block.get(k).startsWith("\"")) answer.append(block.get(k)).append('\n');
        k++;
      }
      out.add(new Example(source, cmd.toString().replaceAll("\\s+#.*$", ""), status, answer.toString()));
    }
    return out;
  }
}
