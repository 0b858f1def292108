package dev.codexledger.localcassandra;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The process behind {@code bin/ledger cassandra start}: starts a local ring and holds it — each node's
 * parent, keeping the pipes their watchdogs watch — until it gets SIGTERM, then stops every node
 * (SIGTERM each) and exits. Run in the background, it lets the ring outlive the command that started it;
 * killed outright, its nodes notice their closed pipes and shut down too, so no node is ever orphaned.
 *
 * <p>Writes into the ring's folder: {@code node<N>.pid} for each node, then {@code contact-points} once
 * every node sees every node up and normal (the command waits for that file).
 *
 * <p>Arguments: {@code <ring folder> <nodes> <runtime lib> <heap MB> <commit log sync>}.
 */
public final class RingSupervisor {

    static final String CONTACT_POINTS_FILE = "contact-points";

    private RingSupervisor() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: RingSupervisor <ring folder> <nodes> <runtime lib> <heap MB> <commit log sync>");
            System.exit(2);
        }
        Path ringDir = Path.of(args[0]).toAbsolutePath();
        LocalCassandra.Settings settings = LocalCassandraRing.defaults(Path.of(args[2]), ringDir)
                .withHeapMb(Integer.parseInt(args[3]))
                .withCommitLog(CommitLogSync.parse(args[4]))
                .withStartTimeout(Duration.ofMinutes(5));
        Files.deleteIfExists(ringDir.resolve(CONTACT_POINTS_FILE));
        LocalCassandraRing ring = LocalCassandraRing.start(settings, Integer.parseInt(args[1]));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping the ring: " + ring);
            ring.close();
        }, "stop-ring"));
        for (LocalCassandraRing.Node node : ring.nodes()) {
            Files.writeString(ringDir.resolve("node" + node.number() + ".pid"), node.pid() + "\n",
                    StandardCharsets.UTF_8);
        }
        Files.writeString(ringDir.resolve(CONTACT_POINTS_FILE), ring.contactPointsString() + "\n",
                StandardCharsets.UTF_8);
        System.out.println("ring up: " + ring);
        System.out.println("LEDGER_CASSANDRA_CONTACT_POINTS=" + ring.contactPointsString());
        System.out.flush();
        Thread.currentThread().join(); // until SIGTERM runs the hook above
    }
}
