package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * docs/grafana/executor.json imports into Grafana as it is: an exported dashboard model whose
 * Prometheus data source is the import-time input DS_PROMETHEUS, with no instance-bound id and a
 * query in every panel. (SloIT checks that every metric it queries is exported.)
 */
class GrafanaDashboardTest {

  @Test
  void theDashboardIsAnImportableModel() throws Exception {
    JsonNode d = Json.MAPPER.readTree(Files.readString(Path.of("docs", "grafana", "executor.json")));
    JsonNode input = d.get("__inputs").get(0);
    assertEquals("DS_PROMETHEUS", input.get("name").asText());
    assertEquals("datasource", input.get("type").asText());
    assertEquals("prometheus", input.get("pluginId").asText());
    assertTrue(d.get("id").isNull(), "an exported model has no database id");
    assertFalse(d.get("uid").asText().isBlank());
    assertFalse(d.get("title").asText().isBlank());
    assertTrue(d.get("schemaVersion").asInt() >= 36);

    Set<Integer> ids = new HashSet<>();
    Set<String> types = new HashSet<>();
    int queries = 0;
    for (JsonNode p : d.get("panels")) {
      assertTrue(ids.add(p.get("id").asInt()), "panel ids are unique: " + p.get("id"));
      JsonNode grid = p.get("gridPos");
      assertTrue(grid.get("w").asInt() > 0 && grid.get("x").asInt() + grid.get("w").asInt() <= 24, p.get("title").asText());
      if (p.get("type").asText().equals("row")) continue;
      types.add(p.get("type").asText());
      assertEquals("${DS_PROMETHEUS}", p.get("datasource").get("uid").asText(), p.get("title").asText());
      assertTrue(p.get("targets").size() > 0, p.get("title").asText());
      for (JsonNode t : p.get("targets")) {
        assertEquals("${DS_PROMETHEUS}", t.get("datasource").get("uid").asText());
        assertFalse(t.get("expr").asText().isBlank());
        assertNull(t.get("datasourceId"));
        queries++;
      }
    }
    // every panel type used is declared as required, so Grafana checks it at import
    Set<String> required = new HashSet<>();
    for (JsonNode r : d.get("__requires")) if (r.get("type").asText().equals("panel")) required.add(r.get("id").asText());
    assertEquals(required, types);
    assertTrue(queries >= 20, "queries: " + queries);
  }
}
