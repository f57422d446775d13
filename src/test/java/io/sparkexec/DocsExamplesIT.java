package io.sparkexec;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestVenueSim;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docs' examples are tests: every fenced block right after a {@code <!-- doc-test -->} line in
 * README.md and docs/*.md (also indented in a list item) is run, in file order (README first, then
 * docs/ by name), with curl against a fresh executor. A marker may name the settings its examples
 * need ({@code <!-- doc-test settings: spark.queue.consumer.enabled=false -->}); the examples with
 * the same settings share one fresh server started with them, the default settings first, then
 * each other set in the order it first appears. {@code spark.venue.kind=http} also starts the venue
 * simulator, which the examples call at {@code localhost:8081}.
 *
 * <p>A doc's examples on one server run in one bash session, so {@code NAME=value} lines and
 * {@code TOKEN=$(curl ...)} carry over to the next example of that doc (the session's environment
 * has no keys: an example says where its {@code $ADMIN_KEY} comes from). A command is a {@code $ }-prompted line, a
 * {@code curl ...} line or a {@code NAME=...} line (continued with {@code \}); what follows it up
 * to the next command is its documented answer, in the same block, in {@code #} comments (also at
 * the end of the command's line), or in the fenced blocks right after it: an {@code HTTP/1.1 NNN}
 * line is the status to expect (of the command's last curl), a JSON value the body. Every member
 * the body shows must match, except those that differ from run to run ({@link #VOLATILE}); {@code ...}
 * in place of members leaves the rest out, in place of array elements lets more follow, at the end
 * of a string shows its beginning, anywhere else it leaves the status alone to check. A command
 * shown without a status must answer 2xx from every curl in it, and every command must exit 0. A
 * command without {@code -X} or {@code -d} (a GET) whose answer depends on work in the background
 * is polled until it matches.
 */
class DocsExamplesIT {

  private static final Pattern MARKER = Pattern.compile("^<!-- doc-test(?: settings: (.+?))? -->$");
  /** Members that differ from run to run: ids and tokens the server makes, times, market prices, prose. */
  private static final Set<String> VOLATILE = Set.of("venueOrderId", "decisionPrice", "avgPrice", "fills", "timestamps",
      "since", "at", "deadline", "claim", "visibleAgainAt", "enqueuedAt", "takenAt", "time", "file", "sizeBytes",
      "oldestReadyAgeSeconds", "detail", "message", "recovery", "audit", "phasesMs", "nextCursor", "token", "expiresAt",
      "tradeId", "fillPrice", "slippageBps", "placeToAckMs");
  private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/1\\.1 (\\d{3})");
  private static final Pattern COMMAND = Pattern.compile("^(\\$ |curl |[A-Za-z_][A-Za-z0-9_]*=)");
  private static final Pattern INLINE_ANSWER = Pattern.compile("\\s+#\\s*(.*)$");
  /** A command that may change something: run once, never polled. */
  private static final Pattern WRITES = Pattern.compile("\\s(-X\\S*|-d|--data\\S*)(\\s|$)");
  private static final Pattern ELIDED_ELEMENTS = Pattern.compile("([\\[,])\\s*(?:\\.\\.\\.|\u2026)\\s*(?=\\])");
  private static final Pattern ELIDED_OBJECT = Pattern.compile("\\{\\s*(?:\\.\\.\\.|\u2026)\\s*\\}");
  private static final Pattern ELIDED_MEMBERS = Pattern.compile(",\\s*(?:\\.\\.\\.|\u2026)\\s*(?=\\})");
  private static final String MORE = "...";
  /** A string shown ending in "..." shows its beginning. */
  private static final Pattern PREFIX = Pattern.compile("\\s*(?:\\.\\.\\.|\u2026)$");
  private static final String DONE = "@@doc-test-done@@";
  private static final String STATUS = "@@status=";
  private static final Duration POLL = Duration.ofSeconds(15);

  @TempDir
  Path dir;

  record Example(String source, String settings, String command, Integer status, String body) {
    String doc() {
      return source.substring(0, source.lastIndexOf(':'));
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hung command fails, not stalls
  void everyMarkedExampleAnswersAsDocumented() throws Exception {
    ExternalTools.requireCurl();
    ExternalTools.requireTool(ExternalTools.runs("jq", "--version"), "jq (Debian package)");
    List<Example> examples = new ArrayList<>(examples(Path.of("README.md")));
    try (Stream<Path> docs = Files.list(Path.of("docs"))) {
      for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) examples.addAll(examples(doc));
    }
    assertTrue(examples.size() >= 60, "marked examples found: " + examples);
    Map<String, List<Example>> bySettings = new LinkedHashMap<>();
    bySettings.put("", new ArrayList<>());
    for (Example e : examples) bySettings.computeIfAbsent(e.settings(), s -> new ArrayList<>()).add(e);
    int n = 0;
    for (Map.Entry<String, List<Example>> group : bySettings.entrySet()) runOnFreshServer(group.getKey(), group.getValue(), dir.resolve("server-" + n++));
  }

