package dev.codexledger.node;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import dev.codexledger.auth.ApiKeys;
import dev.codexledger.http.Authentication;
import dev.codexledger.http.HttpServer;
import dev.codexledger.http.HttpSettings;
import dev.codexledger.otlp.OtlpRoutes;
import dev.codexledger.records.RecordTable;
import dev.codexledger.records.RecordsRoutes;
import dev.codexledger.records.RecordsSettings;
import dev.codexledger.storage.LedgerSchema;
import dev.codexledger.workspace.IngestGate;
import dev.codexledger.workspace.LedgerSettings;
import dev.codexledger.workspace.WorkspaceLedger;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** Starts one Ledger node: storage, cluster, sharded ledgers, the HTTP API and management endpoints. */
public final class LedgerNode {

    /** A started node. {@code generatedAdminKey} is present only on the start that created it. */
    public record Running(ActorSystem<Void> system, InetSocketAddress httpAddress,
                          Optional<String> generatedAdminKey) {

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
        RecordsSettings recordsSettings = RecordsSettings.fromConfig(config);
        LedgerSchema.create(session, storage.settings(), recordsSettings.ttl());

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "codex-ledger", config);
        addShutdownTasks(system, session, storage);
        joinCluster(system, config);

        ApiKeys keys = new ApiKeys(session, storage.settings().keyspace(),
                config.getDuration("ledger.auth.refresh-interval"), Clock.systemUTC());
        Optional<String> adminKey = config.getString("ledger.auth.admin-key").isEmpty()
                ? Optional.empty() : Optional.of(config.getString("ledger.auth.admin-key"));
        Optional<String> generated = keys.bootstrap(adminKey);

        RecordTable table = new RecordTable(session, storage.settings(), recordsSettings.ttl(), Clock.systemUTC());
        WorkspaceLedger.init(system, table, LedgerSettings.fromConfig(config));
        WorkspaceLedgers ledgers = new WorkspaceLedgers(system, config.getDuration("ledger.http.ask-timeout"),
                new IngestGate(config.getLong("ledger.workspace.max-in-flight-records"),
                        config.getInt("ledger.workspace.max-pending-batches-per-workspace")));
        RecordsRoutes records = new RecordsRoutes(ledgers, table, recordsSettings,
                system.dispatchers().lookup(DispatcherSelector.blocking()));
        Authentication auth = new Authentication(keys);
        OtlpRoutes otlp = new OtlpRoutes(ledgers, recordsSettings, Clock.systemUTC());
        Route api = pathPrefix("v1", () -> auth.authenticated(() -> concat(records.routes(), otlp.routes())));

        InetSocketAddress address = HttpServer.start(system, HttpSettings.fromConfig(config), api)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        PekkoManagement.get(system.classicSystem()).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        NodeStatus.get(system.classicSystem()).serving(session);
        return new Running(system, address, generated);
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
