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
                new Membership.RingMember("127.0.0.1:7100"));
        assertTrue(yaml.contains("cluster_name: codex-ledger-ring\n"), yaml);
        assertTrue(yaml.contains("- seeds: \"127.0.0.1:7100\"\n"), yaml);
        assertTrue(yaml.contains("storage_port: 7000\nnative_transport_port: 9042\n"), yaml);
        assertTrue(yaml.contains("commitlog_sync: periodic\ncommitlog_sync_period: 10000ms\n"), yaml);
        assertTrue(yaml.endsWith("auto_bootstrap: false\nallocate_tokens_for_local_replication_factor: 3\n"
                + "use_deterministic_table_id: true\n"), yaml);
    }
}
