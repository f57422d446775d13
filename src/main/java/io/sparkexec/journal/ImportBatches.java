package io.sparkexec.journal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The migrations' writer: import ops gathered into batches of {@code size}, each written (without
 * fsync) and awaited before the next is gathered, so memory stays flat; {@link #finish} syncs once.
 */
final class ImportBatches {

  private final JournalStore target;
  private final int size;
  private final List<GroupCommitWriter.ImportOp> ops = new ArrayList<>();

  ImportBatches(JournalStore target, int size) {
    this.target = target;
    this.size = size;
  }

  void add(GroupCommitWriter.ImportOp op) throws IOException {
    ops.add(op);
    if (ops.size() >= size) flush();
  }

  void flush() throws IOException {
    if (ops.isEmpty()) return;
    await(target.importBatch(List.copyOf(ops), false));
    ops.clear();
  }

  /** Writes what is left and syncs the journal: the migration is on disk. */
  void finish() throws IOException {
    flush();
    await(target.importBatch(List.of(), true));
  }

  private static void await(CompletableFuture<Void> done) throws IOException {
    try {
      done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("migration interrupted", e);
    } catch (ExecutionException e) {
      throw new IOException("migration write failed: " + e.getCause(), e.getCause());
    }
  }
}
