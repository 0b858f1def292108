package dev.codexledger.node;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import dev.codexledger.analytics.Analytics;
import dev.codexledger.analytics.AnalyticsExportRoutes;
import dev.codexledger.analytics.AnalyticsRoutes;
import dev.codexledger.analytics.DashboardRoutes;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKeys;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.KeysRoutes;
import dev.codexledger.auth.ClusterRateLimits;
import dev.codexledger.auth.KeyRateLimiter;
import dev.codexledger.metrics.LedgerMetrics;
import io.micrometer.core.instrument.Tags;
import dev.codexledger.auth.RateLimits;
import dev.codexledger.budget.BudgetAdminRoutes;
import dev.codexledger.budget.BudgetDecisionRoutes;
import dev.codexledger.budget.BudgetViews;
import dev.codexledger.budget.Budgets;
import dev.codexledger.budget.LedgerAlerts;
import dev.codexledger.budget.PriceBook;
import dev.codexledger.budget.PricingRoutes;
import dev.codexledger.budget.RecordsUsageSource;
import dev.codexledger.budget.WorkspaceBudget;
import dev.codexledger.compliance.ComplianceRoutes;
import dev.codexledger.compliance.ComplianceWindows;
import dev.codexledger.compliance.ErasureRoutes;
import dev.codexledger.compliance.HeldCopies;
import dev.codexledger.compliance.HoldsRoutes;
import dev.codexledger.compliance.LegalHolds;
import dev.codexledger.http.MemoryBudget;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.otlp.OtlpRoutes;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.records.RecordParser;
import dev.codexledger.records.RecordSearch;
import dev.codexledger.records.RecordStore;
import dev.codexledger.tlog.CheckpointKeys;
import dev.codexledger.tlog.Checkpoints;
import dev.codexledger.tlog.LogRoutes;
import dev.codexledger.tlog.LogVerifications;
import dev.codexledger.tlog.MerkleTiles;
import dev.codexledger.records.RecordsRoutes;
import dev.codexledger.records.RecordsSettings;
import dev.codexledger.records.Retention;
import dev.codexledger.records.RetentionRoutes;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.workspace.ActiveLedgers;
import dev.codexledger.workspace.HeapGuard;
import dev.codexledger.workspace.IngestGate;
import dev.codexledger.workspace.LedgerSettings;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.workspace.WorkspaceLedger;
import dev.codexledger.workspace.WriterFence;
import dev.codexledger.storage.CassandraWriterFence;
import dev.codexledger.storage.JobLeases;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The features of a node, started in dependency order: the records and compliance tables, the sharded
 * ledgers with the step after each write, budgets, analytics, access control, and the routes of each.
 * Wiring only: every object is built from config here and does its work elsewhere.
 */
final class Features {

    final Optional<String> generatedAdminKey;
    private final ActorSystem<Void> system;
    private final Config config;
    private final JobLeases jobLeases;
    private final CqlSession session;
    private final String keyspace;
    private final Clock clock;
    private final Executor blocking;
    private final RecordsSettings recordsSettings;
    private final ApiKeys keys;
    private final Retention retention;
    private final dev.codexledger.policy.PolicyStore policies;
    private final dev.codexledger.policy.PolicyJudge policyJudge;
    private final dev.codexledger.policy.PolicySessions policySessions;
    private final dev.codexledger.streams.Streams streams;
    private final dev.codexledger.auth.SsoSettings sso;
    private final Optional<dev.codexledger.auth.SsoSessions> ssoSessions;
    private final RecordStore store;
    private final MerkleTiles tiles;
    private final CheckpointKeys checkpointKeys;
    private final Checkpoints checkpoints;
    private final HeldCopies heldCopies;
    private final LegalHolds holds;
    private final PriceBook prices;
    private final WorkspaceLedgers ledgers;
    private final ActiveLedgers activeLedgers;
    private final AuthAudit.Sink recordSink;
    private final Budgets budgets;
    private final Analytics analytics;
    private final AuthAudit audit;
    private final Access access;
    private final LedgerMetrics metrics;

