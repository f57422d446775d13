package io.sparkexec.order;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;

/** GET /api/private/reconciliation: the last restart reconciliation (checked, corrections by kind, external orders). */
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
                .thenApply(Json::ok))))))));
  }
}
