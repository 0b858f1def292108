package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.testing.TwoNodes;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A key's limit held across two real nodes (sharding, Protobuf over Artery): both nodes asked flat out
 * for two seconds admit together no more than one bucket of the limit would, and each gets a part.
 */
class RateLimitsAcrossNodesTest {

    private static final RateLimits.Limit LIMIT = new RateLimits.Limit(200, 100);
    private static TwoNodes nodes;

    @BeforeAll
    static void start() {
        nodes = TwoNodes.start("rate-limits-across");
        for (var kit : List.of(nodes.host(), nodes.client())) {
            ClusterSharding.get(kit.system()).init(Entity.of(KeyRateLimiter.ENTITY_TYPE_KEY,
                    entity -> KeyRateLimiter.create(System::nanoTime)).withRole(TwoNodes.HOST_ROLE));
        }
    }

    @AfterAll
    static void stop() {
        nodes.close();
    }

    private static ClusterRateLimits limitsOf(org.apache.pekko.actor.typed.ActorSystem<?> system) {
        Map<Scope, RateLimits.Limit> all = new EnumMap<>(Scope.class);
        for (Scope scope : Scope.values()) {
            all.put(scope, LIMIT);
        }
        return new ClusterRateLimits(new RateLimits(all, System::nanoTime),
                ClusterRateLimits.sharded(system, Duration.ofSeconds(5)), System::nanoTime, Duration.ofSeconds(1),
                Duration.ofSeconds(10));
    }

    @Test
    void twoNodesAskedFlatOutAdmitTogetherNoMoreThanTheLimit() throws Exception {
        List<ClusterRateLimits> perNode = List.of(limitsOf(nodes.host().system()), limitsOf(nodes.client().system()));
        // the bucket's node and the sharding route are warmed up first, outside the measured run
        perNode.get(1).acquire("warm-up", Scope.INGEST).toCompletableFuture().get(20, TimeUnit.SECONDS);
        long start = System.nanoTime();
        long[] admitted = new long[2];
        List<CompletableFuture<Void>> runs = List.of(0, 1).stream().map(n -> CompletableFuture.runAsync(() -> {
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2)) {
                if (perNode.get(n).acquire("key", Scope.INGEST).toCompletableFuture().join().allowed()) {
                    admitted[n]++;
                }
            }
        })).toList();
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        long total = admitted[0] + admitted[1];
        double ceiling = LIMIT.burst() + LIMIT.perSecond() * seconds;
        String counts = "host " + admitted[0] + ", client " + admitted[1] + " in " + seconds + " s";
        assertTrue(total <= ceiling, counts + ": more than the limit's " + ceiling);
        assertTrue(total >= 0.5 * ceiling, counts + ": far under the limit's " + ceiling);
        assertTrue(admitted[0] > 0.1 * total && admitted[1] > 0.1 * total, counts + ": each node gets a part");
    }
}