    Features(ActorSystem<Void> system, Config config, CqlSession session, CassandraSettings storage, Clock clock,
             LedgerMetrics metrics) {
        this.system = system;
        this.metrics = metrics;
        this.config = config;
        this.session = session;
        this.keyspace = storage.keyspace();
        this.clock = clock;
        this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.recordsSettings = RecordsSettings.fromConfig(config);
        this.keys = new ApiKeys(session, keyspace, clock);
        this.generatedAdminKey = keys.bootstrap(Optional.of(config.getString("ledger.auth.admin-key"))
                .filter(key -> !key.isEmpty()));
        this.retention = new Retention(session, keyspace, recordsSettings.ttl(),
                config.getDuration("ledger.records.min-ttl"), config.getDuration("ledger.records.max-ttl"), clock);
        retention.refresh();
        this.policies = new dev.codexledger.policy.PolicyStore(session, keyspace, clock);
        this.store = new RecordStore(session, storage, retention::ttlOf, clock);
        this.tiles = new MerkleTiles(session, keyspace, storage.writeParallelism());
        this.checkpointKeys = new CheckpointKeys(session, keyspace, config.getString("ledger.checkpoints.origin"),
                config.getString("ledger.checkpoints.signing-key"), clock);
        checkpointKeys.start();
        this.checkpoints = new Checkpoints(session, keyspace, checkpointKeys, clock,
                config.getString("ledger.checkpoints.witness-url"));
        ComplianceWindows windows = new ComplianceWindows(session, keyspace,
                config.getDuration("ledger.compliance.file-window"));
        this.heldCopies = new HeldCopies(session, keyspace, storage.writeParallelism(), store, windows, clock);
        this.jobLeases = new JobLeases(session, keyspace, runnerName(system),
                config.getDuration("ledger.compliance.job-lease"));
        this.holds = new LegalHolds(session, keyspace, heldCopies, clock, blocking, jobLeases, metrics);
        holds.refresh();
        this.prices = new PriceBook(session, keyspace, config.getConfig("ledger.budget.prices"), clock);
        prices.refresh();
        this.activeLedgers = new ActiveLedgers(MemoryBudget.heapShare(config, "ledger.workspace.active-ledgers-memory"));
        HeapGuard heap = heapGuard(config);
        // a full heap makes the ledgers give back half their budget at once, not only refuse new work
        heap.whenFull(() -> activeLedgers.passivateDownTo(activeLedgers.budgetBytes() / 2));
        this.ledgers = new WorkspaceLedgers(system, config.getDuration("ledger.http.ask-timeout"),
                new IngestGate(config.getLong("ledger.workspace.max-in-flight-records"),
                        config.getInt("ledger.workspace.max-pending-batches-per-workspace"),
                        config.getLong("ledger.workspace.contended-share-records"),
                        config.getLong("ledger.workspace.contended-records-per-second"), heap, System::nanoTime));
        this.recordSink = auditSink(ledgers, recordsSettings);
        this.budgets = startBudgets();
        this.analytics = new Analytics(session, keyspace, prices, store, retention::ttlOf,
                system.dispatchers().lookup(DispatcherSelector.fromConfig("ledger.analytics.dispatcher")),
                config.getDuration("ledger.analytics.coalesce"), config.getInt("ledger.analytics.known-threads"));
        system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(2), Duration.ofSeconds(2), analytics::tick,
                system.executionContext());
        this.policySessions = new dev.codexledger.policy.PolicySessions(session, keyspace, retention::ttlOf);
        this.policyJudge = new dev.codexledger.policy.PolicyJudge(session, keyspace, policies, policySessions, store,
                recordSink,
                system.dispatchers().lookup(DispatcherSelector.fromConfig("ledger.policy.dispatcher")), metrics,
                config.getBoolean("ledger.policy.findings-to-webhook") ? alertWebhook() : Optional.empty());
        system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(5), Duration.ofSeconds(5), policyJudge::tick,
                system.executionContext());
        this.streams = dev.codexledger.streams.Streams.start(system, config, session, keyspace, store, retention::ttlOf,
                recordSink, metrics, clock, holds, heldCopies);
        startLedgers(windows);
        KeyRateLimiter.init(system);
        ClusterRateLimits rateLimits = new ClusterRateLimits(RateLimits.fromConfig(config),
                ClusterRateLimits.sharded(system, config.getDuration("ledger.auth.rate-limit-lease.timeout")),
                System::nanoTime, config.getDuration("ledger.auth.rate-limit-lease.validity"),
                config.getDuration("ledger.auth.rate-limit-lease.fallback"));
        this.audit = new AuthAudit(recordSink, clock, config.getInt("ledger.auth.max-denial-kinds"));
        this.sso = dev.codexledger.auth.SsoSettings.fromConfig(config);
        this.ssoSessions = sso.enabled() ? Optional.of(new dev.codexledger.auth.SsoSessions(session, keyspace, sso, clock))
                : Optional.empty();
        this.access = new Access(keys, rateLimits, audit, ssoSessions);
        observe();
        LedgerNode.scheduleAuthTasks(system, config, keys, rateLimits, audit, () -> {
            retention.refresh();
            holds.refresh();
            prices.refresh();
        });
    }

    /**
     * What the node's metrics read when scraped (analytics lag, memory held, ingest in flight), and every
     * 10 s which shards and entities this node hosts.
     */
    private void observe() {
        metrics.gaugeOf("ledger.analytics.lag.records", "records written and not yet counted into analytics",
                Tags.empty(), analytics::lagRecords);
        metrics.gaugeOf("ledger.analytics.lag.seconds", "how long the workspace furthest behind in analytics has been behind",
                Tags.empty(), analytics::lagSeconds);
        metrics.gaugeOf("ledger.workspace.active.ledgers", "workspace ledgers in memory on this node", Tags.empty(),
                activeLedgers::active);
        metrics.gaugeOf("ledger.workspace.active.ledgers.bytes", "heap held by the ledgers in memory", Tags.empty(),
                activeLedgers::totalBytes);
        metrics.gaugeOf("ledger.workspace.active.ledgers.budget.bytes", "heap the ledgers in memory may hold",
                Tags.empty(), activeLedgers::budgetBytes);
        metrics.gaugeOf("ledger.ingest.in.flight.records", "records received and not yet stored", Tags.empty(),
                ledgers.gate()::inFlightRecords);
        org.apache.pekko.cluster.Cluster cluster = org.apache.pekko.cluster.Cluster.get(system.classicSystem());
        metrics.gaugeOf("ledger.cluster.members.up", "members Up in the cluster, as this node sees it", Tags.empty(), () -> {
            int up = 0;
            for (org.apache.pekko.cluster.Member member : cluster.state().getMembers()) {
                up += member.status() == org.apache.pekko.cluster.MemberStatus.up() ? 1 : 0;
            }
            return up;
        });
        metrics.gaugeOf("ledger.cluster.members.unreachable", "members this node cannot reach (a node down or frozen)",
                Tags.empty(), () -> cluster.state().getUnreachable().size());
        Map<String, org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<?>> types = Map.of(
                "WorkspaceLedger", WorkspaceLedger.ENTITY_TYPE_KEY, "WorkspaceBudget", WorkspaceBudget.ENTITY_TYPE_KEY,
                "KeyRateLimiter", KeyRateLimiter.ENTITY_TYPE_KEY,
                "StreamLane", dev.codexledger.streams.StreamLane.ENTITY_TYPE_KEY);
        Duration every = Duration.ofSeconds(10);
        system.scheduler().scheduleWithFixedDelay(every, every, () -> types.forEach((name, key) ->
                org.apache.pekko.actor.typed.javadsl.AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                                org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
                        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system).shardState(),
                        replyTo -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(key, replyTo),
                        Duration.ofSeconds(5), system.scheduler())
                        .whenComplete((state, failure) -> {
                            if (state != null) {
                                java.util.Set<String> shards = new java.util.HashSet<>();
                                int entities = 0;
                                for (var shard : state.getShards()) {
                                    shards.add(shard.shardId());
                                    entities += shard.getEntityIds().size();
                                }
                                metrics.hosted(name, shards, entities);
                            }
                        })), system.executionContext());
    }

    /** The sharded ledgers, and what follows each of their writes, in order (see {@link AfterWrite}). */
    private void startLedgers(ComplianceWindows windows) {
        AfterWrite afterWrite = new AfterWrite(store, tiles::write,
                List.of(new AfterWrite.Named<>("compliance windows", windows::record),
                        new AfterWrite.Named<>("legal holds", holds::copyArriving)),
                prices,
                List.of(new AfterWrite.Named<>("budget usage", budgets::reportUsage),
                        new AfterWrite.Named<>("analytics", analytics),
                        new AfterWrite.Named<>("policy findings", policyJudge),
                        new AfterWrite.Named<>("streams", streams)),
                system.executionContext());
        system.log().info("after each write: {}", afterWrite.describe());
        Duration keyRefresh = config.getDuration("ledger.checkpoints.key-refresh");
        system.scheduler().scheduleWithFixedDelay(keyRefresh, keyRefresh, () -> {
            try {
                checkpointKeys.refresh();
            } catch (RuntimeException e) {
                system.log().warn("could not read the checkpoint signing key: {}", e.toString());
            }
        }, system.dispatchers().lookup(DispatcherSelector.blocking()));
        LedgerSettings settings = LedgerSettings.fromConfig(config);
        WorkspaceLedger.init(system, afterWrite, settings.withCheckpointer(checkpoints), new CassandraJournalCleanup(system),
                writerFence("ledger_writers"), activeLedgers);
    }

    /** Ingest is refused (503) while the heap after a collection is past {@code ledger.http.refuse-ingest-above-heap}. */
    private static HeapGuard heapGuard(Config config) {
        String path = "ledger.http.refuse-ingest-above-heap";
        long max = Runtime.getRuntime().maxMemory();
        long above = MemoryBudget.heapShare(config, path);
        return HeapGuard.watchingThisJvm((double) Math.min(above, max) / max);
    }

    /**
     * One writer per workspace's ledger ({@code ledger_writers}) or budgets ({@code budget_writers}), enforced
     * in Cassandra (off only to measure what it costs).
     */
    private WriterFence writerFence(String table) {
        if (!config.getBoolean("ledger.workspace.writer-fence")) {
            system.log().warn("the writer fence is off (ledger.workspace.writer-fence): a node woken after being"
                    + " downed could acknowledge records or grant reservations that a later recovery drops");
            return WriterFence.NONE;
        }
        return new CassandraWriterFence(session, keyspace, table,
                org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().address().toString());
    }

    /** The alert webhook, when a URL is configured: budget alerts, and policy findings if they are turned on. */
    private Optional<dev.codexledger.http.SignedWebhook> alertWebhook() {
        String webhook = config.getString("ledger.budget.alerts.webhook-url");
        return webhook.isBlank() ? Optional.empty() : Optional.of(new dev.codexledger.http.SignedWebhook(
                URI.create(webhook), config.getString("ledger.budget.alerts.webhook-secret"),
                config.getDuration("ledger.budget.alerts.first-backoff"),
                config.getDuration("ledger.budget.alerts.max-backoff")));
    }

    /** Budgets: the sharded budget entities, their alerts (records and webhooks), and the facade. */
    private Budgets startBudgets() {
        BudgetViews views = new BudgetViews();
        LedgerAlerts alerts = new LedgerAlerts((workspace, record) -> recordSink.append(workspace, List.of(record)),
                alertWebhook());
        WorkspaceBudget.init(system, new WorkspaceBudget.Settings(ZoneId.of(config.getString("ledger.budget.time-zone")),
                config.getDuration("ledger.budget.reservation-ttl"), config.getDuration("ledger.budget.max-reservation-ttl"),
                clock, views, alerts, new RecordsUsageSource(store, prices, blocking, clock,
                        config.getDuration("ledger.records.search-accept-skew")), writerFence("budget_writers"),
                new dev.codexledger.storage.CassandraForkRepair(session, system)));
        return new Budgets(system, config.getDuration("ledger.budget.decision-timeout"),
                config.getDuration("ledger.http.ask-timeout"), views, clock);
    }

    /** This node incarnation, as the runner of background jobs (address and the incarnation's uid). */
    private static String runnerName(ActorSystem<Void> system) {
        org.apache.pekko.cluster.UniqueAddress self = org.apache.pekko.cluster.Cluster.get(system.classicSystem())
                .selfUniqueAddress();
        return self.address().toString() + "#" + self.longUid();
    }

    /**
     * Every route of the API under /v1, and the dashboard. Runs the compliance jobs another node left
     * unfinished (it stopped or died), now and every {@code ledger.compliance.job-sweep-interval}.
     */
    Route routes(Route ping) {
        RequestBodies bodies = new RequestBodies(MemoryBudget.fromConfig(config));
        RecordSearch search = new RecordSearch(store, heldCopies, config.getDuration("ledger.records.search-accept-skew"));
        ErasureRoutes erasure = new ErasureRoutes(session, keyspace, store, heldCopies, ledgers, access, audit, bodies,
                blocking, clock, jobLeases, metrics);
        HoldsRoutes holdsAdmin = new HoldsRoutes(holds, access, audit, bodies, blocking);
        Duration sweep = config.getDuration("ledger.compliance.job-sweep-interval");
        system.scheduler().scheduleWithFixedDelay(Duration.ZERO, sweep, () -> {
            try {
                holdsAdmin.resumePending();
                erasure.resumePending();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Features.class).warn("could not look for unfinished jobs: {}",
                        e.toString());
            }
        }, system.dispatchers().lookup(DispatcherSelector.blocking()));
        List<Route> api = new ArrayList<>(List.of(ping,
                new RecordsRoutes(ledgers, search, recordsSettings, blocking, access, bodies, metrics).routes(),
                new OtlpRoutes(ledgers, recordsSettings, clock, access, bodies, metrics).routes(),
                new KeysRoutes(keys, access, audit, blocking, bodies).routes(),
                new RetentionRoutes(retention, access, audit, bodies, blocking).routes(),
                new dev.codexledger.policy.PolicyRoutes(policies, keys, access, audit, bodies, blocking).routes(),
                new dev.codexledger.streams.StreamRoutes(streams, access, audit, bodies, blocking).routes(),
                new LogRoutes(checkpoints, checkpointKeys, tiles, ledgers, new LogVerifications(session, keyspace, search,
                        tiles, checkpoints, checkpointKeys, ledgers, audit, blocking, clock, metrics), access, audit,
                        blocking).routes(),
                new NodeMemoryRoutes(access, activeLedgers, ledgers.gate(), analytics).routes(),
                new ComplianceRoutes(session, keyspace, config, checkpoints, access, blocking, clock).routes(),
                erasure.routes(), holdsAdmin.routes(),
                new PricingRoutes(prices, access, bodies, blocking).routes(),
                new BudgetAdminRoutes(budgets, access, bodies).routes(),
                new BudgetDecisionRoutes(budgets, prices, access, bodies, failOpen(),
                        BudgetDecisionRoutes.ForwardAuth.fromConfig(config.getConfig("ledger.budget.forward-auth")),
                        metrics).routes(),
                new AnalyticsRoutes(analytics, policySessions, access, blocking, clock).routes(),
                new AnalyticsExportRoutes(analytics, budgets, access, blocking, clock).routes()));
        Route signOn = ssoSessions.isPresent()
                ? new dev.codexledger.auth.SsoRoutes(sso, new dev.codexledger.auth.OidcClient(sso), ssoSessions.get(),
                        audit, blocking, clock).routes()
                : dev.codexledger.auth.SsoRoutes.off();
        return concat(pathPrefix("v1", () -> concat(api.get(0), api.subList(1, api.size()).toArray(Route[]::new))),
                signOn, new DashboardRoutes().routes());
    }

    private boolean failOpen() {
        String policy = config.getString("ledger.budget.failure-policy");
        return switch (policy) {
            case "fail-open" -> true;
            case "fail-closed" -> false;
            default -> throw new IllegalArgumentException("ledger.budget.failure-policy (LEDGER_BUDGET_FAILURE_POLICY)"
                    + " must be fail-closed or fail-open, not " + policy);
        };
    }

    /** AUTH_LOG and BUDGET_LOG records go through the ledger like any other record: validated, chained, durable. */
    private static AuthAudit.Sink auditSink(WorkspaceLedgers ledgers, RecordsSettings settings) {
        RecordParser parser = new RecordParser(settings.maxRecordsPerRequest(), settings.maxJsonDepth(),
                settings.maxStringLength());
        return (workspace, trees) -> {
            List<NewRecord> records = new ArrayList<>(trees.size());
            trees.forEach(tree -> records.add(parser.fromTree(tree, records.size())));
            return ledgers.appendInternal(workspace, records);
        };
    }
}
