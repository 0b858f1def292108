package dev.codexledger.localcassandra;

import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * One node's view of its ring, as {@code nodetool status} shows it, read from the node's StorageService
 * over JMX. Endpoints are {@code "127.0.0.1:<storage port>"}. A node is "UN" (up, normal) in this view
 * when it is live and neither joining, leaving nor moving.
 */
public record RingView(Set<String> live, Set<String> unreachable, Set<String> joining, Set<String> leaving,
                       Set<String> moving) {

    private static final String STORAGE_SERVICE = "org.apache.cassandra.db:type=StorageService";

    /** A JMX call to a frozen node would wait for ever: every read runs here, bounded by its timeout. */
    private static final ExecutorService READS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "ring-view-jmx");
        thread.setDaemon(true);
        return thread;
    });

    /** The endpoints this node sees up and normal. */
    public Set<String> upAndNormal() {
        Set<String> up = new TreeSet<>(live);
        up.removeAll(joining);
        up.removeAll(leaving);
        up.removeAll(moving);
        return up;
    }

    /** Whether this node sees exactly {@code endpoints}, each up and normal, and no other member. */
    public boolean allUpAndNormal(Set<String> endpoints) {
        return upAndNormal().equals(endpoints) && unreachable.isEmpty();
    }

    /** What the node on this JMX port sees; an IOException if it does not answer within {@code timeout}. */
    public static RingView read(int jmxPort, Duration timeout) throws IOException {
        CompletableFuture<RingView> read = CompletableFuture.supplyAsync(() -> readNow(jmxPort), READS);
        try {
            return read.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            read.cancel(true);
            throw new IOException("JMX on port " + jmxPort + " did not answer within " + timeout, e);
        } catch (ExecutionException e) {
            throw new IOException("JMX on port " + jmxPort + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading JMX on port " + jmxPort, e);
        }
    }

    private static RingView readNow(int jmxPort) {
        JMXServiceURL url;
        try {
            url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + LocalCassandra.HOST + ":" + jmxPort + "/jmxrmi");
        } catch (java.net.MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(url, Map.of())) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName storage = new ObjectName(STORAGE_SERVICE);
            return new RingView(endpoints(server, storage, "LiveNodesWithPort"),
                    endpoints(server, storage, "UnreachableNodesWithPort"),
                    endpoints(server, storage, "JoiningNodesWithPort"),
                    endpoints(server, storage, "LeavingNodesWithPort"),
                    endpoints(server, storage, "MovingNodesWithPort"));
        } catch (Exception e) {
            throw new IllegalStateException(e.toString(), e);
        }
    }

    private static Set<String> endpoints(MBeanServerConnection server, ObjectName storage, String attribute)
            throws Exception {
        Set<String> endpoints = new TreeSet<>();
        for (Object endpoint : (List<?>) server.getAttribute(storage, attribute)) {
            endpoints.add(strip(endpoint.toString()));
        }
        return Collections.unmodifiableSet(endpoints);
    }

    /** "/127.0.0.1:7001" and "127.0.0.1:7001" are the same endpoint. */
    private static String strip(String endpoint) {
        return endpoint.startsWith("/") ? endpoint.substring(1) : endpoint;
    }
}
