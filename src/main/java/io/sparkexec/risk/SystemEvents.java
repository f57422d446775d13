package io.sparkexec.risk;

import java.time.Instant;
import java.util.LinkedHashMap;
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

  /** {@code type}: trading_state_changed | limit_changed | dead_man_triggered. */
  public record SystemEvent(String type, String strategy, Map<String, Object> details, Instant at) {

    /** The event as one flat message: strategy (when there is one), at, then the details. */
    public Map<String, Object> fields() {
      Map<String, Object> m = new LinkedHashMap<>();
      if (strategy != null) m.put("strategy", strategy);
      m.put("at", at.toString());
      m.putAll(details);
      return m;
    }
  }

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