  /** The reader itself, on the forms the docs use, so a docs example cannot pass by being misread. */
  @Test
  void readsTheFormsTheDocsUse() throws Exception {
    Path doc = dir.resolve("doc.md");
    Files.writeString(doc, String.join("\n", "<!-- doc-test -->", "```", "T='X-API-Key: k'; J='Content-Type: application/json'",
        "# prose before a command", "curl -s localhost:8080/a -H \"$T\" \\", "  -d '{}'", "# HTTP/1.1 409 Conflict",
        "# {\"error\":{\"code\":\"X\"},", "#  \"n\":1}", "# prose after the answer", "curl -s localhost:8080/b   # {\"b\":[1,...]}", "```", "",
        "- in a list:", "", "  <!-- doc-test settings: b=2 a=1 -->", "  ```", "  $ curl -s localhost:8080/c", "  HTTP/1.1 201 Created", "  ```", ""));
    List<Example> found = examples(doc);
    assertEquals(4, found.size(), found.toString());
    assertEquals("T='X-API-Key: k'; J='Content-Type: application/json'", found.get(0).command());
    assertEquals("curl -s localhost:8080/a -H \"$T\"  -d '{}'", found.get(1).command());
    assertEquals(409, found.get(1).status());
    assertEquals(TestServer.MAPPER.readTree("{\"error\":{\"code\":\"X\"},\"n\":1}"), json(found.get(1).body()));
    assertEquals("curl -s localhost:8080/b", found.get(2).command());
    assertEquals("a=1 b=2", found.get(3).settings());
    assertEquals(201, found.get(3).status());
    assertEquals("curl -s localhost:8080/c", found.get(3).command());

    JsonNode actual = TestServer.MAPPER.readTree("{\"b\":[1,2],\"s\":\"canary-42\",\"claim\":\"z\",\"o\":{\"x\":1,\"y\":2}}");
    assertShown(json("{\"b\":[1,...],\"s\":\"canary-...\",\"claim\":\"5b0e\u2026\",\"o\":{...},...}"), actual, "", "shown");
    assertShown(json("{\"o\":{\"y\":2,...}}"), actual, "", "shown");
    for (String wrong : List.of("{\"b\":[1]}", "{\"b\":[2,...]}", "{\"s\":\"canary-43...\"}", "{\"o\":{\"x\":2,...}}", "{\"z\":null}")) {
      AssertionError refused = null;
      try {
        assertShown(json(wrong), actual, "", wrong);
      } catch (AssertionError e) {
        refused = e;
      }
      assertNotNull(refused, "passed although wrong: " + wrong);
    }
  }

  private void runOnFreshServer(String settings, List<Example> examples, Path data) throws Exception {
    Map<String, Object> overrides = new TreeMap<>();
    overrides.put("spark.risk.limits.price-collar-pct", "5"); // the documented server: the test server's wide collar set back
    overrides.putAll(settings(settings));
    TestVenueSim sim = "http".equals(overrides.get("spark.venue.kind")) ? TestVenueSim.inProcess(data) : null;
    if (sim != null) overrides.put("spark.venue.http.url", sim.url());
    System.out.println("DocsExamplesIT: " + examples.size() + " examples on a fresh server with " + (settings.isEmpty() ? "the default settings" : settings));
    try (sim; TestServer server = TestServer.inProcess(data, ConfigFactory.parseMap(overrides))) {
      Shell shell = null;
      try {
        for (Example e : examples) {
          if (shell == null || !shell.doc.equals(e.doc())) {
            if (shell != null) shell.close();
            shell = new Shell(e.doc(), data, server.port(), sim == null ? -1 : sim.port());
          }
          check(shell, e);
        }
      } finally {
        if (shell != null) shell.close();
      }
    }
  }

  static Map<String, String> settings(String settings) {
    Map<String, String> out = new TreeMap<>();
    for (String kv : settings.trim().split("\\s+")) {
      if (kv.isEmpty()) continue;
      int eq = kv.indexOf('=');
      assertTrue(eq > 0, "a setting is key=value: " + kv);
      out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }

  private static void check(Shell shell, Example e) throws IOException {
    boolean get = !WRITES.matcher(e.command()).find();
    if (!get) {
      shell.run(e).assertAsDocumented();
      return;
    }
    await(e.source()).atMost(POLL).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> shell.run(e).assertAsDocumented());
  }

