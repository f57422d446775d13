package io.sparkexec.order;

/**
 * One step of the pre-trade guard chain, run before anything is journaled. Later capabilities
 * (chaos, risk limits, kill switch) add steps without touching the order entity.
 */
@FunctionalInterface
public interface OrderGuard {

  /** null when the order may pass, else why it may not. Must not block. */
  Rejection check(OrderRequest request);

  /**
   * This request passed {@link #check} but its order was not journaled by it (refused further on,
   * a conflict, a repeat of an order journaled before, a write that failed or ran out of time):
   * give back whatever the check took for it. Must not block.
   */
  default void release(OrderRequest request) {}
}
