package io.sparkexec.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The shaded jar as a real process, for the tests that kill -9 it (the executor, the venue
 * simulator): started without a shell, so the process is the JVM itself, output appended to a log.
 */
public final class JarProcess {

  private JarProcess() {}

  /** {@code java -jar target/spark-executor.jar <command>} from the project root, with {@code env} added. */
  public static Process start(String command, Path dataDir, Path log, Map<String, String> env) {
    return start(List.of(command), dataDir, log, env);
  }

  /** {@code java -jar target/spark-executor.jar <args...>} (a command and its options), as {@link #start(String, Path, Path, Map)}. */
  public static Process start(List<String> args, Path dataDir, Path log, Map<String, String> env) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return startIn(Path.of("").toAbsolutePath(), args, log, env);
  }

  /** {@code java -jar <absolute path of target/spark-executor.jar> <args...>} with {@code workDir} as its working directory. */
  public static Process startIn(Path workDir, List<String> args, Path log, Map<String, String> env) {
    Path jar = Path.of("target", "spark-executor.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " is missing: run `mvn verify` (failsafe runs after package)");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> argv = new java.util.ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar.toString()));
    argv.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(argv)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILL, and wait until the process is gone. */
  public static void kill9(Process process, String what) {
    process.destroyForcibly();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError(what + " process " + process.pid() + " survived SIGKILL");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The last {@code lines} of a process log, for failure messages. */
  public static String logTail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
