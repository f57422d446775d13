package io.sparkexec.venue;

import io.sparkexec.CborSerializable;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The link to a trading venue. Asynchronous and batch-first: a venue without a batch call
 * answers {@link #submit} with parallel single calls. Besides replies, a venue pushes
 * unsolicited execution reports (fills of resting orders, venue-side cancels), as real ones do.
 * The reply types live here: callers adapt them, the venue imports nothing from above.
 */
public interface Venue {

  /** One result per order, in the order given. Never fails: transport trouble is {@link Unknown}. */
  CompletionStage<List<SubmitResult>> submit(List<VenueOrder> orders);

  CompletionStage<CancelResult> cancel(String symbol, String clientOrderId);

  /** The venue's view of an order, or empty when it does not know the clientOrderId. */
  CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId);

  /** Every order the venue holds open (NEW or PARTIALLY_FILLED), for restart reconciliation. */
  CompletionStage<List<VenueOrderReport>> openOrders();

  /** Unsolicited execution reports; the listener must not block. */
  void onExecutionReport(Consumer<VenueOrderReport> listener);

  /** True for venues that never touch real money (the simulator). */
  boolean isSimulator();

  /** An order as sent: the order's spec (for a resubmit, with what is left of its quantity). */
  record VenueOrder(String clientOrderId, OrderSpec spec) implements CborSerializable, OrderSpec.Carrier {
    public VenueOrder(String clientOrderId, String symbol, Side side, OrderType type, TimeInForce timeInForce, BigDecimal quantity,
        BigDecimal price) {
      this(clientOrderId, new OrderSpec(symbol, side, type, timeInForce, quantity, price, null));
    }
  }

  /** A fill as the venue reports it; fee is charged in feeAsset. */
  record Fill(
      String tradeId,
      BigDecimal price,
      BigDecimal quantity,
      BigDecimal fee,
      String feeAsset,
      Instant time)
      implements CborSerializable {}

  enum VenueStatus {
    NEW,
    PARTIALLY_FILLED,
    FILLED,
    CANCELED,
    REJECTED,
    EXPIRED;

    public boolean isFinal() {
      return this != NEW && this != PARTIALLY_FILLED;
    }
  }

  /**
   * The whole venue-side state of one order: every fill so far, so merging it is idempotent.
   * {@code terms}: the order as the venue holds it, when the venue says (null: it did not).
   */
  record VenueOrderReport(
      String clientOrderId,
      String venueOrderId,
      String symbol,
      VenueStatus status,
      List<Fill> fills,
      String reason,
      Instant time,
      VenueTerms terms)
      implements CborSerializable {

    public VenueOrderReport(String clientOrderId, String venueOrderId, String symbol, VenueStatus status, List<Fill> fills, String reason,
        Instant time) {
      this(clientOrderId, venueOrderId, symbol, status, fills, reason, time, null);
    }
  }

  /**
   * An order's terms as the venue states them, names as the venue spells them. A venue account's
   * clientOrderIds are shared with every other client of its key, so an answer for our id is ours
   * only if these match our order: otherwise it is someone else's order (issue #15).
   */
  record VenueTerms(String symbol, String side, String type, BigDecimal quantity, BigDecimal price) implements CborSerializable {

    /** A field that differs: its name, our value, the venue's. */
    public record Mismatch(String field, String ours, String venues) {
      @Override
      public String toString() {
        return field + ": ours " + ours + ", the venue's " + venues;
      }
    }

    /** The first field that differs from {@code ours} (a price only for a LIMIT order), or null. */
    public Mismatch mismatch(OrderSpec ours) {
      if (!ours.symbol().equals(symbol)) return new Mismatch("symbol", ours.symbol(), symbol);
      if (!ours.side().name().equals(side)) return new Mismatch("side", ours.side().name(), side);
      if (!ours.type().name().equals(type)) return new Mismatch("type", ours.type().name(), type);
      if (quantity == null || ours.quantity().compareTo(quantity) != 0) return new Mismatch("quantity", ours.quantity().toPlainString(), plain(quantity));
      if (ours.type() == OrderType.LIMIT && (price == null || ours.price().compareTo(price) != 0)) {
        return new Mismatch("price", ours.price().toPlainString(), plain(price));
      }
      return null;
    }

    private static String plain(BigDecimal d) {
      return d == null ? "none" : d.toPlainString();
    }
  }

  sealed interface SubmitResult extends CborSerializable {
    String clientOrderId();
  }

  /** The venue took the order; the report may already carry fills or a final status. */
  record Acknowledged(VenueOrderReport report) implements SubmitResult {
    @Override
    public String clientOrderId() {
      return report.clientOrderId();
    }
  }

  /** The venue refused the order; it was never created there. */
  record Refused(String clientOrderId, String reason) implements SubmitResult {}

  /** The outcome is not known (transport failure, timeout, no capacity): ask or resubmit safely. */
  record Unknown(String clientOrderId, String error) implements SubmitResult {}

  sealed interface CancelResult extends CborSerializable {}

  record Canceled(VenueOrderReport report) implements CancelResult {}

  /** The venue would not cancel: the order is final there (report) or unknown (report null). */
  record CancelRefused(String reason, VenueOrderReport report) implements CancelResult {}

  record CancelUnknown(String error) implements CancelResult {}
}
