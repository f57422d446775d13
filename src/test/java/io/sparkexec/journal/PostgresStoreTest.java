package io.sparkexec.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresStoreTest {

  @Test
  void theScriptSplitsAtLineEndingSemicolonsWithoutItsComments() {
    List<String> statements = PostgresStore.statements("""
        -- a comment; with a semicolon
        CREATE TABLE IF NOT EXISTS a (
          x INT DEFAULT 0 -- trailing
        );

        CREATE INDEX IF NOT EXISTS a_x ON a (x);
        """);
    assertEquals(List.of("CREATE TABLE IF NOT EXISTS a (\n  x INT DEFAULT 0 -- trailing\n)", "CREATE INDEX IF NOT EXISTS a_x ON a (x)"),
        statements);
  }
}
