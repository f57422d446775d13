package io.sparkexec.order;

/**
 * One step of the pre-trade guard chain, run before anything is journaled. Later capabilities
 * (chaos, risk limits, kill switch) add steps without touching the order entity.
 */
@FunctionalInterface
public interface OrderGuard {

  /** null when the order may pass, else why it may not. Must not block. */
  Rejection check(OrderRequest request);
}
