package dev.codexledger.load;

import java.io.IOException;
import java.io.InputStream;

/**
 * Main class of a ledger JVM forked by the cluster benchmark: runs {@code dev.codexledger.node.Main}, and
 * leaves when the benchmark's JVM is gone. The benchmark keeps this process's standard input open as a
 * pipe; when it dies for any reason (even SIGKILL) the pipe closes, the read sees end of stream, and the
 * node exits (its coordinated shutdown, then a halt if that hangs), so no ledger node outlives the run.
 */
public final class ForkedNodeMain {

    private ForkedNodeMain() {}

    public static void main(String[] args) throws Exception {
        Thread watcher = new Thread(ForkedNodeMain::exitWhenParentGone, "parent-watchdog");
        watcher.setDaemon(true);
        watcher.start();
        dev.codexledger.node.Main.main(args);
    }

    private static void exitWhenParentGone() {
        InputStream in = System.in;
        byte[] buffer = new byte[64];
        try {
            while (in.read(buffer) >= 0) {
                // the parent never writes
            }
        } catch (IOException e) {
            // a broken pipe means the same: the parent is gone
        }
        System.err.println("benchmark process gone: stopping this ledger node");
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException ignored) {
                // halting anyway
            }
            Runtime.getRuntime().halt(1);
        }, "halt-after-30s");
        halt.setDaemon(true);
        halt.start();
        System.exit(0);
    }
}
