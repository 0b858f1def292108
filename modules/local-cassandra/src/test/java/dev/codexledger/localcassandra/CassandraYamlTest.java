package dev.codexledger.localcassandra;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CassandraYamlTest {

    private static final CassandraPorts PORTS = new CassandraPorts(9042, 7000, 7199);

    @Test
    void aSingleNodeIsItsOwnSeedInAClusterOfItsOwn() {
        String yaml = CassandraYaml.render(new CassandraPorts(9042, 7000, 0), 2048, CommitLogSync.group(),
                new Membership.Alone());
        assertTrue(yaml.contains("cluster_name: codex-ledger-local\n"), yaml);
        assertTrue(yaml.contains("- seeds: \"127.0.0.1:7000\"\n"), yaml);
        assertTrue(yaml.contains("\ncommitlog_sync: group\ncommitlog_sync_group_window: 15ms\n# max mutation"), yaml);
        assertTrue(yaml.contains("memtable_heap_space: 512MiB\n"), yaml);
        assertFalse(yaml.contains("auto_bootstrap"), yaml);
    }

    @Test
    void aRingMemberJoinsThroughItsSeedWithoutBootstrap() {
        String yaml = CassandraYaml.render(PORTS, 768, CommitLogSync.periodic(),
                new Membership.RingMember("127.0.0.1:7100", 1, 3));
        assertTrue(yaml.contains("cluster_name: codex-ledger-ring\n"), yaml);
        assertTrue(yaml.contains("- seeds: \"127.0.0.1:7100\"\n"), yaml);
        assertTrue(yaml.contains("storage_port: 7000\nnative_transport_port: 9042\n"), yaml);
        assertTrue(yaml.contains("commitlog_sync: periodic\ncommitlog_sync_period: 10000ms\n"), yaml);
        assertTrue(yaml.endsWith("auto_bootstrap: false\ninitial_token: " + CassandraYaml.initialTokens(1, 3) + "\n"
                + "use_deterministic_table_id: true\n"), yaml);
        assertTrue(yaml.contains("num_tokens: 16\n"), yaml);
    }

    /** Members started at once never share a token: the ring's 48 tokens are distinct, evenly spaced, dealt in turn. */
    @Test
    void theMembersOfARingGetDistinctEvenlySpacedTokens() {
        java.util.List<java.math.BigInteger> all = new java.util.ArrayList<>();
        for (int node = 0; node < 3; node++) {
            String[] tokens = CassandraYaml.initialTokens(node, 3).split(",");
            org.junit.jupiter.api.Assertions.assertEquals(16, tokens.length);
            for (String token : tokens) {
                all.add(new java.math.BigInteger(token));
            }
        }
        all.sort(null);
        org.junit.jupiter.api.Assertions.assertEquals(48, all.stream().distinct().count());
        org.junit.jupiter.api.Assertions.assertEquals(java.math.BigInteger.ONE.shiftLeft(63).negate(), all.get(0));
        java.math.BigInteger step = all.get(1).subtract(all.get(0));
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i).subtract(all.get(i - 1)).subtract(step).abs().compareTo(java.math.BigInteger.ONE) <= 0,
                    "evenly spaced (to a unit of rounding)");
        }
        assertTrue(all.get(47).compareTo(java.math.BigInteger.ONE.shiftLeft(63)) < 0, "within the Murmur3 range");
        assertTrue(CassandraYaml.initialTokens(0, 3).startsWith("-9223372036854775808,"));
    }
}
