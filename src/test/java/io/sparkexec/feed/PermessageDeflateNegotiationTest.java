package io.sparkexec.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PermessageDeflateNegotiationTest {

  private static Optional<PermessageDeflate.Agreement> negotiate(String... headers) {
    return PermessageDeflate.negotiate(List.of(headers));
  }

  private static String agreed(String... headers) {
    return negotiate(headers).orElseThrow().responseHeader();
  }

  @Test
  void plainOfferIsAcceptedWithContextTakeover() {
    PermessageDeflate.Agreement a = negotiate("permessage-deflate").orElseThrow();
    assertEquals("permessage-deflate", a.responseHeader());
    assertFalse(a.serverNoContextTakeover());
    assertFalse(a.clientNoContextTakeover());
  }

  @Test
  void noOfferOrOtherExtensionsMeanNoCompression() {
    assertTrue(negotiate().isEmpty());
    assertTrue(negotiate("x-webkit-deflate-frame").isEmpty());
    assertTrue(negotiate("").isEmpty());
  }

  @Test
  void browserAndNodeOfferIsAcceptedWithoutEchoingClientWindowBits() {
    assertEquals("permessage-deflate", agreed("permessage-deflate; client_max_window_bits"));
    assertEquals("permessage-deflate", agreed("permessage-deflate; client_max_window_bits=10"));
    assertEquals("permessage-deflate", agreed("permessage-deflate; client_max_window_bits=\"8\""));
  }

  @Test
  void serverNoContextTakeoverIsHonouredAndEchoed() {
    PermessageDeflate.Agreement a = negotiate("permessage-deflate; server_no_context_takeover").orElseThrow();
    assertEquals("permessage-deflate; server_no_context_takeover", a.responseHeader());
    assertTrue(a.serverNoContextTakeover());
    assertFalse(a.clientNoContextTakeover());
  }

  @Test
  void clientNoContextTakeoverIsAcknowledged() {
    PermessageDeflate.Agreement a = negotiate("permessage-deflate; client_no_context_takeover").orElseThrow();
    assertEquals("permessage-deflate; client_no_context_takeover", a.responseHeader());
    assertTrue(a.clientNoContextTakeover());
    assertFalse(a.serverNoContextTakeover());
  }

  @Test
  void serverWindowBitsOnlyAt15() {
    assertEquals("permessage-deflate; server_max_window_bits=15", agreed("permessage-deflate; server_max_window_bits=15"));
    assertTrue(negotiate("permessage-deflate; server_max_window_bits=10").isEmpty(), "the JDK deflater cannot shrink its window");
  }

  @Test
  void everyParameterTogether() {
    assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15",
        agreed("permessage-deflate; client_no_context_takeover; server_max_window_bits=15; server_no_context_takeover; client_max_window_bits=12"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "permessage-deflate; unknown_param",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover=true",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=015",
      "permessage-deflate; client_max_window_bits=7",
      "permessage-deflate; client_max_window_bits=16",
      "permessage-deflate; client_max_window_bits=abc",
      "permessage-deflate; client_max_window_bits=09",
      "permessage-deflate; client_max_window_bits; client_max_window_bits"})
  void invalidOffersAreDeclined(String offer) {
    assertTrue(negotiate(offer).isEmpty(), offer);
  }

  @Test
  void theFirstAcceptableOfferWinsAcrossElementsAndHeaders() {
    assertEquals("permessage-deflate; client_no_context_takeover",
        agreed("permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover, permessage-deflate"));
    assertEquals("permessage-deflate; server_no_context_takeover",
        agreed("foo, permessage-deflate; bogus", "permessage-deflate; server_no_context_takeover"));
    assertEquals("permessage-deflate", agreed("permessage-deflate, permessage-deflate; server_no_context_takeover"));
  }

  @Test
  void namesAreCaseInsensitiveAndSpacingIsFree() {
    assertEquals("permessage-deflate; server_no_context_takeover", agreed("  Permessage-Deflate ;Server_No_Context_Takeover  "));
  }

  @Test
  void quotedValuesMayHoldSeparators() {
    assertTrue(negotiate("permessage-deflate; client_max_window_bits=\"1,0\"").isEmpty());
    assertEquals("permessage-deflate", agreed("x-ext; p=\"a,b;c\", permessage-deflate"));
  }
}
