package dev.codexledger.node;

import com.typesafe.config.ConfigFactory;

/** Runs a Ledger node until it is stopped (SIGTERM or Ctrl-C run a coordinated shutdown). */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        LedgerNode.commonPoolForAsyncCallbacks();
        LedgerNode.Running node;
        try {
            node = LedgerNode.start(
                    ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on").withFallback(ConfigFactory.load()));
        } catch (Exception e) {
            System.err.println("Codex Ledger could not start: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }
        System.out.println("Codex Ledger is up at " + node.baseUrl());
        node.generatedAdminKey().ifPresentOrElse(
                key -> System.out.println("Admin key (shown once, stored only as a hash): " + key),
                () -> System.out.println("Admin key: the one set in LEDGER_ADMIN_KEY or printed at first start"));
        System.out.flush();
    }
}
