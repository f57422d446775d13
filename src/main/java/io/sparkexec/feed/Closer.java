package io.sparkexec.feed;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Lets any layer of one connection (codec, watchdog, outbox) close it with a code of our
 * choosing. The first request wins; {@link WebSocketShim} delivers it to Pekko's close
 * handshake, which may attach after a request was made.
 */
public final class Closer {

  public record Request(CloseReason reason, String detail) {}

  private final AtomicReference<Request> first = new AtomicReference<>();
  private final AtomicReference<Consumer<Request>> sink = new AtomicReference<>();

  /** True when this was the first request (the one the client will see). */
  public boolean close(CloseReason reason, String detail) {
    Request r = new Request(reason, detail);
    if (!first.compareAndSet(null, r)) return false;
    Consumer<Request> s = sink.get();
    if (s != null) s.accept(r);
    return true;
  }

  public Optional<Request> requested() {
    return Optional.ofNullable(first.get());
  }

  /** The sink may see the request twice when attaching races a close; it keeps the first. */
  void attach(Consumer<Request> s) {
    sink.set(s);
    Request r = first.get();
    if (r != null) s.accept(r);
  }
}
