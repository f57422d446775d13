package io.sparkexec.bench;

/** Placeholder replaced by the open-loop load generator. */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) {
    System.err.println("bench: not built yet");
    System.exit(2);
  }
}
