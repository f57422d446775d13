package io.sparkexec.feed;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The JDK's WebSocket client (no permessage-deflate: it always gets plain frames), collecting messages as JSON. */
final class JdkWsClient implements AutoCloseable {

  final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  final WebSocket ws;

  private JdkWsClient(URI uri, String apiKey) throws Exception {
    WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
    if (apiKey != null) b.header(Auth.HEADER, apiKey);
    ws = b.buildAsync(uri, new WebSocket.Listener() {
      private final StringBuilder text = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          try {
            messages.add(Json.MAPPER.readTree(text.toString()));
          } catch (Exception e) {
            closed.completeExceptionally(e);
          }
          text.setLength(0);
        }
        socket.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
      }

      @Override
      public void onError(WebSocket socket, Throwable error) {
        closed.completeExceptionally(error);
      }
    }).get(30, TimeUnit.SECONDS);
  }

  static JdkWsClient connect(URI uri, String apiKey) throws Exception {
    return new JdkWsClient(uri, apiKey);
  }

  /** The next message; fails when none comes within a minute (a generous bound for a busy machine, not a timing assertion). */
  JsonNode next() throws InterruptedException {
    JsonNode m = messages.poll(60, TimeUnit.SECONDS);
    if (m == null) throw new AssertionError("no message within 60 s");
    return m;
  }

  /** The next message of this channel, skipping others. */
  JsonNode next(String channel) throws InterruptedException {
    while (true) {
      JsonNode m = next();
      if (m.path("channel").asText().equals(channel)) return m;
    }
  }

  void send(String text) {
    ws.sendText(text, true).join();
  }

  @Override
  public void close() {
    ws.abort();
  }
}
