package dev.codexledger.localcassandra;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;

/**
 * Main class of the forked Cassandra JVM. The parent keeps this process's standard input open as a
 * pipe; when the parent dies for any reason (even SIGKILL) the pipe closes, the read sees end of
 * stream, and this JVM exits, so no orphaned Cassandra outlives the process that started it.
 */
public final class ParentWatchdog {

    static final String DAEMON_CLASS = "org.apache.cassandra.service.CassandraDaemon";

    private ParentWatchdog() {}

    public static void main(String[] args) throws Exception {
        Thread watcher = new Thread(ParentWatchdog::exitWhenParentGone, "parent-watchdog");
        watcher.setDaemon(true);
        watcher.start();
        Method main = Class.forName(DAEMON_CLASS).getMethod("main", String[].class);
        main.invoke(null, (Object) args);
    }

    private static void exitWhenParentGone() {
        InputStream in = System.in;
        byte[] buffer = new byte[64];
        try {
            while (in.read(buffer) >= 0) {
                // the parent never writes; anything it sends is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as end of stream: the parent is gone
        }
        System.err.println("parent process gone: stopping Cassandra");
        // exit runs Cassandra's shutdown hooks (drain, flush) before the JVM ends
        System.exit(0);
    }
}
