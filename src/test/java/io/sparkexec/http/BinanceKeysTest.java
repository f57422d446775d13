package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Binance key pairs an executor key may carry (issue #18): who they act as, their strategy, their reload. */
class BinanceKeysTest {

  static Config auth(String keys) {
    return ConfigFactory.parseString("keys = [" + keys + "]\ndev-keys = [\"front-dev-key\"]");
  }

  @Test
  void aPairActsAsItsExecutorKeyWithItsStrategy() {
    Auth a = Auth.fromConfig(auth("""
        { key = "k1", role = "trader", name = "alpha", strategies = ["alpha"], binance { api-key = "b1", secret = "s1" } }
        { key = "k2", role = "admin", name = "ops" }
        """), "paper");
    Auth.BinanceKey b = a.binanceKey("b1").orElseThrow();
    assertEquals("alpha", b.principal().name());
    assertEquals(Set.of("alpha"), b.principal().strategies());
    assertEquals("s1", b.secret());
    assertEquals("alpha", b.strategy(), "a key's only strategy");
    assertTrue(a.binanceKey("k1").isEmpty(), "the executor key is no Binance key");
    assertTrue(a.binanceKey("nobody").isEmpty());
    assertTrue(a.authenticate("b1").isEmpty(), "a Binance key is no executor key");
    assertTrue(!b.toString().contains("s1"), "the secret stays out of logs");
  }

  @Test
  void aKeyBoundToSeveralStrategiesMustNameOne() {
    assertThrows(IllegalArgumentException.class, () -> Auth.fromConfig(auth("""
        { key = "k1", role = "trader", name = "ab", strategies = ["a", "b"], binance { api-key = "b1", secret = "s1" } }"""), "paper"));
    assertThrows(IllegalArgumentException.class, () -> Auth.fromConfig(auth("""
        { key = "k1", role = "trader", name = "ab", strategies = ["a", "b"], binance { api-key = "b1", secret = "s1", strategy = "c" } }"""), "paper"));
    Auth a = Auth.fromConfig(auth("""
        { key = "k1", role = "trader", name = "ab", strategies = ["a", "b"], binance { api-key = "b1", secret = "s1", strategy = "b" } }
        { key = "k2", role = "trader", name = "any", binance { api-key = "b2", secret = "s2" } }"""), "paper");
    assertEquals("b", a.binanceKey("b1").orElseThrow().strategy());
    assertNull(a.binanceKey("b2").orElseThrow().strategy(), "an unbound key's orders carry no strategy");
  }

  @Test
  void pairsReloadWithTheKeyFile() {
    Auth a = Auth.fromConfig(auth("{ key = \"k1\", role = \"trader\", name = \"t\", binance { api-key = \"b1\", secret = \"s1\" } }"), "paper");
    a.reload(auth("{ key = \"k1\", role = \"trader\", name = \"t\", binance { api-key = \"b2\", secret = \"s2\" } }"));
    assertTrue(a.binanceKey("b1").isEmpty(), "the old pair is gone");
    assertEquals("s2", a.binanceKey("b2").orElseThrow().secret());
    // a bad file changes nothing
    assertThrows(IllegalArgumentException.class, () -> a.reload(auth("""
        { key = "k1", role = "trader", name = "t", binance { api-key = "b3", secret = "s" } }
        { key = "k2", role = "trader", name = "u", binance { api-key = "b3", secret = "s" } }""")));
    assertEquals("s2", a.binanceKey("b2").orElseThrow().secret());
  }

  @Test
  void theDevelopmentPairIsRefusedInLiveTrading() {
    assertThrows(IllegalStateException.class, () -> Auth.fromConfig(auth(
        "{ key = \"k1\", role = \"trader\", name = \"t\", binance { api-key = \"front-dev-key\", secret = \"s\" } }"), "live"));
  }
}
