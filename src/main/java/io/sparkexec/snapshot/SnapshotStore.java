package io.sparkexec.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * State snapshot files in one directory: {@code <name>-<UTC timestamp>.json}, written atomically
 * (a hidden temp file, fsync, atomic rename, fsync of the directory), so a reader sees a whole
 * snapshot or none, and a crash leaves at worst a temp file that is never listed and is deleted
 * later. Blocking file I/O: callers run it on the blocking dispatcher, never on an actor thread.
 */
public final class SnapshotStore {

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  public static final String NAME_RULE = "must be 1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit";
  /** Milliseconds, so two snapshots of one name in the same second do not collide. */
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern FILE = Pattern.compile("(" + NAME.pattern() + ")-([0-9]{8}T[0-9]{9}Z)\\.json");
  private static final String TEMP_PREFIX = ".";
  private static final String TEMP_SUFFIX = ".tmp";

  /** One snapshot file as listed. */
  public record Entry(String name, Instant time, long sizeBytes, String file) {}

  /** What a retention pass deleted. */
  public record Swept(int snapshots, int tempFiles) {}

  private final Path dir;

  public SnapshotStore(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** Writes {@code json} as the snapshot {@code name} taken at {@code at}; returns what is listed for it. */
  public Entry write(String name, Instant at, byte[] json) throws IOException {
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("snapshot name " + NAME_RULE);
    Files.createDirectories(dir);
    String file = name + "-" + STAMP.format(at) + ".json";
    Path target = dir.resolve(file);
    Path temp = dir.resolve(TEMP_PREFIX + file + TEMP_SUFFIX);
    try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(json);
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    syncDirectory();
    return new Entry(name, at, json.length, file);
  }

  /** Snapshots, newest first; temp files and anything not named like a snapshot are left out. */
  public List<Entry> list() throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    List<Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path p : files) {
        Entry e = entry(p);
        if (e != null) entries.add(e);
      }
    }
    entries.sort(Comparator.comparing(Entry::time).reversed().thenComparing(Entry::name));
    return entries;
  }

  /**
   * Deletes snapshots last modified before {@code now - keep}, and temp files older than
   * {@code tempGrace} (at start, zero: no write is under way, so every temp file is a crash's).
   */
  public Swept sweep(Instant now, Duration keep, Duration tempGrace) throws IOException {
    if (!Files.isDirectory(dir)) return new Swept(0, 0);
    int snapshots = 0;
    int temps = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        String n = p.getFileName().toString();
        boolean temp = n.startsWith(TEMP_PREFIX) && n.endsWith(TEMP_SUFFIX);
        if (!temp && entry(p) == null) continue;
        FileTime modified = Files.getLastModifiedTime(p);
        Instant cutoff = now.minus(temp ? tempGrace : keep);
        if (modified.toInstant().isBefore(cutoff) || (temp && tempGrace.isZero())) {
          if (Files.deleteIfExists(p)) {
            if (temp) temps++;
            else snapshots++;
          }
        }
      }
    }
    if (snapshots + temps > 0) syncDirectory();
    return new Swept(snapshots, temps);
  }

  /**
   * Deletes the oldest snapshots (by their time) until at most {@code maxCount} files and
   * {@code maxBytes} in all are left, never {@code keepFile}; returns what it deleted. The
   * directory holds at most the quota plus one snapshot, so the listing it starts from is small.
   */
  public List<Entry> pruneToQuota(int maxCount, long maxBytes, String keepFile) throws IOException {
    List<Entry> newestFirst = list();
    int count = newestFirst.size();
    long bytes = 0;
    for (Entry e : newestFirst) bytes += e.sizeBytes();
    List<Entry> deleted = new ArrayList<>();
    for (int i = newestFirst.size() - 1; i >= 0 && (count > maxCount || bytes > maxBytes); i--) {
      Entry oldest = newestFirst.get(i);
      if (oldest.file().equals(keepFile)) continue;
      if (Files.deleteIfExists(dir.resolve(oldest.file()))) deleted.add(oldest);
      count--;
      bytes -= oldest.sizeBytes();
    }
    if (!deleted.isEmpty()) syncDirectory();
    return deleted;
  }

  private Entry entry(Path p) throws IOException {
    Matcher m = FILE.matcher(p.getFileName().toString());
    if (!m.matches() || !Files.isRegularFile(p)) return null;
    try {
      return new Entry(m.group(1), STAMP.parse(m.group(2), Instant::from), Files.size(p), p.getFileName().toString());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The rename (or delete) is durable only once the directory's entry is on disk too. */
  private void syncDirectory() throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
