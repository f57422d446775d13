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

  /** The whole venue-side state of one order: every fill so far, so merging it is idempotent. */
  record VenueOrderReport(
      String clientOrderId,
      String venueOrderId,
      String symbol,
      VenueStatus status,
      List<Fill> fills,
      String reason,
      Instant time)
      implements CborSerializable {}

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
