package dev.codexledger.node;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import dev.codexledger.metrics.LedgerMetrics;
import java.util.Optional;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /metrics} on the management port (pekko.management.http.routes): the node's metrics in the
 * Prometheus text format, unauthenticated like /ready (the management port is for the platform, not for
 * tenants; docs/operations.md).
 */
public final class MetricsRoutes implements ManagementRouteProvider {

    /** The Prometheus text format's content type, exactly as Prometheus asks for it. */
    private static final org.apache.pekko.http.javadsl.model.ContentType PROMETHEUS_TEXT =
            ContentTypes.parse("text/plain; version=0.0.4; charset=UTF-8");

    /** The node's metrics, set when it starts; the management route reads them from here. */
    public static final class Holder implements Extension {
        private volatile LedgerMetrics metrics;

        public Optional<LedgerMetrics> metrics() {
            return Optional.ofNullable(metrics);
        }

        void install(LedgerMetrics nodeMetrics) {
            this.metrics = nodeMetrics;
        }
    }

    public static final class Id extends AbstractExtensionId<Holder> {
        @Override
        public Holder createExtension(ExtendedActorSystem system) {
            return new Holder();
        }
    }

    public static final Id ID = new Id();

    public static Holder of(ActorSystem system) {
        return ID.get(system);
    }

    private final ExtendedActorSystem system;

    public MetricsRoutes(ExtendedActorSystem system) {
        this.system = system;
    }

    @Override
    public Route routes(ManagementRouteProviderSettings settings) {
        return path("metrics", () -> get(() -> complete(of(system).metrics()
                .map(metrics -> HttpResponse.create().withEntity(HttpEntities.create(
                        PROMETHEUS_TEXT, metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                .orElseGet(() -> HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, "metrics are not set up yet")))));
    }
}
