package io.sparkexec.feed;

import io.sparkexec.testing.ManualClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.http.Auth;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WsTokensTest {

  private static final Auth.Principal TRADER = new Auth.Principal("dev-trader", Auth.Role.TRADER, java.util.Set.of());

  /** A clock the test moves by hand. */
  @Test
  void aTokenWorksOnceWithinItsTtl() {
    ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    WsTokens tokens = new WsTokens(Duration.ofSeconds(30), 10, 10, clock);
    WsTokens.Issued t = tokens.issue(TRADER).orElseThrow();
    assertEquals(clock.instant().plusSeconds(30), t.expiresAt());
    assertTrue(t.token().length() >= 43, "256 random bits");
    assertEquals(TRADER, tokens.redeem(t.token()).orElseThrow());
    assertTrue(tokens.redeem(t.token()).isEmpty(), "single use");
    assertTrue(tokens.redeem("made-up").isEmpty());
  }

  @Test
  void anExpiredTokenIsRefusedAndGone() {
    ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    WsTokens tokens = new WsTokens(Duration.ofSeconds(30), 10, 10, clock);
    String t = tokens.issue(TRADER).orElseThrow().token();
    clock.advance(Duration.ofSeconds(30));
    assertTrue(tokens.redeem(t).isEmpty());
    assertEquals(0, tokens.size());
  }

  @Test
  void theStoreIsBoundedAndExpiredTokensMakeRoom() {
    ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    WsTokens tokens = new WsTokens(Duration.ofSeconds(30), 3, 3, clock);
    for (int i = 0; i < 3; i++) assertTrue(tokens.issue(TRADER).isPresent());
    assertTrue(tokens.issue(TRADER).isEmpty(), "full of live tokens");
    clock.advance(Duration.ofSeconds(31));
    assertTrue(tokens.issue(TRADER).isPresent());
    assertEquals(1, tokens.size());
  }

  @Test
  void tokensDiffer() {
    WsTokens tokens = new WsTokens(Duration.ofSeconds(30), 10, 10, new ManualClock(Instant.parse("2026-01-01T00:00:00Z")));
    assertNotEquals(tokens.issue(TRADER).orElseThrow().token(), tokens.issue(TRADER).orElseThrow().token());
  }

  @Test
  void oneKeyCannotTakeEveryToken() {
    ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    WsTokens tokens = new WsTokens(Duration.ofSeconds(30), 10, 2, clock);
    Auth.Principal other = new Auth.Principal("other-bot", Auth.Role.TRADER, java.util.Set.of());
    String first = tokens.issue(TRADER).orElseThrow().token();
    assertTrue(tokens.issue(TRADER).isPresent());
    assertEquals(java.util.Optional.of(WsTokens.Full.KEY), tokens.full(TRADER));
    assertTrue(tokens.issue(TRADER).isEmpty(), "the key's share is used");
    assertTrue(tokens.issue(other).isPresent(), "another key is not held up");
    // a used token and an expired one each give the key its slot back
    assertTrue(tokens.redeem(first).isPresent());
    assertTrue(tokens.issue(TRADER).isPresent());
    clock.advance(Duration.ofSeconds(31));
    assertTrue(tokens.issue(TRADER).isPresent());
    assertTrue(tokens.issue(TRADER).isPresent());
    assertTrue(tokens.issue(TRADER).isEmpty());
  }
}
