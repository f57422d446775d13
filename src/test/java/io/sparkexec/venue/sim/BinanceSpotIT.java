package io.sparkexec.venue.sim;

import static io.sparkexec.testing.TestVenueSim.limitOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import io.sparkexec.venue.Signing;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of Binance spot a stock client needs beyond what HttpVenue uses (docs/venue-sim.md),
 * over real HTTP on loopback against the simulator in this JVM: form bodies, orderId lookups,
 * the account, market data, order and trade history.
 */
@ExtendWith(LogCapturingExtension.class)
class BinanceSpotIT {

  /** Far below BTCUSDT's 65000: rests until canceled. */
  private static final String FAR_BID = "1000.00";

  @TempDir
  static Path dataDir;

  static TestVenueSim sim;

  @BeforeAll
  static void start() {
    sim = TestVenueSim.inProcess(dataDir);
  }

  @AfterAll
  static void stop() {
    if (sim != null) sim.close();
  }

  /** A request as ccxt and python-binance send a POST: query string, form body, the signature over both concatenated. */
  private static Response form(String method, String path, String query, String body, String signedOver) {
    String signature = new Signing(TestVenueSim.API_SECRET).sign(signedOver);
    boolean signatureInBody = !body.isEmpty();
    String q = signatureInBody ? query : query + "&signature=" + signature;
    String b = signatureInBody ? body + "&signature=" + signature : body;
    HttpRequest request = HttpRequest.newBuilder(URI.create(sim.url() + path + (q.isEmpty() ? "" : "?" + q)))
        .timeout(Duration.ofSeconds(30)).header("X-MBX-APIKEY", TestVenueSim.API_KEY)
        .header("Content-Type", "application/x-www-form-urlencoded").method(method, HttpRequest.BodyPublishers.ofString(b)).build();
    return sim.send(request);
  }

  private static String params(Map<String, String> order) {
    Map<String, String> all = new LinkedHashMap<>(order);
    all.put("timestamp", String.valueOf(System.currentTimeMillis()));
    return TestVenueSim.queryString(all);
  }

  @Test
  void signedParametersMayComeInTheFormBody() {
    String body = params(limitOrder("form-1", "BTCUSDT", "BUY", "0.01", FAR_BID));
    Response placed = form("POST", "/api/v3/order", "", body, body);
    assertEquals(200, placed.status(), placed::text);
    assertEquals("form-1", placed.json().get("clientOrderId").asText());
    assertEquals("NEW", placed.json().get("status").asText());
    assertEquals(1, sim.submissions("form-1"));
  }

  @Test
  void theSignatureCoversTheQueryStringThenTheBody() {
    String query = "symbol=BTCUSDT&side=BUY";
    String body = params(Map.of("type", "LIMIT", "timeInForce", "GTC", "quantity", "0.01", "price", FAR_BID, "newClientOrderId", "form-2"));
    Response placed = form("POST", "/api/v3/order", query, body, query + body);
    assertEquals(200, placed.status(), placed::text);
    assertEquals("BUY", placed.json().get("side").asText());
    assertEquals(1, sim.submissions("form-2"));
  }

  @Test
  void aBodyTheSignatureDoesNotCoverIsRefusedAndCreatesNothing() {
    String body = params(limitOrder("form-3", "BTCUSDT", "BUY", "0.01", FAR_BID));
    Response refused = form("POST", "/api/v3/order", "", body.replace("0.01", "0.02"), body);
    assertEquals(400, refused.status(), refused::text);
    assertEquals(-1022, refused.json().get("code").asInt());
    assertEquals(0, sim.submissions("form-3"));
  }
}
