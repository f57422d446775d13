package io.sparkexec.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The open journal stores of one ActorSystem, by write plugin id, so the write journal and its
 * read journal share one database handle (LevelDB allows one per directory). Whichever starts
 * first opens it; it is closed when the ActorSystem terminates, after its actors have stopped.
 */
public final class JournalStores implements Extension {

  private static final Id ID = new Id();

  private static final class Id extends AbstractExtensionId<JournalStores> {
    @Override
    public JournalStores createExtension(ExtendedActorSystem system) {
      return new JournalStores(system);
    }
  }

  public static JournalStores get(ActorSystem system) {
    return ID.get(system);
  }

  private final ExtendedActorSystem system;
  private final Map<String, JournalStore> stores = new HashMap<>();

  private JournalStores(ExtendedActorSystem system) {
    this.system = system;
    system.registerOnTermination(this::closeAll);
  }

  /** The store of the write plugin configured at {@code pluginId}, opened on first use. */
  public synchronized JournalStore open(String pluginId) {
    return stores.computeIfAbsent(pluginId, id -> {
      try {
        return JournalStore.open(JournalStore.Settings.from(system.settings().config().getConfig(id)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  private synchronized void closeAll() {
    stores.values().forEach(JournalStore::close);
    stores.clear();
  }
}
