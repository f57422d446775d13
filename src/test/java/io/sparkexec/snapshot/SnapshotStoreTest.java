package io.sparkexec.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot files on a real temp directory: atomic writes, listing, retention by modification time. */
class SnapshotStoreTest {

  static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");
  static final Duration WEEK = Duration.ofDays(7);

  @TempDir
  Path dir;

  @Test
  void writeLeavesOneWholeFileNamedByNameAndTimeAndNoTempFile() throws Exception {
    SnapshotStore store = new SnapshotStore(dir);
    byte[] json = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
    SnapshotStore.Entry e = store.write("daily-close", NOW, json);
    assertEquals(new SnapshotStore.Entry("daily-close", NOW, json.length, "daily-close-20260310T120000000Z.json"), e);
    assertArrayEquals(json, Files.readAllBytes(dir.resolve(e.file())));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(e.file()), files.map(p -> p.getFileName().toString()).toList());
    }
    assertEquals(List.of(e), store.list());
  }

  @Test
  void aTempFileLeftByACrashIsNeverListedAndIsDeletedByTheStartSweep() throws Exception {
    SnapshotStore store = new SnapshotStore(dir);
    SnapshotStore.Entry whole = store.write("a", NOW, "{}".getBytes(StandardCharsets.UTF_8));
    // what a crash between write and rename leaves: the hidden temp file of a snapshot-to-be
    Path temp = dir.resolve(".b-20260310T120001000Z.json.tmp");
    Files.writeString(temp, "{\"half\":");
    Files.writeString(dir.resolve("notes.txt"), "an operator's file");
    assertEquals(List.of(whole), store.list());
    // a regular sweep keeps a fresh temp file (a write may be under way) ...
    assertEquals(new SnapshotStore.Swept(0, 0), store.sweep(Instant.now(), WEEK, Duration.ofMinutes(10)));
    assertTrue(Files.exists(temp));
    // ... the start sweep (grace zero) deletes it; other files are not ours to delete
    assertEquals(new SnapshotStore.Swept(0, 1), store.sweep(Instant.now(), WEEK, Duration.ZERO));
    assertFalse(Files.exists(temp));
    assertTrue(Files.exists(dir.resolve("notes.txt")));
    assertEquals(List.of(whole), store.list());
  }

  @Test
  void retentionDeletesSnapshotsModifiedBeforeTheWindowAndKeepsTheRest() throws Exception {
    SnapshotStore store = new SnapshotStore(dir);
    SnapshotStore.Entry old = store.write("old", NOW.minus(Duration.ofDays(9)), "{}".getBytes(StandardCharsets.UTF_8));
    SnapshotStore.Entry recent = store.write("recent", NOW.minus(Duration.ofDays(6)), "{}".getBytes(StandardCharsets.UTF_8));
    Path staleTemp = dir.resolve(".x-20260301T000000000Z.json.tmp");
    Files.writeString(staleTemp, "{");
    Files.setLastModifiedTime(dir.resolve(old.file()), FileTime.from(NOW.minus(Duration.ofDays(8))));
    Files.setLastModifiedTime(dir.resolve(recent.file()), FileTime.from(NOW.minus(Duration.ofDays(6))));
    Files.setLastModifiedTime(staleTemp, FileTime.from(NOW.minus(Duration.ofHours(1))));
    assertEquals(new SnapshotStore.Swept(1, 1), store.sweep(NOW, WEEK, Duration.ofMinutes(10)));
    assertEquals(List.of(recent), store.list());
  }

  @Test
  void pruningToTheQuotaDeletesTheOldestByTimeButNeverTheKeptFile() throws Exception {
    SnapshotStore store = new SnapshotStore(dir);
    byte[] hundred = "x".repeat(100).getBytes(StandardCharsets.UTF_8);
    SnapshotStore.Entry first = store.write("a", NOW.minusSeconds(3), hundred);
    SnapshotStore.Entry second = store.write("b", NOW.minusSeconds(2), hundred);
    SnapshotStore.Entry third = store.write("c", NOW.minusSeconds(1), hundred);
    assertEquals(List.of(), store.pruneToQuota(3, 300, null), "at the quota: nothing to do");
    assertEquals(List.of(first), store.pruneToQuota(2, 1000, null), "by count");
    assertEquals(List.of(second), store.pruneToQuota(10, 150, null), "by bytes");
    SnapshotStore.Entry newest = store.write("d", NOW, hundred);
    assertEquals(List.of(third), store.pruneToQuota(1, 1000, newest.file()));
    assertEquals(List.of(), store.pruneToQuota(1, 50, newest.file()), "the kept file stays even when it alone is over the bytes");
    assertEquals(List.of(newest), store.list());
  }

  @Test
  void namesThatCouldLeaveTheDirectoryAreRefused() {
    SnapshotStore store = new SnapshotStore(dir);
    for (String bad : List.of("../etc", "a/b", ".hidden", "", "a.json", "x".repeat(65))) {
      assertThrows(IllegalArgumentException.class, () -> store.write(bad, NOW, new byte[0]), bad);
    }
  }
}
