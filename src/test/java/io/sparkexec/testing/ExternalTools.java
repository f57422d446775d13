package io.sparkexec.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real clients the interop tests drive (curl, headless Chromium, node, python): found, or the
 * test skipped with a visible message, except on CI (CI=true), where .ci/run installs them and a
 * missing one fails.
 */
public final class ExternalTools {

  private static final boolean CI = "true".equals(System.getenv("CI"));

  private ExternalTools() {}

  /** What a finished command printed (stdout and stderr together) and its exit code. */
  public record Run(int exitCode, String output) {}

  public static void requireCurl() {
    requireTool(runs("curl", "--version"), "curl (Debian package)");
  }

  /** Whether this curl can decode br itself (curl -V lists brotli among its features). */
  public static boolean curlDecodesBrotli() {
    return run(List.of("curl", "--version")).output().lines().anyMatch(l -> l.startsWith("Features:") && l.contains("brotli"));
  }

  public static String chromium() {
    String chromium = new java.io.File("/usr/bin/chromium").canExecute() ? "/usr/bin/chromium" : "chromium";
    requireTool(runs(chromium, "--version"), "chromium (Debian package)");
    return chromium;
  }

  /** Headless Chromium on a throwaway profile, opening {@code url}. */
  public static List<String> chromiumCommand(String chromium, Path profile, String url) {
    return List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--user-data-dir=" + profile, url);
  }

  /**
   * An npm package under target/node (node_modules/{@code name}), installed there when npm is
   * around and it is missing (as .ci/run does); skips (fails on CI) without node or the package.
   */
  public static Path nodeModule(String name, String spec) {
    Path module = Path.of("target/node/node_modules/" + name).toAbsolutePath();
    if (!java.nio.file.Files.isDirectory(module) && runs("npm", "--version")) {
      runs("npm", "install", "--prefix", "target/node", "--no-audit", "--no-fund", spec);
    }
    requireTool(runs("node", "--version") && java.nio.file.Files.isDirectory(module),
        "node with the " + name + " package (npm install --prefix target/node " + spec + ")");
    return module;
  }

  public static void requireTool(boolean available, String what) {
    if (!available && CI) fail(what + " is missing on CI; .ci/run installs it");
    if (!available) System.err.println("interop: SKIPPED, " + what + " is not installed (bash .ci/run installs it)");
    assumeTrue(available, what + " is not installed (bash .ci/run installs it)");
  }

  /** Whether {@code command} starts and exits 0. */
  public static boolean runs(String... command) {
    return run(List.of(command)).exitCode() == 0;
  }

  /** Runs {@code command} to its end (at most five minutes); a command that cannot start exits -1. */
  public static Run run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Run(-1, output);
      }
      return new Run(p.exitValue(), output);
    } catch (IOException e) {
      return new Run(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Run(-1, e.toString());
    }
  }

  /** Chromium forks helpers (zygote, renderer, GPU); stop them all, and wait, before the profile goes. */
  public static void stopWithDescendants(Process process) throws Exception {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // a helper that will not die does not fail the test; the profile is deleted best-effort
      }
    }
  }
}
