package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SigningTest {

  // the worked example of Binance's API documentation (SIGNED endpoint security)
  private static final String SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  private static final String QUERY =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

  @Test
  void signsLikeTheVenueDocumentationExample() {
    assertEquals("c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71", new Signing(SECRET).sign(QUERY));
  }

  @Test
  void verifiesOnlyTheMatchingSignature() {
    Signing signing = new Signing(SECRET);
    String signature = signing.sign(QUERY);
    assertTrue(signing.verify(QUERY, signature));
    assertFalse(signing.verify(QUERY + "&x=1", signature));
    assertFalse(new Signing("other").verify(QUERY, signature));
    assertFalse(signing.verify(QUERY, null));
  }
}
