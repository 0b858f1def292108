package dev.codexledger.node;

import dev.codexledger.build.Version;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import dev.codexledger.auth.ApiKeys;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.ClusterRateLimits;
import dev.codexledger.http.HttpServer;
import dev.codexledger.http.HttpSettings;
import dev.codexledger.metrics.LedgerMetrics;
import dev.codexledger.records.RecordsSettings;
import dev.codexledger.storage.LedgerSchema;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** Starts one Ledger node: storage, cluster, sharded ledgers, the HTTP API and management endpoints. */
public final class LedgerNode {

    /** A started node. {@code generatedAdminKey} is present only on the start that created it. */
    public record Running(ActorSystem<Void> system, InetSocketAddress httpAddress, String scheme,
                          Optional<String> generatedAdminKey) {

        public String baseUrl() {
            return scheme + "://" + httpAddress.getHostString() + ":" + httpAddress.getPort();
        }

        public void stop() throws Exception {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(2, TimeUnit.MINUTES);
        }
    }

    private LedgerNode() {}

    public static Running start(Config nodeConfig) throws Exception {
        Config baseConfig = AppVersion.resolve(ClusterFormation.configure(nodeConfig));
        LedgerMetrics metrics = LedgerMetrics.create();
        Storage storage = Storage.connect(baseConfig);
        Config config;
        CqlSession session = null;
        ActorSystem<Void> system;
        // Until the actor system's shutdown owns them, a failed start closes the session and stops the
        // embedded Cassandra here (it would outlive this JVM's exit otherwise).
        try {
            config = storage.driverConfig(baseConfig);
            long started = System.nanoTime();
            session = storage.openSession(config, metrics.registry());
            long connected = System.nanoTime();
            LedgerSchema.create(session, storage.settings(), RecordsSettings.fromConfig(config).ttl());
            org.slf4j.LoggerFactory.getLogger(LedgerNode.class).info("Cassandra session open in {} ms, schema ready"
                    + " {} ms later", (connected - started) / 1_000_000, (System.nanoTime() - connected) / 1_000_000);
            system = ActorSystem.create(Behaviors.empty(), "codex-ledger", config);
        } catch (Exception | Error e) {
            if (session != null) {
                session.close();
            }
            storage.stopLocal();
            throw e;
        }
        addShutdownTasks(system, session, storage);
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseActorSystemTerminate(), "close-metrics",
                () -> {
                    metrics.close();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        try {
            MetricsRoutes.of(system.classicSystem()).install(metrics);
            Features features = new Features(system, config, session, storage.settings(), Clock.systemUTC(), metrics);
            HttpSettings httpSettings = HttpSettings.fromConfig(config);
            InetSocketAddress address = HttpServer.start(system, httpSettings,
                            org.apache.pekko.http.javadsl.server.Directives.concat(version(config), features.routes(ping())), metrics)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            PekkoManagement.get(system.classicSystem()).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
            ClusterFormation.join(system, config);
            dev.codexledger.cluster.RefusedConnectionDowning.start(system, config, metrics.registry());
            NodeStatus.get(system.classicSystem()).serving(session);
            return new Running(system, address, httpSettings.scheme(), features.generatedAdminKey);
        } catch (Exception | Error e) {
            // A node that cannot bind its API or management port must not linger half started: the
            // others would wait for it in bootstrap, and an orchestrator would see a live process.
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
            throw e;
        }
    }

    /**
     * {@code GET|POST /v1/ping}: a constant answer, no key, any body ignored (drained) — the baseline the
     * budget benchmark compares decisions with (same server, same transport).
     */
    private record Pong(boolean ok) {}

    private static Route ping() {
        return path("ping", () -> extractRequestEntity(entity -> extractMaterializer(materializer ->
                onComplete(entity.discardBytes(materializer).completionStage(), done ->
                        complete(dev.codexledger.http.ApiErrors.ok(new Pong(true)))))));
    }

    /** {@code GET /version} (no key): this build, the cluster app-version it joined with, its Java. */
    record VersionInfo(String version, @com.fasterxml.jackson.annotation.JsonProperty("app_version") String appVersion,
                       String java) {}

    static Route version(Config config) {
        VersionInfo info = new VersionInfo(Version.current(), config.getString("pekko.cluster.app-version"),
                System.getProperty("java.runtime.version"));
        return org.apache.pekko.http.javadsl.server.Directives.concat(
                path("version", () -> org.apache.pekko.http.javadsl.server.Directives.get(() ->
                        complete(dev.codexledger.http.ApiErrors.ok(info)))),
                // the API described (docs/openapi.json, copied into the jar by the build), no key
                path("openapi.json", () -> org.apache.pekko.http.javadsl.server.Directives.get(() ->
                        org.apache.pekko.http.javadsl.server.Directives.getFromResource("openapi.json",
                                org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON))));
    }

    /**
     * Pekko's Java API hands out Scala-backed CompletionStages whose plain {@code whenComplete}/{@code
     * thenApply} run their callback asynchronously on the common pool; with fewer than 3 cores that pool
     * has parallelism 1 and the JDK then starts a new thread for every callback (measured: the budget
     * check answered 3,900/s instead of 10,000/s on 2 cores). Call before anything uses the common pool.
     */
    public static void commonPoolForAsyncCallbacks() {
        String property = "java.util.concurrent.ForkJoinPool.common.parallelism";
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
        }
    }

    /** Keys re-read on every node each refresh interval (revocations spread); denials written each second. */
    static void scheduleAuthTasks(ActorSystem<Void> system, Config config, ApiKeys keys,
                                          ClusterRateLimits rateLimits, AuthAudit audit, Runnable rereadSettings) {
        Duration refresh = config.getDuration("ledger.auth.refresh-interval");
        scala.concurrent.ExecutionContextExecutor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        org.apache.pekko.actor.Cancellable rereads = system.scheduler().scheduleWithFixedDelay(refresh, refresh, () -> {
            try {
                keys.refresh();
                rateLimits.retainKeys(keys.knownIds());
                rereadSettings.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(LedgerNode.class).warn("could not re-read keys: {}", e.toString());
            }
        }, blocking);
        Duration flush = config.getDuration("ledger.auth.denial-flush-interval");
        system.scheduler().scheduleWithFixedDelay(flush, flush, audit::flush, system.executionContext());
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "flush-auth-audit",
                () -> {
                    rereads.cancel();
                    return audit.flush().thenApply(ignored -> Done.getInstance());
                });
    }

    private static void addShutdownTasks(ActorSystem<Void> system, CqlSession session, Storage storage) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-cql-session",
                () -> session.closeAsync().thenApply(ignored -> Done.getInstance()));
        shutdown.addTask(CoordinatedShutdown.PhaseActorSystemTerminate(), "stop-local-cassandra",
                () -> CompletableFuture.supplyAsync(() -> {
                    storage.stopLocal();
                    return Done.getInstance();
                }));
    }

}
