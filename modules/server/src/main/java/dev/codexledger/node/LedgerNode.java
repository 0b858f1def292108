package dev.codexledger.node;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKeys;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.KeysRoutes;
import dev.codexledger.compliance.ComplianceRoutes;
import dev.codexledger.budget.BudgetAdminRoutes;
import dev.codexledger.budget.BudgetDecisionRoutes;
import dev.codexledger.budget.PricingRoutes;
import dev.codexledger.budget.BudgetViews;
import dev.codexledger.budget.LedgerAlerts;
import dev.codexledger.budget.RecordsUsageSource;
import dev.codexledger.budget.Budgets;
import dev.codexledger.budget.PriceBook;
import dev.codexledger.analytics.Analytics;
import dev.codexledger.analytics.AnalyticsExportRoutes;
import dev.codexledger.analytics.AnalyticsRoutes;
import dev.codexledger.analytics.DashboardRoutes;
import dev.codexledger.budget.WorkspaceBudget;
import dev.codexledger.compliance.ComplianceWindows;
import dev.codexledger.compliance.ErasureRoutes;
import dev.codexledger.compliance.HeldCopies;
import dev.codexledger.compliance.HoldsRoutes;
import dev.codexledger.compliance.LegalHolds;
import dev.codexledger.auth.RateLimits;
import dev.codexledger.records.RecordParser;
import dev.codexledger.records.Retention;
import dev.codexledger.records.RetentionRoutes;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.http.HttpServer;
import dev.codexledger.http.HttpSettings;
import dev.codexledger.http.MemoryBudget;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.otlp.OtlpRoutes;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.records.RecordSearch;
import dev.codexledger.records.RecordStore;
import dev.codexledger.records.RecordsRoutes;
import dev.codexledger.records.RecordsSettings;
import dev.codexledger.storage.LedgerSchema;
import dev.codexledger.workspace.IngestGate;
import dev.codexledger.workspace.LedgerSettings;
import dev.codexledger.workspace.WorkspaceLedger;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
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

    public static Running start(Config baseConfig) throws Exception {
        Storage storage = Storage.connect(baseConfig);
        Config config = storage.driverConfig(baseConfig);
        CqlSession session = storage.openSession(config);
        String keyspace = storage.settings().keyspace();
        RecordsSettings recordsSettings = RecordsSettings.fromConfig(config);
        LedgerSchema.create(session, storage.settings(), recordsSettings.ttl());

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "codex-ledger", config);
        addShutdownTasks(system, session, storage);
        joinCluster(system, config);
        Clock clock = Clock.systemUTC();
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());

        ApiKeys keys = new ApiKeys(session, keyspace, clock);
        Optional<String> generated = keys.bootstrap(Optional.of(config.getString("ledger.auth.admin-key"))
                .filter(key -> !key.isEmpty()));
        Retention retention = new Retention(session, keyspace, recordsSettings.ttl(),
                config.getDuration("ledger.records.min-ttl"), config.getDuration("ledger.records.max-ttl"), clock);
        retention.refresh();
        RecordStore store = new RecordStore(session, storage.settings(), retention::ttlOf, clock);
        ComplianceWindows windows = new ComplianceWindows(session, keyspace,
                config.getDuration("ledger.compliance.file-window"));
        HeldCopies heldCopies = new HeldCopies(session, keyspace, storage.settings().writeParallelism(), store,
                windows, clock);
        LegalHolds holds = new LegalHolds(session, keyspace, heldCopies, clock, blocking);
        holds.refresh();
        PriceBook prices = new PriceBook(session, keyspace, config.getConfig("ledger.budget.prices"), clock);
        prices.refresh();

        WorkspaceLedgers ledgers = new WorkspaceLedgers(system, config.getDuration("ledger.http.ask-timeout"),
                new IngestGate(config.getLong("ledger.workspace.max-in-flight-records"),
                        config.getInt("ledger.workspace.max-pending-batches-per-workspace")));
        AuthAudit.Sink recordSink = auditSink(ledgers, recordsSettings);
        Budgets budgets = startBudgets(system, config, clock, recordSink,
                new RecordsUsageSource(store, prices, blocking, clock));
        Analytics analytics = new Analytics(session, keyspace, prices, store, retention::ttlOf,
                system.dispatchers().lookup(DispatcherSelector.fromConfig("ledger.analytics.dispatcher")),
                config.getDuration("ledger.analytics.coalesce"));
        AfterWrite afterWrite = new AfterWrite(store,
                List.of(new AfterWrite.Named<>("compliance windows", windows::record),
                        new AfterWrite.Named<>("legal holds", holds::copyArriving)),
                prices,
                List.of(new AfterWrite.Named<>("budget usage", budgets::reportUsage),
                        new AfterWrite.Named<>("analytics", analytics::submit)),
                system.executionContext());
        system.log().info("after each write: {}", afterWrite.describe());
        WorkspaceLedger.init(system, afterWrite, LedgerSettings.fromConfig(config), new CassandraJournalCleanup(system));
        system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(2), Duration.ofSeconds(2), analytics::tick,
                system.executionContext());

        RateLimits rateLimits = RateLimits.fromConfig(config);
        AuthAudit audit = new AuthAudit(recordSink, clock, config.getInt("ledger.auth.max-denial-kinds"));
        scheduleAuthTasks(system, config, keys, rateLimits, audit, () -> {
            retention.refresh();
            holds.refresh();
            prices.refresh();
        });
        Access access = new Access(keys, rateLimits, audit);
        RequestBodies bodies = new RequestBodies(MemoryBudget.fromConfig(config));
        RecordSearch search = new RecordSearch(store, heldCopies, config.getDuration("ledger.records.search-accept-skew"));
        RecordsRoutes records = new RecordsRoutes(ledgers, search, recordsSettings, blocking, access, bodies);
        OtlpRoutes otlp = new OtlpRoutes(ledgers, recordsSettings, clock, access, bodies);
        KeysRoutes keyAdmin = new KeysRoutes(keys, access, audit, blocking, bodies);
        RetentionRoutes retentionAdmin = new RetentionRoutes(retention, access, audit, bodies, blocking);
        ComplianceRoutes compliance = new ComplianceRoutes(session, keyspace, config, access, blocking, clock);
        ErasureRoutes erasure = new ErasureRoutes(session, keyspace, store, heldCopies, ledgers, access, audit, bodies,
                blocking, clock);
        HoldsRoutes holdsAdmin = new HoldsRoutes(holds, access, audit, bodies, blocking);
        holdsAdmin.resumePending();
        erasure.resumePending();
        PricingRoutes pricing = new PricingRoutes(prices, access, bodies, blocking);
        BudgetAdminRoutes budgetAdmin = new BudgetAdminRoutes(budgets, access, bodies);
        BudgetDecisionRoutes budgetDecisions = new BudgetDecisionRoutes(budgets, prices, access, bodies,
                switch (config.getString("ledger.budget.failure-policy")) {
                    case "fail-open" -> true;
                    case "fail-closed" -> false;
                    default -> throw new IllegalArgumentException("ledger.budget.failure-policy (LEDGER_BUDGET_FAILURE_POLICY)"
                            + " must be fail-closed or fail-open, not " + config.getString("ledger.budget.failure-policy"));
                },
                new BudgetDecisionRoutes.ForwardAuth(config.getString("ledger.budget.forward-auth.workspace-header"),
                        config.getString("ledger.budget.forward-auth.user-header"),
                        config.getString("ledger.budget.forward-auth.model-header"),
                        config.getString("ledger.budget.forward-auth.estimate-header"),
                        config.getInt("ledger.budget.forward-auth.deny-status")));
        AnalyticsRoutes analyticsApi = new AnalyticsRoutes(analytics, access, blocking, clock);
        AnalyticsExportRoutes analyticsExports = new AnalyticsExportRoutes(analytics, budgets, access, blocking,
                clock);
        Route api = concat(pathPrefix("v1", () -> concat(ping(), records.routes(), otlp.routes(), keyAdmin.routes(),
                retentionAdmin.routes(), compliance.routes(), erasure.routes(), holdsAdmin.routes(),
                pricing.routes(), budgetAdmin.routes(), budgetDecisions.routes(), analyticsApi.routes(),
                analyticsExports.routes())), new DashboardRoutes().routes());

        HttpSettings httpSettings = HttpSettings.fromConfig(config);
        InetSocketAddress address = HttpServer.start(system, httpSettings, api)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        PekkoManagement.get(system.classicSystem()).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        NodeStatus.get(system.classicSystem()).serving(session);
        return new Running(system, address, httpSettings.scheme(), generated);
    }

    /** Budgets: the sharded budget entities, their alerts (records and webhooks), and the facade. */
    private static Budgets startBudgets(ActorSystem<Void> system, Config config, Clock clock,
                                        AuthAudit.Sink recordSink, RecordsUsageSource usage) {
        BudgetViews views = new BudgetViews();
        String webhook = config.getString("ledger.budget.alerts.webhook-url");
        LedgerAlerts alerts = new LedgerAlerts((workspace, record) -> recordSink.append(workspace, List.of(record)),
                webhook.isBlank() ? Optional.empty() : Optional.of(URI.create(webhook)),
                config.getString("ledger.budget.alerts.webhook-secret"),
                config.getDuration("ledger.budget.alerts.first-backoff"),
                config.getDuration("ledger.budget.alerts.max-backoff"));
        WorkspaceBudget.init(system, new WorkspaceBudget.Settings(ZoneId.of(config.getString("ledger.budget.time-zone")),
                config.getDuration("ledger.budget.reservation-ttl"), config.getDuration("ledger.budget.max-reservation-ttl"),
                clock, views, alerts, usage));
        return new Budgets(system, config.getDuration("ledger.budget.decision-timeout"),
                config.getDuration("ledger.http.ask-timeout"), views, clock);
    }

    /**
     * {@code GET|POST /v1/ping}: a constant answer, no key, any body ignored (drained) — the baseline the
     * budget benchmark compares decisions with (same server, same transport).
     */
    private static Route ping() {
        return path("ping", () -> extractRequestEntity(entity -> extractMaterializer(materializer ->
                onComplete(entity.discardBytes(materializer).completionStage(), done ->
                        complete(dev.codexledger.http.ApiErrors.json(StatusCodes.OK,
                                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("ok", true)))))));
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

    /** AUTH_LOG records go through the ledger like any other record: validated, chained, durable. */
    private static AuthAudit.Sink auditSink(WorkspaceLedgers ledgers, RecordsSettings settings) {
        RecordParser parser = new RecordParser(settings.maxRecordsPerRequest(), settings.maxJsonDepth(),
                settings.maxStringLength());
        return (workspace, trees) -> {
            java.util.List<NewRecord> records = new java.util.ArrayList<>(trees.size());
            for (ObjectNode tree : trees) {
                records.add(parser.fromTree(tree, records.size()));
            }
            return ledgers.append(workspace, records); // fails when the ledger could not store them
        };
    }

    /** Keys re-read on every node each refresh interval (revocations spread); denials written each second. */
    private static void scheduleAuthTasks(ActorSystem<Void> system, Config config, ApiKeys keys,
                                          RateLimits rateLimits, AuthAudit audit, Runnable rereadSettings) {
        java.time.Duration refresh = config.getDuration("ledger.auth.refresh-interval");
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
        java.time.Duration flush = config.getDuration("ledger.auth.denial-flush-interval");
        system.scheduler().scheduleWithFixedDelay(flush, flush, audit::flush, system.executionContext());
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "flush-auth-audit",
                () -> {
                    rereads.cancel();
                    return audit.flush().thenApply(ignored -> Done.getInstance());
                });
    }

    private static void joinCluster(ActorSystem<Void> system, Config config) {
        Cluster cluster = Cluster.get(system);
        String seeds = config.getString("ledger.node.seed-nodes").trim();
        if (seeds.isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        } else {
            cluster.manager().tell(new JoinSeedNodes(java.util.Arrays.stream(seeds.split(","))
                    .map(String::trim).map(org.apache.pekko.actor.AddressFromURIString::parse).toList()));
        }
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
