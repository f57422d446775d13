package io.sparkexec.order;

import io.sparkexec.CborSerializable;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.Venue.Fill;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One order as the executor knows it, rebuilt from its events by {@link #apply}: a pure
 * function, so the desk, its recovery and the tests all derive the same state.
 */
public record Order(
    String clientOrderId,
    String venueOrderId,
    OrderSpec spec,
    Status status,
    BigDecimal executedQty,
    BigDecimal cumQuoteQty,
    List<Fill> fills,
    BigDecimal decisionPrice,
    String reason,
    Timestamps timestamps,
    int version)
    implements CborSerializable, OrderSpec.Carrier {

  public enum Status {
    ACCEPTED,
    /** A submit's outcome is unknown (timeout, transport failure): the venue is being asked. */
    IN_DOUBT,
    ACKNOWLEDGED,
    PARTIALLY_FILLED,
    FILLED,
    CANCELED,
    REJECTED,
    EXPIRED;

    public boolean isFinal() {
      return this == FILLED || this == CANCELED || this == REJECTED || this == EXPIRED;
    }
  }

  /** Per-hop times: received over HTTP, journaled, sent to the venue, acknowledged, fills, closed. */
  public record Timestamps(
      Instant received, Instant accepted, Instant sent, Instant acknowledged, Instant firstFill, Instant lastFill, Instant closed)
      implements CborSerializable {}

  public static Order accepted(OrderDesk.OrderAccepted e) {
    return new Order(e.clientOrderId(), null, e.spec(), Status.ACCEPTED, BigDecimal.ZERO, BigDecimal.ZERO, List.of(), e.decisionPrice(), null,
        new Timestamps(e.receivedAt(), e.acceptedAt(), null, null, null, null, null), 1);
  }

  public Order apply(OrderDesk.Event event) {
    Timestamps t = timestamps;
    if (event instanceof OrderDesk.OrderInDoubt e) {
      return new Order(clientOrderId, venueOrderId, spec,
          status == Status.ACCEPTED ? Status.IN_DOUBT : status, executedQty, cumQuoteQty, fills, decisionPrice, e.reason(), t, version + 1);
    }
    if (event instanceof OrderDesk.OrderAcknowledged e) {
      boolean unacked = status == Status.ACCEPTED || status == Status.IN_DOUBT;
      // the ack settles a doubt, so the doubt's reason goes with it
      return new Order(clientOrderId, e.venueOrderId(), spec,
          unacked ? Status.ACKNOWLEDGED : status, executedQty, cumQuoteQty, fills, decisionPrice, status == Status.IN_DOUBT ? null : reason,
          new Timestamps(t.received(), t.accepted(), e.sentAt(), e.acknowledgedAt(), t.firstFill(), t.lastFill(), t.closed()), version + 1);
    }
    if (event instanceof OrderDesk.OrderFilled e) {
      Fill fill = e.fill();
      List<Fill> newFills = new ArrayList<>(fills.size() + 1);
      newFills.addAll(fills);
      newFills.add(fill);
      BigDecimal executed = executedQty.add(fill.quantity());
      Status next = status.isFinal() ? status : executed.compareTo(spec.quantity()) >= 0 ? Status.FILLED : Status.PARTIALLY_FILLED;
      return new Order(clientOrderId, venueOrderId, spec, next, executed,
          cumQuoteQty.add(fill.price().multiply(fill.quantity())), List.copyOf(newFills), decisionPrice, reason,
          new Timestamps(t.received(), t.accepted(), t.sent(), t.acknowledged(), t.firstFill() == null ? fill.time() : t.firstFill(),
              fill.time(), next == Status.FILLED && t.closed() == null ? fill.time() : t.closed()),
          version + 1);
    }
    if (event instanceof OrderDesk.OrderCanceled e) return closed(Status.CANCELED, e.reason(), e.at());
    if (event instanceof OrderDesk.OrderRejected e) return closed(Status.REJECTED, e.reason(), e.at());
    if (event instanceof OrderDesk.OrderExpired e) return closed(Status.EXPIRED, e.reason(), e.at());
    return this;
  }

  private Order closed(Status finalStatus, String why, Instant at) {
    Timestamps t = timestamps;
    return new Order(clientOrderId, venueOrderId, spec, finalStatus, executedQty,
        cumQuoteQty, fills, decisionPrice, why,
        new Timestamps(t.received(), t.accepted(), t.sent(), t.acknowledged(), t.firstFill(), t.lastFill(), at), version + 1);
  }

  /** How open-order listings are ordered: oldest accepted first, ties by id (one desk or many merged). */
  public static final Comparator<Order> OLDEST_FIRST = Comparator.comparing(Order::listingKey);

  /** An order's place in the open-order listing ({@link #OLDEST_FIRST}); never changes while it is open, so it can be a paging cursor. */
  public record ListingKey(Instant accepted, String clientOrderId) implements Comparable<ListingKey>, CborSerializable {
    private static final Comparator<ListingKey> ORDER = Comparator.comparing(ListingKey::accepted).thenComparing(ListingKey::clientOrderId);

    @Override
    public int compareTo(ListingKey other) {
      return ORDER.compare(this, other);
    }
  }

  public ListingKey listingKey() {
    return new ListingKey(timestamps.accepted(), clientOrderId);
  }

  public BigDecimal remainingQty() {
    return spec.quantity().subtract(executedQty);
  }

  public boolean acknowledgedByVenue() {
    return venueOrderId != null;
  }

  public boolean hasFill(String tradeId) {
    for (Fill f : fills) if (f.tradeId().equals(tradeId)) return true;
    return false;
  }

}
