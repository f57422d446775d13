package io.sparkexec.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(TestKitJUnit5Extension.class)
class GuardrailsTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("GuardrailsTest").withCustomConfig(RiskFixtures.KIT_CONFIG).build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Map<Limit, BigDecimal> DEFAULTS = RiskFixtures.DEFAULTS;

  final AtomicReference<Guardrails.State> published = new AtomicReference<>();
  final List<Guardrails.Event> changes = new ArrayList<>();

  EventSourcedBehaviorTestKit<Guardrails.Command, Guardrails.Event, Guardrails.State> kit(TradingState initial) {
    Guardrails.Deps deps = new Guardrails.Deps(Clock.fixed(NOW, ZoneOffset.UTC), initial, DEFAULTS, 2, 3, published::set, changes::add);
    EventSourcedBehaviorTestKit<Guardrails.Command, Guardrails.Event, Guardrails.State> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), Guardrails.create(deps));
    kit.clear();
    kit.restart();
    return kit;
  }

  static List<TradingState[]> transitions() {
    List<TradingState[]> all = new ArrayList<>();
    for (TradingState from : TradingState.values()) for (TradingState to : TradingState.values()) all.add(new TradingState[] {from, to});
    return all;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("transitions")
  void everyTransitionIsJournaledWithWhoWhyWhenAndPublished(TradingState from, TradingState to) {
    var kit = kit(from);
    assertEquals(from, published.get().tradingState(), "the recovered state is published before any command");

    var result = kit.<Guardrails.State>runCommand(replyTo -> new Guardrails.SetTradingState(to, "drill " + to, true, "ops-alice", replyTo));

    Guardrails.TradingStateChanged event = assertInstanceOf(Guardrails.TradingStateChanged.class, result.event());
    assertEquals(new Guardrails.TradingStateChanged(from, to, "drill " + to, true, "ops-alice", NOW), event);
    assertEquals(to, result.reply().tradingState());
    assertEquals("drill " + to, result.reply().reason());
    assertEquals("ops-alice", result.reply().by());
    assertEquals(NOW, result.reply().since());
    assertEquals(result.reply(), published.get());
    assertEquals(List.of(event), changes);
    Guardrails.AuditEntry audit = result.reply().audit().get(0);
    assertEquals(new Guardrails.AuditEntry(NOW, "ops-alice", "trading-state", from + " -> " + to + " (cancel open orders)", "drill " + to), audit);
  }

  @Test
  void stateLimitsAndAuditSurviveARestart() {
    var kit = kit(TradingState.ACTIVE);
    kit.<Guardrails.State>runCommand(replyTo -> new Guardrails.SetTradingState(TradingState.HALTED, "venue outage", false, "ops", replyTo));
    var limit = kit.<Guardrails.State>runCommand(replyTo -> new Guardrails.SetLimit(Limit.MAX_ORDER_QTY, new BigDecimal("2.5"), "tighten", "ops", replyTo));
    assertEquals(new Guardrails.LimitChanged(Limit.MAX_ORDER_QTY, DEFAULTS.get(Limit.MAX_ORDER_QTY), new BigDecimal("2.5"), "tighten", "ops", NOW),
        limit.event());
    Guardrails.State before = kit.getState();

    kit.restart();

    assertEquals(before, kit.getState());
    assertEquals(TradingState.HALTED, published.get().tradingState());
    assertEquals(new BigDecimal("2.5"), published.get().limits(DEFAULTS).get(Limit.MAX_ORDER_QTY));
    assertEquals(DEFAULTS.get(Limit.MAX_ORDER_NOTIONAL), published.get().limits(DEFAULTS).get(Limit.MAX_ORDER_NOTIONAL),
        "limits nobody changed follow the configuration");
  }

  @Test
  void theAuditKeepsTheLastEntriesOnly() {
    var kit = kit(TradingState.ACTIVE);
    for (int i = 1; i <= 5; i++) {
      int n = i;
      kit.<Guardrails.State>runCommand(replyTo -> new Guardrails.SetLimit(Limit.MAX_ORDER_QTY, BigDecimal.valueOf(n), "step " + n, "ops", replyTo));
    }
    List<Guardrails.AuditEntry> audit = kit.getState().audit();
    assertEquals(List.of("step 3", "step 4", "step 5"), audit.stream().map(Guardrails.AuditEntry::reason).toList());
  }

  @Test
  void theConfiguredInitialStateHoldsUntilAChangeIsJournaled() {
    var kit = kit(TradingState.HALTED);
    assertEquals(TradingState.HALTED, kit.getState().tradingState());
    assertEquals("config", kit.getState().by());
  }
}
