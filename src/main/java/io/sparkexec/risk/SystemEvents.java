package io.sparkexec.risk;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guardrails' events for the feed's "system" channel: trading state and limit changes, dead-man
 * switches that fired. The feed subscribes with {@link #subscribe}; subscribers must not block.
 */
public final class SystemEvents {

  private static final Logger log = LoggerFactory.getLogger(SystemEvents.class);

  /** {@code type}: trading-state-changed | limit-changed | dead-man-triggered. */
  public record SystemEvent(String type, String strategy, Map<String, Object> details, Instant at) {}

  private final List<Consumer<SystemEvent>> subscribers = new CopyOnWriteArrayList<>();

  public void subscribe(Consumer<SystemEvent> subscriber) {
    subscribers.add(subscriber);
  }

  void publish(SystemEvent event) {
    for (Consumer<SystemEvent> s : subscribers) {
      try {
        s.accept(event);
      } catch (RuntimeException e) {
        // one broken subscriber must not stop the others, nor the guardrails
        log.warn("event=system_event_subscriber_failed type={} error=\"{}\"", event.type(), e.toString());
      }
    }
  }
}
