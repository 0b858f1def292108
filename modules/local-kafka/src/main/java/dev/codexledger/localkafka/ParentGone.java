package dev.codexledger.localkafka;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;

/**
 * Main class of the forked Kafka broker: runs the real main class given as the first
 * argument, and exits when the test JVM's pipe on standard input closes — even after a SIGKILL of the
 * test JVM — so no broker outlives the build. JDK only: the fork's classpath is the server's.
 */
public final class ParentGone {

    private ParentGone() {}

    public static void main(String[] args) throws Exception {
        Thread watcher = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[64];
            try {
                while (in.read(buffer) >= 0) {
                    // the parent never writes
                }
            } catch (IOException e) {
                // the same as end of stream
            }
            System.err.println("parent process gone: stopping");
            System.exit(0);
        }, "parent-gone");
        watcher.setDaemon(true);
        watcher.start();
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) rest);
    }
}
