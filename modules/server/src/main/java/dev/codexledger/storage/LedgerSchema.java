package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import java.time.Duration;

/**
 * The ledger's own tables. The journal and snapshot tables are created by the Pekko persistence plugin
 * in the same keyspace. Rows carry their TTL explicitly (USING TTL); the table default is the backstop.
 */
public final class LedgerSchema {

    private LedgerSchema() {}

    public static void create(CqlSession session, CassandraSettings settings, Duration defaultTtl) {
        String ks = settings.keyspace();
        long ttl = defaultTtl.toSeconds();
        session.execute("CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + settings.replication());
        // One partition per workspace and hour of acceptance: rows of an hour expire together, which is
        // what TWCS compacts best, and the partition stays bounded however long a workspace lives.
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.records (
                  workspace text, bucket bigint, seq bigint,
                  event_id text, event_type text, ts_micros bigint, user_id text,
                  content text, content_hash blob, chain_hash blob, accepted_at timestamp,
                  PRIMARY KEY ((workspace, bucket), seq))
                WITH CLUSTERING ORDER BY (seq ASC)
                AND default_time_to_live = %d
                AND compaction = {'class': 'TimeWindowCompactionStrategy',
                                  'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}
                """.formatted(ks, ttl));
        // Reads of ids older than a ledger's in-memory window. Ids are spread over a fixed number of
        // partitions per workspace (RecordTable.ID_BUCKETS) so a batch's ids go in a few unlogged batches
        // instead of one write each, and a lookup is one read per partition.
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.record_id_index (
                  workspace text, id_bucket int, event_id text, seq bigint, content_hash blob,
                  PRIMARY KEY ((workspace, id_bucket), event_id))
                WITH default_time_to_live = %d
                """.formatted(ks, ttl));
        // Compliance log files: per workspace and event type, the ingestion windows that hold records and
        // the sequence ranges of the batches in them (one row per batch and event type).
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.compliance_windows (
                  workspace text, event_type text, window_start bigint, first_seq bigint,
                  window_millis bigint, last_seq bigint, records int,
                  PRIMARY KEY ((workspace, event_type), window_start, first_seq))
                WITH CLUSTERING ORDER BY (window_start ASC, first_seq ASC)
                AND default_time_to_live = %d
                """.formatted(ks, ttl));
        // Legal holds, and copies without TTL of the records they keep (same columns as records; expires_at
        // is when the original expires, so a released copy can expire then).
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.legal_holds (
                  workspace text, id text, name text, users set<text>, event_types set<text>,
                  conversation_id text, from_micros bigint, to_micros bigint,
                  created_at timestamp, created_by text, released_at timestamp, released_by text, held bigint,
                  PRIMARY KEY ((workspace), id))
                """.formatted(ks));
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.held_records (
                  workspace text, bucket bigint, seq bigint,
                  event_id text, event_type text, ts_micros bigint, user_id text,
                  content text, content_hash blob, chain_hash blob, accepted_at timestamp,
                  hold_ids set<text>, expires_at timestamp,
                  PRIMARY KEY ((workspace), bucket, seq))
                """.formatted(ks));
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.held_buckets (
                  workspace text, bucket bigint,
                  PRIMARY KEY ((workspace), bucket))
                """.formatted(ks));
        // Which hour buckets of a workspace hold rows (one row per bucket and day its rows expire, living
        // until the end of that day), so a scan never walks empty hours.
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.record_hours (
                  workspace text, bucket bigint, expires_day bigint,
                  PRIMARY KEY ((workspace), bucket, expires_day))
                WITH CLUSTERING ORDER BY (bucket ASC, expires_day ASC)
                """.formatted(ks));
        // The same before record_hours (one row per bucket): still read, no longer written.
        session.execute("""
                CREATE TABLE IF NOT EXISTS %s.record_buckets (
                  workspace text, bucket bigint,
                  PRIMARY KEY ((workspace), bucket))
                WITH CLUSTERING ORDER BY (bucket ASC)
                AND default_time_to_live = %d
                """.formatted(ks, ttl));
    }
}
