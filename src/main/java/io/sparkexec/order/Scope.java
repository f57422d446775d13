package io.sparkexec.order;

import java.util.Set;

/**
 * Which strategies' orders a caller may place, see and cancel: all of them ({@link #ALL}: admin
 * keys and keys bound to no strategy), or only the listed ones. Others' orders do not exist for it.
 */
public record Scope(Set<String> strategies) {

  public static final Scope ALL = new Scope(null);

  public Scope {
    strategies = strategies == null ? null : Set.copyOf(strategies);
  }

  public static Scope of(Set<String> strategies) {
    return strategies == null || strategies.isEmpty() ? ALL : new Scope(strategies);
  }

  public boolean permits(String strategy) {
    return strategies == null || (strategy != null && strategies.contains(strategy));
  }

  public boolean permits(Order order) {
    return permits(order.strategy());
  }
}
