package io.sparkexec.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.CborSerializable;
import io.sparkexec.venue.Side;
import java.io.File;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A ledger snapshot written while the state was an immutable record still loads, through the migration in conf/pekko.conf. */
class RiskLedgerSnapshotMigrationTest {

  /** The shape the snapshots had: the ledger's former state record, field for field. */
  record FormerState(long offset, LocalDate day, Map<String, BigDecimal> notionalBySymbol, Map<String, BigDecimal> notionalByStrategy,
      Map<String, Map<String, BigDecimal>> positions, Map<String, RiskLedger.OpenOrder> open, Map<String, RiskLedger.OpenOrder> recentlyClosed)
      implements CborSerializable {}

  static final Config PRODUCT = ConfigFactory.parseFile(new File("conf/pekko.conf"));
  static final ActorTestKit kit = ActorTestKit.create("RiskLedgerSnapshotMigrationTest", ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.actor.serialization-bindings { "io.sparkexec.CborSerializable" = jackson-cbor }
      """).withFallback(PRODUCT.withOnlyPath("pekko.serialization")).withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aFormerStateSnapshotReadsAsTheSnapshotRecord() throws Exception {
    Map<String, RiskLedger.OpenOrder> closed = new LinkedHashMap<>();
    closed.put("c2", new RiskLedger.OpenOrder("alpha", "BTCUSDT", Side.SELL, BigDecimal.ZERO));
    closed.put("c1", new RiskLedger.OpenOrder("beta", "ETHUSDT", Side.BUY, BigDecimal.ZERO));
    FormerState former = new FormerState(42, LocalDate.parse("2026-03-01"), Map.of("BTCUSDT", new BigDecimal("300.5")),
        Map.of("alpha", new BigDecimal("300.5")), Map.of("alpha", Map.of("BTCUSDT", new BigDecimal("1.5"))),
        Map.of("o1", new RiskLedger.OpenOrder("alpha", "BTCUSDT", Side.BUY, new BigDecimal("0.5"))), closed);
    Serialization serialization = SerializationExtension.get(kit.system());
    Serializer serializer = serialization.findSerializerFor(former);
    byte[] bytes = serializer.toBinary(former);

    // as the snapshot store hands it back: the bytes with the manifest they were written under
    Object read = serialization.deserialize(bytes, serializer.identifier(), "io.sparkexec.risk.RiskLedger$State").get();

    RiskLedger.Snapshot expected = new RiskLedger.Snapshot(former.offset(), former.day(), former.notionalBySymbol(), former.notionalByStrategy(),
        former.positions(), former.open(), former.recentlyClosed());
    assertEquals(expected, read);
    assertEquals(java.util.List.of("c2", "c1"), java.util.List.copyOf(((RiskLedger.Snapshot) read).recentlyClosed().keySet()),
        "the closing order survives, so the oldest is evicted first");
  }
}
