package io.sparkexec.order;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * GET /api/private/reconciliation: the last restart reconciliation (checked, corrections by kind,
 * external orders). External orders are the venue's orders the executor does not hold: they belong
 * to no strategy the executor knows, so only unscoped keys see them (a bound key sees the counts).
 * Venue conflicts name our orders: a bound key sees its own strategies' ones.
 */
public final class ReconciliationRoutes {

  private final ActorRef<Reconciler.Command> reconciler;
  private final Auth auth;
  private final Duration askTimeout;
  private final Scheduler scheduler;

  public ReconciliationRoutes(ActorRef<Reconciler.Command> reconciler, Auth auth, Duration askTimeout, Scheduler scheduler) {
    this.reconciler = reconciler;
    this.auth = auth;
    this.askTimeout = askTimeout;
    this.scheduler = scheduler;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> path("reconciliation", () ->
        RouteMetrics.template("/api/private/reconciliation", () -> get(() -> auth.require(Auth.Role.TRADER, p -> completeWithFuture(
            AskPattern.<Reconciler.Command, Reconciler.Report>ask(reconciler, Reconciler.GetReport::new, askTimeout, scheduler)
                .thenApply(report -> Json.ok(visible(report, OrderRoutes.scope(p)))))))))));
  }

  static Reconciler.Report visible(Reconciler.Report r, Scope scope) {
    if (scope.strategies() == null) return r;
    List<Reconciler.VenueConflict> own = r.conflicts().stream().filter(c -> scope.permits(c.strategy())).toList();
    return new Reconciler.Report(r.status(), r.lastRunAt(), r.finishedAt(), r.attempts(), r.checked(), r.pending(), r.corrections(),
        List.of(), own.size(), own, r.error());
  }
}
