package io.sparkexec.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class ChaosTest {

  static final Config KIT_CONFIG = EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString(
      "pekko.actor.serialization-bindings { \"io.sparkexec.CborSerializable\" = jackson-cbor }"));

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("ChaosTest").withCustomConfig(KIT_CONFIG).build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final ChaosSettings DEFAULTS = new ChaosSettings(5, 0, 0, 0, 0, 30, ChaosSettings.Scope.EVERYWHERE);
  static final ChaosSettings VENUE = new ChaosSettings(0, 0, 20, 200, 0, 0, new ChaosSettings.Scope(List.of(), List.of("BTCUSDT")));

  final AtomicReference<Chaos.State> published = new AtomicReference<>();

  EventSourcedBehaviorTestKit<Chaos.Command, Chaos.Event, Chaos.State> kit(int auditKeep) {
    Chaos.Deps deps = new Chaos.Deps(Clock.fixed(NOW, ZoneOffset.UTC), DEFAULTS, 2, auditKeep, published::set);
    EventSourcedBehaviorTestKit<Chaos.Command, Chaos.Event, Chaos.State> kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        Chaos.create(deps));
    kit.clear();
    kit.restart();
    return kit;
  }

  @Test
  void theStartUpDefaultsHoldUntilTheFirstChangeWhichIsJournaledWithWhoWhyWhen() {
    var kit = kit(10);
    assertEquals(new Chaos.State(DEFAULTS, Chaos.SOURCE_CONFIG, List.of()), published.get(), "published after recovery");

    var result = kit.<Chaos.State>runCommand(replyTo -> new Chaos.Change(VENUE, "set", "game day", "ops-alice", replyTo));

    assertEquals(new Chaos.ChaosChanged(DEFAULTS, VENUE, "set", "game day", "ops-alice", NOW), result.event());
    Chaos.State expected = new Chaos.State(VENUE, Chaos.SOURCE_JOURNAL, List.of(new Chaos.AuditEntry(NOW, "ops-alice", "set", VENUE, "game day")));
    assertEquals(expected, result.state());
    assertEquals(expected, result.reply());
    assertEquals(expected, published.get(), "published after the change");
  }

  @Test
  void aRestartGivesAnEqualStateAndTheAuditLogKeepsTheLatest() {
    var kit = kit(2);
    kit.<Chaos.State>runCommand(replyTo -> new Chaos.Change(VENUE, "set", "one", "a", replyTo));
    kit.<Chaos.State>runCommand(replyTo -> new Chaos.Change(ChaosSettings.OFF, "off", "two", "b", replyTo));
    Chaos.State before = kit.<Chaos.State>runCommand(replyTo -> new Chaos.Change(DEFAULTS, "toggle", null, "c", replyTo)).state();
    assertEquals(List.of("off", "toggle"), before.audit().stream().map(Chaos.AuditEntry::action).toList());

    kit.restart();
    assertEquals(before, kit.getState());
    assertEquals(before, published.get());
  }
}