  /** What one command printed, the statuses of its curls in order, and its exit code. */
  record Outcome(Example example, String body, List<Integer> statuses, int exit) {
    void assertAsDocumented() throws IOException {
      String where = example.source() + ": " + example.command() + "\n -> " + statuses + " exit " + exit + "\n" + body;
      assertEquals(0, exit, where);
      if (example.status() != null) {
        assertTrue(!statuses.isEmpty(), where);
        assertEquals(example.status().intValue(), statuses.get(statuses.size() - 1).intValue(), where);
      } else {
        for (int s : statuses) assertTrue(s >= 200 && s < 300, where);
      }
      JsonNode expected = json(example.body());
      if (expected == null) return;
      JsonNode actual;
      try {
        actual = TestServer.MAPPER.readTree(body);
      } catch (IOException notJson) {
        throw new AssertionError(where + "\n the answer is not JSON", notJson);
      }
      assertNotNull(actual, where);
      assertShown(expected, actual, "", where);
    }
  }

  /** Every member {@code expected} shows is in {@code actual} with the same value, volatile ones aside. */
  static void assertShown(JsonNode expected, JsonNode actual, String path, String where) {
    if (expected.isObject()) {
      assertTrue(actual != null && actual.isObject(), where + "\n at " + path + ": not an object: " + actual);
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> member = it.next();
        if (VOLATILE.contains(member.getKey())) continue;
        assertTrue(actual.has(member.getKey()), where + "\n at " + path + ": no member " + member.getKey());
        assertShown(member.getValue(), actual.get(member.getKey()), path + "/" + member.getKey(), where);
      }
    } else if (expected.isArray()) {
      boolean more = !expected.isEmpty() && MORE.equals(expected.get(expected.size() - 1).asText(null));
      int shown = more ? expected.size() - 1 : expected.size();
      assertTrue(actual != null && actual.isArray() && (more ? actual.size() >= shown : actual.size() == shown), where + "\n at " + path + ": " + actual);
      for (int i = 0; i < shown; i++) assertShown(expected.get(i), actual.get(i), path + "/" + i, where);
    } else if (expected.isTextual() && PREFIX.matcher(expected.asText()).find()) {
      String shown = PREFIX.matcher(expected.asText()).replaceFirst("");
      assertTrue(actual != null && actual.isTextual() && actual.asText().startsWith(shown), where + "\n at " + path + ": " + actual + " does not start with " + shown);
    } else {
      assertEquals(expected, actual, where + "\n at " + path);
    }
  }

  private static JsonNode json(String text) {
    String t = text.strip();
    if (!t.startsWith("{") && !t.startsWith("[")) return null;
    JsonNode shown = parsed(t);
    // an elided answer documents its status only; anything else is a typo in the docs
    assertTrue(shown != null || t.contains("...") || t.contains("\u2026"), "a documented answer is neither JSON nor elided (...): " + t);
    return shown;
  }

  /**
   * One bash for one doc's examples on one server. curl's status goes to stderr through a curlrc
   * ({@code %{stderr}}), so pipes and {@code $(curl ...)} see the body alone; the curlrc also
   * bounds every call in time, so a hung call fails the test instead of stalling it.
   */
  private static final class Shell implements AutoCloseable {
    final String doc;
    private final Process process;
    private final Writer in;
    private final BufferedReader out;
    private final BufferedReader err;
    private final int port;
    private final int simPort;

    Shell(String doc, Path data, int port, int simPort) throws IOException {
      this.doc = doc;
      this.port = port;
      this.simPort = simPort;
      Path home = Files.createDirectories(data.resolve("shell"));
      Files.writeString(home.resolve(".curlrc"), "max-time = 30\nwrite-out = \"%{stderr}" + STATUS + "%{http_code}\\n\"\n");
      ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc").directory(home.toFile());
      pb.environment().put("CURL_HOME", home.toString());
      process = pb.start();
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    }

