package dev.codexledger.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * Two nodes of one cluster in this JVM, talking over Artery on loopback with the node's serializers
 * (Java serialization off): the {@code host} (role {@value #HOST_ROLE}), where entities of a type
 * initialized with that role live, and the {@code client}, which reaches them through a sharding proxy.
 * So every command goes to the other node and every reply comes back over the wire. Persistence is
 * Pekko's in-memory journal and snapshot store.
 */
public final class TwoNodes implements AutoCloseable {

    public static final String HOST_ROLE = "host";

    private final ActorTestKit host;
    private final ActorTestKit client;

    private TwoNodes(ActorTestKit host, ActorTestKit client) {
        this.host = host;
        this.client = client;
    }

    public static TwoNodes start(String name) {
        ActorTestKit host = ActorTestKit.create(name, config(HOST_ROLE));
        ActorTestKit client = ActorTestKit.create(name, config("client"));
        Cluster.get(host.system()).manager().tell(Join.create(Cluster.get(host.system()).selfMember().address()));
        Cluster.get(client.system()).manager().tell(Join.create(Cluster.get(host.system()).selfMember().address()));
        TwoNodes nodes = new TwoNodes(host, client);
        Eventually.assertThat(Duration.ofSeconds(30), () -> {
            for (ActorSystem<?> system : nodes.systems()) {
                var members = Cluster.get(system).state().getMembers();
                int up = 0;
                for (var member : members) {
                    up += member.status() == MemberStatus.up() ? 1 : 0;
                }
                if (up != 2) {
                    throw new AssertionError(system.address() + " sees " + members);
                }
            }
        });
        return nodes;
    }

    private static Config config(String role) {
        return ConfigFactory.parseString("""
                        pekko.actor.provider = cluster
                        pekko.actor.allow-java-serialization = off
                        pekko.remote.artery.canonical.hostname = "127.0.0.1"
                        pekko.remote.artery.canonical.port = 0
                        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                        pekko.cluster.roles = [%s]
                        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                        """.formatted(role))
                .withFallback(PersistenceTestKitPlugin.config())
                .withFallback(PersistenceTestKitSnapshotPlugin.config())
                .withFallback(ConfigFactory.parseResources("ledger-workspace.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-records.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-budget.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-auth.conf"))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    /** Where entities initialized with role {@value #HOST_ROLE} live. */
    public ActorTestKit host() {
        return host;
    }

    /** Asks through a sharding proxy: its messages reach the entities only over the wire. */
    public ActorTestKit client() {
        return client;
    }

    private java.util.List<ActorSystem<?>> systems() {
        return java.util.List.of(host.system(), client.system());
    }

    @Override
    public void close() {
        client.shutdownTestKit();
        host.shutdownTestKit();
    }
}
