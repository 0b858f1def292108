package dev.codexledger.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;

/**
 * How a node finds its cluster ({@code ledger.node}): fixed seed nodes, Pekko Management cluster
 * bootstrap over a discovery method ({@code config}: the management endpoints of every node;
 * {@code kubernetes-api}: the pods of the service), or a cluster of one.
 */
public sealed interface ClusterFormation {

    record SeedNodes(List<String> addresses) implements ClusterFormation {}

    record Bootstrap(String method) implements ClusterFormation {}

    record Alone() implements ClusterFormation {}

    static ClusterFormation of(Config config) {
        String seeds = config.getString("ledger.node.seed-nodes").trim();
        String discovery = config.getString("ledger.node.discovery").trim();
        if (!seeds.isEmpty()) {
            return new SeedNodes(Arrays.stream(seeds.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        }
        return switch (discovery) {
            case "" -> new Alone();
            case "config", "kubernetes-api" -> new Bootstrap(discovery);
            default -> throw new IllegalArgumentException("ledger.node.discovery (LEDGER_DISCOVERY) must be"
                    + " config or kubernetes-api, not '" + discovery + "'");
        };
    }

    /**
     * The settings bootstrap needs, derived from {@code ledger.node}: the discovery method and, for
     * {@code config}, the service's endpoints; unless set, as many contact points are required to form
     * a new cluster as endpoints are listed (so nodes started together form one cluster, not several).
     */
    static Config configure(Config config) {
        if (!(of(config) instanceof Bootstrap bootstrap)) {
            return config;
        }
        String prefix = "pekko.management.cluster.bootstrap.contact-point-discovery.";
        Config derived = ConfigFactory.empty()
                .withValue(prefix + "discovery-method", ConfigValueFactory.fromAnyRef(bootstrap.method()));
        if (bootstrap.method().equals("config")) {
            List<Map<String, Object>> endpoints = endpoints(config.getString("ledger.node.bootstrap-endpoints"));
            String service = config.getString(prefix + "service-name");
            derived = derived.withValue("pekko.discovery.config.services." + quoted(service) + ".endpoints",
                    ConfigValueFactory.fromIterable(endpoints));
        }
        int required = config.getInt("ledger.node.bootstrap-required-contacts");
        if (required <= 0 && bootstrap.method().equals("config")) {
            required = endpoints(config.getString("ledger.node.bootstrap-endpoints")).size();
        }
        if (required > 0) {
            derived = derived.withValue(prefix + "required-contact-point-nr", ConfigValueFactory.fromAnyRef(required));
        }
        return derived.withFallback(config);
    }

    private static String quoted(String key) {
        return "\"" + key.replace("\"", "\\\"") + "\"";
    }

    static List<Map<String, Object>> endpoints(String list) {
        List<Map<String, Object>> endpoints = Arrays.stream(list.split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).map(ClusterFormation::endpoint).toList();
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("LEDGER_DISCOVERY=config needs LEDGER_BOOTSTRAP_ENDPOINTS:"
                    + " the management host:port of every node, comma-separated");
        }
        return endpoints;
    }

    private static Map<String, Object> endpoint(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            return Map.of("host", hostPort.substring(0, colon),
                    "port", Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LEDGER_BOOTSTRAP_ENDPOINTS: '" + hostPort
                    + "' is not host:port (the node's management port)");
        }
    }

    /** Starts joining; bootstrap needs the management server, which the caller starts too. */
    static void join(ActorSystem<Void> system, Config config) {
        Cluster cluster = Cluster.get(system);
        ClusterFormation formation = of(config);
        if (formation instanceof SeedNodes seeds) {
            cluster.manager().tell(new JoinSeedNodes(seeds.addresses().stream().map(AddressFromURIString::parse).toList()));
        } else if (formation instanceof Bootstrap) {
            ClusterBootstrap.get(system.classicSystem()).start();
        } else {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
    }
}