    Outcome run(Example e) throws IOException {
      String command = e.command().replace("localhost:8080", "127.0.0.1:" + port).replace("127.0.0.1:8080", "127.0.0.1:" + port);
      if (simPort > 0) command = command.replace("localhost:8081", "127.0.0.1:" + simPort).replace("127.0.0.1:8081", "127.0.0.1:" + simPort);
      // stdin is the session's script: a command reading it would eat the commands after it
      in.write("{ " + command + "\n} < /dev/null\nprintf '\\n" + DONE + " %d\\n' $?; printf '" + DONE + "\\n' >&2\n");
      in.flush();
      StringBuilder body = new StringBuilder();
      int exit;
      while (true) {
        String line = out.readLine();
        if (line == null) throw new IOException(e.source() + ": bash ended: " + command);
        if (line.startsWith(DONE)) {
          exit = Integer.parseInt(line.substring(DONE.length()).strip());
          break;
        }
        body.append(line).append('\n');
      }
      List<Integer> statuses = new ArrayList<>();
      StringBuilder stderr = new StringBuilder();
      for (String line = err.readLine(); line != null && !line.equals(DONE); line = err.readLine()) {
        int at = line.indexOf(STATUS);
        if (at >= 0) statuses.add(Integer.valueOf(line.substring(at + STATUS.length()).strip()));
        if (at != 0) stderr.append(at > 0 ? line.substring(0, at) : line).append('\n');
      }
      String shown = body.toString().strip() + (stderr.isEmpty() ? "" : "\n(stderr) " + stderr.toString().strip());
      return new Outcome(e, exit == 0 ? body.toString().strip() : shown, statuses, exit);
    }

    @Override
    public void close() throws IOException {
      in.close();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  /** The marked blocks of one file, each split into commands with the answer shown after each. */
  static List<Example> examples(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Example> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher marker = MARKER.matcher(lines.get(i).strip());
      if (!marker.matches()) continue;
      String settings = marker.group(1) == null ? "" : String.join(" ", settings(marker.group(1)).entrySet().stream().map(s -> s.getKey() + "=" + s.getValue()).toList());
      List<String> block = new ArrayList<>();
      int j = i + 1;
      // the marked block and the fenced blocks right after it (blank lines between); a block
      // indented in a list item is read without its indentation
      while (j < lines.size() && lines.get(j).strip().startsWith("```")) {
        int indent = lines.get(j).indexOf("```");
        j++;
        for (; j < lines.size() && !lines.get(j).strip().startsWith("```"); j++) {
          String l = lines.get(j);
          block.add(l.substring(Math.min(indent, l.length() - l.stripLeading().length())));
        }
        j++;
        while (j < lines.size() && lines.get(j).isBlank()) j++;
        if (j < lines.size() && !lines.get(j).strip().startsWith("```")) break;
      }
      found.addAll(split(file + ":" + (i + 1), settings, block));
    }
    return found;
  }

  private static List<Example> split(String source, String settings, List<String> block) {
    List<Example> out = new ArrayList<>();
    for (int k = 0; k < block.size(); ) {
      String line = block.get(k);
      if (!COMMAND.matcher(line).find()) {
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
      Matcher inline = INLINE_ANSWER.matcher(cmd);
      String command = cmd.toString();
      if (inline.find()) {
        command = cmd.substring(0, inline.start());
        answer.append(answerLine(inline.group(1), answer));
      }
      while (k < block.size() && !COMMAND.matcher(block.get(k)).find()) {
        String l = block.get(k++);
        boolean comment = l.startsWith("#");
        if (comment) l = l.replaceFirst("^#\\s?", "");
        Matcher m = STATUS_LINE.matcher(l.strip());
        if (m.find()) status = Integer.valueOf(m.group(1));
        else if (comment) answer.append(answerLine(l, answer));
        else if (!l.contains(": ") || l.startsWith(" ") || l.startsWith("{") || l.startsWith("\"")) answer.append(l).append('\n');
      }
      out.add(new Example(source, settings, command, status, answer.toString()));
    }
    return out;
  }

  /** A comment line continues a JSON value begun in one; any other comment is prose. */
  private static String answerLine(String comment, StringBuilder answerSoFar) {
    String t = comment.strip();
    boolean continues = !answerSoFar.isEmpty() && parsed(answerSoFar.toString()) == null;
    return continues || t.startsWith("{") || t.startsWith("[") ? comment + "\n" : "";
  }

  private static JsonNode parsed(String text) {
    String t = text.strip();
    // "..." in place of members: the rest is not shown; in place of elements: more may follow
    String shown = ELIDED_MEMBERS.matcher(ELIDED_OBJECT.matcher(ELIDED_ELEMENTS.matcher(t).replaceAll("$1\"" + MORE + "\"")).replaceAll("{}")).replaceAll("");
    try {
      return TestServer.MAPPER.readTree(shown);
    } catch (IOException notWholeJson) {
      return null;
    }
  }
}
