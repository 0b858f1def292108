package dev.codexledger.localcassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

/**
 * The ports a local node listens on: CQL, storage (gossip, replication) and, for a ring member, JMX
 * ({@code 0}: none). Kept in the data folder so a restarted node comes back on the ports it had (its
 * system tables remember its own address).
 */
public record CassandraPorts(int nativePort, int storagePort, int jmxPort) {

    private static final String FILE_NAME = "ports.properties";

    /** A single node: the ports it had, unless one of them is now taken; then new ones. */
    static CassandraPorts reuseOrChoose(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        CassandraPorts previous = read(file);
        if (previous != null && isFree(previous.nativePort) && isFree(previous.storagePort)) {
            return previous;
        }
        CassandraPorts chosen = new CassandraPorts(freePort(), freePort(), 0);
        write(file, chosen);
        return chosen;
    }

    /**
     * A ring member: the ports it had, always (the other members know it by its storage port), or new
     * ones, none of them in {@code taken}, for a new member.
     */
    static CassandraPorts keepOrChoose(Path dataDir, Set<Integer> taken) {
        Path file = dataDir.resolve(FILE_NAME);
        CassandraPorts previous = read(file);
        if (previous != null && previous.jmxPort != 0) {
            return previous;
        }
        Set<Integer> chosen = new LinkedHashSet<>();
        while (chosen.size() < 3) {
            int port = freePort();
            if (!taken.contains(port)) {
                chosen.add(port);
            }
        }
        Integer[] ports = chosen.toArray(Integer[]::new);
        CassandraPorts ring = new CassandraPorts(ports[0], ports[1], ports[2]);
        write(file, ring);
        return ring;
    }

    /** The ports of this set that something else listens on now. */
    List<Integer> taken() {
        return IntStream.of(nativePort, storagePort, jmxPort)
                .filter(port -> port != 0 && !isFree(port)).boxed().toList();
    }

    /**
     * A port that was free a moment ago on the loopback address, chosen below the system's ephemeral
     * range when it can be read: a port from that range (what binding port 0 gives) may be taken as
     * the source port of any outgoing connection before its server binds it, and a node that keeps
     * its ports across restarts would meet that again on every restart.
     */
    public static int freePort() {
        int[] range = ephemeralRange();
        int low = 15_000;
        if (range != null && range[0] - low >= 2_000) {
            for (int attempt = 0; attempt < 200; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(low, range[0]);
                if (isFree(port)) {
                    return port;
                }
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on loopback", e);
        }
    }

    /** Linux's ephemeral port range, or {@code null} where it cannot be read. */
    private static int[] ephemeralRange() {
        try {
            String[] bounds = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static CassandraPorts read(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
            return new CassandraPorts(
                    Integer.parseInt(props.getProperty("native_transport_port")),
                    Integer.parseInt(props.getProperty("storage_port")),
                    Integer.parseInt(props.getProperty("jmx_port", "0")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void write(Path file, CassandraPorts ports) {
        Properties props = new Properties();
        props.setProperty("native_transport_port", Integer.toString(ports.nativePort));
        props.setProperty("storage_port", Integer.toString(ports.storagePort));
        if (ports.jmxPort != 0) {
            props.setProperty("jmx_port", Integer.toString(ports.jmxPort));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "ports of the local Cassandra node");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
