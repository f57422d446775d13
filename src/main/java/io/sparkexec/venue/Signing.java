package io.sparkexec.venue;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Binance-style request signing (docs/venue-sim.md): lower-case hex HMAC-SHA256 of the query
 * string under the API secret. One implementation for the signer (HttpVenue) and the checker
 * (the simulator), so the two can never drift apart.
 */
public final class Signing {

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  public Signing(String secret) {
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
  }

  public String sign(String payload) {
    try {
      // a Mac is not thread-safe and cheap to make next to the HMAC itself
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** Constant-time comparison, so response timing reveals nothing about the expected signature. */
  public boolean verify(String payload, String signature) {
    if (signature == null) return false;
    return MessageDigest.isEqual(sign(payload).getBytes(StandardCharsets.US_ASCII), signature.getBytes(StandardCharsets.US_ASCII));
  }
}
