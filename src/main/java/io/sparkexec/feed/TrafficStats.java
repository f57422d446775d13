package io.sparkexec.feed;

/** What the frame layers report about outbound data frames: payload bytes before and after compression. */
public interface TrafficStats {

  void compressed(long rawBytes, long wireBytes);

  void plain(long bytes);

  TrafficStats NONE = new TrafficStats() {
    @Override
    public void compressed(long rawBytes, long wireBytes) {}

    @Override
    public void plain(long bytes) {}
  };
}
