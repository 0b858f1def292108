package dev.codexledger.localcassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommitLogSyncTest {

    @Test
    void modesWithAndWithoutAnInterval() {
        assertEquals(new CommitLogSync(CommitLogSync.Mode.PERIODIC, Duration.ofSeconds(10)), CommitLogSync.parse("periodic"));
        assertEquals(new CommitLogSync(CommitLogSync.Mode.PERIODIC, Duration.ofSeconds(2)), CommitLogSync.parse(" Periodic  2s "));
        assertEquals(new CommitLogSync(CommitLogSync.Mode.GROUP, Duration.ofMillis(15)), CommitLogSync.parse("group"));
        assertEquals(new CommitLogSync(CommitLogSync.Mode.GROUP, Duration.ofMillis(20)), CommitLogSync.parse("group 20ms"));
        assertEquals(CommitLogSync.Mode.BATCH, CommitLogSync.parse("batch").mode());
    }

    @Test
    void writtenBackAsParsed() {
        for (String value : new String[] {"periodic 10000ms", "group 15ms", "batch"}) {
            assertEquals(value, CommitLogSync.parse(value).toString());
        }
    }

    @Test
    void cassandraYamlLines() {
        assertEquals("commitlog_sync: periodic\ncommitlog_sync_period: 10000ms\n", CommitLogSync.periodic().yaml());
        assertEquals("commitlog_sync: group\ncommitlog_sync_group_window: 15ms\n", CommitLogSync.group().yaml());
        assertEquals("commitlog_sync: batch\n", CommitLogSync.batch().yaml());
    }

    @Test
    void refusesWhatCassandraWouldNot() {
        for (String value : new String[] {"", "fsync", "group 0ms", "group fast", "batch 2ms", "periodic 10s extra",
                "periodic 10m"}) {
            assertThrows(IllegalArgumentException.class, () -> CommitLogSync.parse(value), value);
        }
    }
}
