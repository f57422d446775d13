package io.sparkexec.snapshot;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal with known fills (market orders, one of them a queued signal) exports exactly those
 * fills, in NDJSON and CSV, over HTTP and with the offline {@code export fills} command.
 */
@ExtendWith(LogCapturingExtension.class)
class ExportIT {

  @TempDir
  Path dataDir;

  @Test
  void exportsExactlyTheJournaledFillsInBothFormatsOverHttpAndOffline() throws Exception {
    List<String> expected = new ArrayList<>();
    try (TestServer server = TestServer.inProcess(dataDir)) {
      for (int i = 0; i < 3; i++) {
        Response r = server.placeOrder(json("clientOrderId", "exp-" + i, "symbol", "BTCUSDT", "side", i == 1 ? "SELL" : "BUY",
            "type", "MARKET", "quantity", "0.001", "strategy", "research", "respType", "RESULT"));
        assertEquals(200, r.status(), r::toString);
      }
      assertEquals(200, server.post("/api/private/queue/enqueue", "{\"job\":\"exp-signal\",\"data\":" + json("symbol", "BTCUSDT", "side", "BUY",
          "type", "MARKET", "quantity", "0.002", "strategy", "research") + "}").status());
      await().atMost(Duration.ofSeconds(60)).until(() -> "FILLED".equals(server.getOrder("exp-signal").json().path("status").asText()));
      for (String id : List.of("exp-0", "exp-1", "exp-2", "exp-signal")) {
        JsonNode o = server.getOrder(id).json();
        for (JsonNode f : o.get("fills")) {
          expected.add(id + " " + f.get("tradeId").asText() + " " + o.get("side").asText() + " " + dec(f.get("price")) + " " + dec(f.get("quantity"))
              + " " + dec(o.get("decisionPrice")));
        }
      }
      assertTrue(expected.size() >= 4, expected::toString);

      Response ndjson = server.get("/api/private/export/fills?format=ndjson");
      assertEquals(200, ndjson.status(), ndjson::toString);
      assertTrue(ndjson.header("Content-Type").orElse("").startsWith("application/x-ndjson"), ndjson.headers()::toString);
      List<JsonNode> rows = new ArrayList<>();
      for (String line : ndjson.text().split("\n")) rows.add(TestServer.MAPPER.readTree(line));
      assertEquals(new TreeSet<>(expected), new TreeSet<>(rows.stream().map(ExportIT::key).toList()));
      for (JsonNode row : rows) {
        assertEquals("real", row.get("kind").asText());
        assertEquals("research", row.get("strategy").asText());
        assertTrue(row.get("placeToAckMs").asLong() >= 0, row::toString);
        BigDecimal slip = new BigDecimal(row.get("slippageBps").asText());
        assertEquals(0, slip.compareTo(FillExport.slippageBps(io.sparkexec.venue.Side.valueOf(row.get("side").asText()),
            new BigDecimal(row.get("decisionPrice").asText()), new BigDecimal(row.get("fillPrice").asText()))), row::toString);
        assertEquals(row.get("clientOrderId").asText().equals("exp-signal"), row.hasNonNull("queueWaitMs"), row::toString);
      }

      Response csv = server.get("/api/private/export/fills?format=csv&from=2000-01-01&to=2999-01-01T00:00:00Z");
      assertEquals(200, csv.status());
      assertEquals(new TreeSet<>(expected), csvKeys(csv.text()));

      // an empty range, and bad parameters naming the field
      Response none = server.get("/api/private/export/fills?format=csv&to=2000-01-02&from=2000-01-01");
      assertEquals(FillExport.CSV_HEADER, none.text());
      for (Map.Entry<String, String> bad : Map.of("from=yesterday", "from", "to=2026-13-01", "to", "format=xml", "format",
          "from=2026-03-02&to=2026-03-01", "to",
          // instants Java parses but epoch milliseconds cannot hold (was a 500)
          "from=-1000000000-01-01T00:00:00Z", "from", "to=%2B1000000000-12-31T23:59:59Z", "to").entrySet()) {
        Response r = server.get("/api/private/export/fills?" + bad.getKey());
        assertEquals(400, r.status(), bad + " -> " + r);
        assertEquals(bad.getValue(), r.json().get("error").get("field").asText(), bad::toString);
      }
    }

    // offline, on the stopped server's journal
    Path out = dataDir.resolve("fills.csv");
    int code = ExportCommand.run(new String[] {"fills", "--format", "csv", "--out", out.toString()},
        ConfigFactory.parseMap(Map.of("spark.journal.dir", dataDir.resolve("journal").toString())));
    assertEquals(0, code);
    assertEquals(new TreeSet<>(expected), csvKeys(Files.readString(out)));
  }

  private static String key(JsonNode row) {
    return row.get("clientOrderId").asText() + " " + row.get("tradeId").asText() + " " + row.get("side").asText() + " "
        + dec(row.get("fillPrice")) + " " + dec(row.get("quantity")) + " " + dec(row.get("decisionPrice"));
  }

  private static TreeSet<String> csvKeys(String text) {
    String[] lines = text.split("\n");
    assertEquals(FillExport.CSV_HEADER.trim(), lines[0]);
    TreeSet<String> keys = new TreeSet<>();
    for (int i = 1; i < lines.length; i++) {
      String[] c = lines[i].split(",", -1);
      assertEquals(13, c.length, lines[i]);
      keys.add(c[2] + " " + c[3] + " " + c[5] + " " + new BigDecimal(c[9]).stripTrailingZeros().toPlainString() + " "
          + new BigDecimal(c[7]).stripTrailingZeros().toPlainString() + " " + new BigDecimal(c[8]).stripTrailingZeros().toPlainString());
    }
    return keys;
  }

  private static String dec(JsonNode n) {
    return new BigDecimal(n.asText()).stripTrailingZeros().toPlainString();
  }
}
