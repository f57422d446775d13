package io.sparkexec.order;

import java.util.Set;

/**
 * Which strategies' orders a caller may place, see and cancel: all of them ({@link #ALL}: admin
 * keys and keys bound to no strategy), or only the listed ones. Others' orders do not exist for it.
 * {@code internal}: the executor's own synthetic traffic (canary, warm-up): it may place while only
 * the warm-up gate is pending, and its orders stay out of the real orders' latency histogram.
 */
public record Scope(Set<String> strategies, boolean internal) {

  public static final Scope ALL = new Scope(null);

  public Scope {
    strategies = strategies == null ? null : Set.copyOf(strategies);
  }

  public Scope(Set<String> strategies) {
    this(strategies, false);
  }

  public static Scope of(Set<String> strategies) {
    return strategies == null || strategies.isEmpty() ? ALL : new Scope(strategies);
  }

  /** The executor's own traffic, bound to its (non-empty) synthetic strategies. */
  public static Scope internal(Set<String> strategies) {
    if (strategies.isEmpty()) throw new IllegalArgumentException("internal traffic must be bound to its own strategies");
    return new Scope(strategies, true);
  }

  public boolean permits(String strategy) {
    return strategies == null || (strategy != null && strategies.contains(strategy));
  }

  public boolean permits(Order order) {
    return permits(order.strategy());
  }
}
