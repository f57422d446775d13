package io.sparkexec.risk;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload must never turn into a false limit refusal: orders refused for load (the in-flight
 * bound) or answered without being journaled give back what the risk guard reserved for them.
 * A burst far past the in-flight bound, then the same strategy on the idle server: it gets exactly
 * the daily notional the journaled orders left, not less.
 */
class ReservationLeakIT {

  static final int ROOM = 400; // orders the daily notional admits
  static final int BURST = 300; // fewer than ROOM: no order of the burst may meet the limit

  @TempDir
  Path dataDir;

  /** A passive IOC BUY far under the market: it expires at the venue, so it never stays open; notional 0.001 x 10000 = 10 USDT. */
  static String order(String id) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "timeInForce", "IOC", "quantity", "0.001",
        "price", "10000.00", "strategy", "leak");
  }

  static String code(Response r) {
    return r.status() < 300 ? "journaled" : r.json().path("error").path("code").asText("HTTP " + r.status());
  }

  @Test
  void ordersRefusedForLoadLeaveTheDailyNotionalToTheOrdersThatFollow() throws Exception {
    try (TestServer server = TestServer.inProcess(dataDir, ConfigFactory.parseMap(Map.of(
        "spark.http.max-in-flight-orders", 4,
        // each order waits for its ack a little, so 32 callers keep the bound full
        "spark.venue.sim.ack-latency-ms", 5,
        "spark.risk.limits.daily-notional-per-strategy", String.valueOf(ROOM * 10),
        // a leaked reservation would outlive the test: the fix must not lean on the TTL
        "spark.risk.reservation-ttl", "10 minutes")))) {
      Map<String, AtomicInteger> burst = new ConcurrentHashMap<>();
      ExecutorService callers = Executors.newFixedThreadPool(32);
      try {
        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
          String id = "burst-" + i;
          calls.add(callers.submit(() -> burst.computeIfAbsent(code(server.placeOrder(order(id))), k -> new AtomicInteger()).incrementAndGet()));
        }
        for (Future<?> call : calls) call.get();
      } finally {
        callers.shutdownNow();
      }
      int journaled = burst.getOrDefault("journaled", new AtomicInteger()).get();
      assertTrue(burst.getOrDefault("TOO_MANY_IN_FLIGHT", new AtomicInteger()).get() > 0, () -> "the burst went past the in-flight bound: " + burst);
      assertEquals(BURST, journaled + burst.get("TOO_MANY_IN_FLIGHT").get(),
          () -> "an idle server takes every burst order (they fit the limit); load may only refuse for load: " + burst);

      // idle now: exactly the room the journaled orders left, then the limit
      int left = ROOM - journaled;
      for (int i = 0; i < left; i++) {
        Response r = server.placeOrder(order("after-" + i));
        assertEquals("journaled", code(r), "order " + (i + 1) + " of the " + left + " the limit still admits: " + r);
      }
      Response over = server.placeOrder(order("after-over"));
      assertEquals("RISK_LIMIT", code(over), over::toString);
      assertEquals("dailyNotionalPerStrategy", over.json().path("error").path("details").path("limit").asText(), over::toString);
    }
  }
}
