package dev.codexledger.localcassandra;

import java.nio.file.Path;

/** The configuration files of a local Cassandra node, alone or as a member of a local ring. */
final class CassandraYaml {

    /** A ring's name: a single node (another cluster name) can never join one by mistake. */
    static final String RING_CLUSTER_NAME = "codex-ledger-ring";

    private CassandraYaml() {}

    static String render(CassandraPorts ports, int heapMb, CommitLogSync commitLog, Membership membership) {
        // memtables bounded to a quarter of the heap: unbounded memtables ran a 1 GB node out of heap
        int memtableMb = Math.max(64, heapMb / 4);
        return """
                cluster_name: %s
                num_tokens: %d
                partitioner: org.apache.cassandra.dht.Murmur3Partitioner
                endpoint_snitch: SimpleSnitch
                %s\
                # max mutation size is half a segment: 32 MiB, room for the ledger's largest journal rows
                commitlog_segment_size: 64MiB
                seed_provider:
                  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
                    parameters:
                      - seeds: "%s"
                listen_address: 127.0.0.1
                rpc_address: 127.0.0.1
                storage_port: %d
                native_transport_port: %d
                start_native_transport: true
                memtable_heap_space: %dMiB
                memtable_offheap_space: %dMiB
                concurrent_compactors: 1
                authenticator: AllowAllAuthenticator
                authorizer: AllowAllAuthorizer
                %s""".formatted(clusterName(membership), TOKENS_PER_NODE, commitLog.yaml(), seeds(ports, membership),
                ports.storagePort(), ports.nativePort(), memtableMb, memtableMb, ringKeys(membership));
    }

    private static String clusterName(Membership membership) {
        return membership instanceof Membership.RingMember ? RING_CLUSTER_NAME : "codex-ledger-local";
    }

    private static String seeds(CassandraPorts ports, Membership membership) {
        return membership instanceof Membership.RingMember member
                ? member.seeds()
                : "127.0.0.1:" + ports.storagePort();
    }

    /**
     * Members of a ring that is started all at once: no bootstrap (nothing to stream yet), and table ids
     * derived from the table's name, so ledger nodes starting together and each creating the same tables
     * through different members agree on them (random ids would give one table two ids and the schema two
     * versions). The ledger never drops and re-creates a table, the case where a derived id could bring old
     * data back.
     *
     * <p>Tokens are given, not allocated: the ring's 16·size tokens are evenly spaced and dealt out in turn,
     * so each node owns 1/size of the ring. With {@code allocate_tokens_for_local_replication_factor}, two
     * members starting at the same moment, each seeing only the seed, once computed the very same tokens
     * (a CI run's driver: "Multiple entries with same key: Murmur3Token(…)"), and the ring was broken.
     */
    private static String ringKeys(Membership membership) {
        return membership instanceof Membership.RingMember member
                ? "auto_bootstrap: false\ninitial_token: " + initialTokens(member.index(), member.size()) + "\n"
                        + "use_deterministic_table_id: true\n"
                : "";
    }

    static final int TOKENS_PER_NODE = 16;

    /** Node {@code index}'s tokens of a ring of {@code size}: every size-th of 16·size evenly spaced Murmur3 tokens. */
    static String initialTokens(int index, int size) {
        java.math.BigInteger span = java.math.BigInteger.ONE.shiftLeft(64);
        java.math.BigInteger min = java.math.BigInteger.ONE.shiftLeft(63).negate();
        int total = TOKENS_PER_NODE * size;
        java.util.List<String> tokens = new java.util.ArrayList<>();
        for (int j = 0; j < TOKENS_PER_NODE; j++) {
            int position = j * size + index;
            tokens.add(min.add(span.multiply(java.math.BigInteger.valueOf(position))
                    .divide(java.math.BigInteger.valueOf(total))).toString());
        }
        return String.join(",", tokens);
    }

    static String logback(Path logDir) {
        return """
                <configuration>
                  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
                    <file>%1$s/system.log</file>
                    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
                      <fileNamePattern>%1$s/system.log.%%i.zip</fileNamePattern>
                      <minIndex>1</minIndex>
                      <maxIndex>5</maxIndex>
                    </rollingPolicy>
                    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
                      <maxFileSize>20MB</maxFileSize>
                    </triggeringPolicy>
                    <encoder><pattern>%%-5level [%%thread] %%date{ISO8601} %%F:%%L - %%msg%%n</pattern></encoder>
                  </appender>
                  <root level="INFO"><appender-ref ref="FILE"/></root>
                  <logger name="org.apache.cassandra" level="INFO"/>
                </configuration>
                """.formatted(logDir);
    }
}
