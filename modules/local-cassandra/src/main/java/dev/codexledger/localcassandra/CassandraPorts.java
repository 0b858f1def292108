package dev.codexledger.localcassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The two ports a local node listens on. Kept in the data folder so a restarted node comes back on the
 * ports it had (its system tables remember its own address), unless one of them is now taken.
 */
public record CassandraPorts(int nativePort, int storagePort) {

    private static final String FILE_NAME = "ports.properties";

    static CassandraPorts reuseOrChoose(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        CassandraPorts previous = read(file);
        if (previous != null && isFree(previous.nativePort) && isFree(previous.storagePort)) {
            return previous;
        }
        CassandraPorts chosen = new CassandraPorts(freePort(), freePort());
        write(file, chosen);
        return chosen;
    }

    /** A port that was free a moment ago on the loopback address. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on loopback", e);
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
                    Integer.parseInt(props.getProperty("storage_port")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void write(Path file, CassandraPorts ports) {
        Properties props = new Properties();
        props.setProperty("native_transport_port", Integer.toString(ports.nativePort));
        props.setProperty("storage_port", Integer.toString(ports.storagePort));
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "ports of the local Cassandra node");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
