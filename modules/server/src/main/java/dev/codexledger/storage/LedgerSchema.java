package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.metadata.Metadata;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's own tables. The journal and snapshot tables are created by the Pekko persistence plugin
 * in the same keyspace. Rows carry their TTL explicitly (USING TTL); the table default is the backstop.
 */
public final class LedgerSchema {

    /** Longer than a query: a schema change waits for every Cassandra node to apply it. */
    private static final Duration DDL_TIMEOUT = Duration.ofSeconds(60);
    private static final int DDL_ATTEMPTS = 6;
    private static final Logger LOG = LoggerFactory.getLogger(LedgerSchema.class);

    private LedgerSchema() {}

    /**
     * One idempotent schema statement ({@code IF NOT EXISTS}), then a wait until every Cassandra node
     * has the same schema. Nodes of a cluster starting together all run this: a statement that timed out,
     * or that names a table this coordinator has not learned of yet (created through another one a moment
     * ago), is tried again once the schema agrees.
     */
    private static void ddl(CqlSession session, String cql) {
        if (alreadyApplied(session.getMetadata(), cql)) {
            return;
        }
        SimpleStatement statement = SimpleStatement.newInstance(cql).setTimeout(DDL_TIMEOUT).setIdempotent(true);
        for (int attempt = 1; ; attempt++) {
            try {
                if (!session.execute(statement).getExecutionInfo().isSchemaInAgreement()) {
                    awaitAgreement(session);
                }
                return;
            } catch (DriverTimeoutException | InvalidQueryException e) {
                boolean notYetPropagated = e instanceof DriverTimeoutException
                        || String.valueOf(e.getMessage()).contains("doesn't exist")
                        || String.valueOf(e.getMessage()).contains("unconfigured table");
                if (!notYetPropagated || attempt == DDL_ATTEMPTS) {
                    throw e;
                }
                LOG.info("schema change not applied yet ({}), trying again: {}", e.getMessage(),
                        cql.strip().lines().findFirst().orElse(cql));
                awaitAgreement(session);
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static final java.util.regex.Pattern CREATE_KEYSPACE = java.util.regex.Pattern.compile(
            "^\\s*CREATE KEYSPACE IF NOT EXISTS (\\w+)\\b");
    private static final java.util.regex.Pattern CREATE_TABLE = java.util.regex.Pattern.compile(
            "^\\s*CREATE TABLE IF NOT EXISTS (\\w+)\\.(\\w+)\\b");
    private static final java.util.regex.Pattern ADD_COLUMN = java.util.regex.Pattern.compile(
            "^\\s*ALTER TABLE (\\w+)\\.(\\w+) ADD IF NOT EXISTS (\\w+)\\b");

    /**
     * True when the driver's schema metadata already shows what an {@code IF NOT EXISTS} statement would
     * create. A restarting node then sends no schema statement at all: each one waits for every Cassandra
     * node to agree, which on a loaded ring took most of a minute per start. Metadata that lags only means
     * the statement is sent, as before.
     */
    static boolean alreadyApplied(Metadata metadata, String cql) {
        java.util.regex.Matcher keyspace = CREATE_KEYSPACE.matcher(cql);
        if (keyspace.find()) {
            return metadata.getKeyspace(keyspace.group(1)).isPresent();
        }
        java.util.regex.Matcher table = CREATE_TABLE.matcher(cql);
        if (table.find()) {
            return metadata.getKeyspace(table.group(1)).flatMap(k -> k.getTable(table.group(2))).isPresent();
        }
        java.util.regex.Matcher column = ADD_COLUMN.matcher(cql);
        if (column.find()) {
            return metadata.getKeyspace(column.group(1)).flatMap(k -> k.getTable(column.group(2)))
                    .flatMap(t -> t.getColumn(column.group(3))).isPresent();
        }
        return false;
    }

    private static void awaitAgreement(CqlSession session) {
        long deadline = System.nanoTime() + DDL_TIMEOUT.toNanos();
        while (!session.checkSchemaAgreement()) {
            if (System.nanoTime() - deadline > 0) {
                LOG.warn("the Cassandra nodes still disagree on the schema after {}", DDL_TIMEOUT);
                return;
            }
            try {
                Thread.sleep(200); // each check reads every node's schema version: not in a tight loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public static void create(CqlSession session, CassandraSettings settings, Duration defaultTtl) {
        String ks = settings.keyspace();
        long ttl = defaultTtl.toSeconds();
        ddl(session, "CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + settings.replication());
        // One partition per workspace and hour of acceptance: rows of an hour expire together, which is
        // what TWCS compacts best, and the partition stays bounded however long a workspace lives.
        ddl(session, """
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
        // The writer fence (CassandraWriterFence): which incarnation of a workspace's ledger may write,
        // and through which seq it has acknowledged. Changed only by lightweight transactions; no TTL.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.ledger_writers (
                  workspace text PRIMARY KEY, epoch bigint, last_seq bigint, last_hash blob,
                  writer text, claimed_at timestamp)
                """.formatted(ks));
        // The same fence for each workspace's budgets (WorkspaceBudget, FencedReplies): its answers wait for it.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.budget_writers (
                  workspace text PRIMARY KEY, epoch bigint, last_seq bigint, last_hash blob,
                  writer text, claimed_at timestamp)
                """.formatted(ks));
        // Each workspace's Merkle tree as tiles (MerkleTiles, C2SP tlog-tiles layout): one partition per tile,
        // one 32-byte hash per entry, no TTL (proofs of held and young records need expired neighbours' hashes).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.merkle_tiles (
                  workspace text, level int, tile bigint, position int, hash blob,
                  PRIMARY KEY ((workspace, level, tile), position))
                """.formatted(ks));
        // The keys that sign checkpoints (CheckpointKeys): the row 'current' says which one signs now, taken by
        // a lightweight transaction at first start; one row per key ever used, so old public keys stay published.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.checkpoint_keys (
                  origin text, key_id text, verifier_key text, signer_key text, created_at timestamp,
                  retired_at timestamp,
                  PRIMARY KEY ((origin), key_id))
                """.formatted(ks));
        // Each workspace's signed checkpoints (Checkpoints), newest first; kept without TTL like the tiles.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.checkpoints (
                  workspace text, size bigint, root blob, note text, key_id text, signed_at timestamp,
                  PRIMARY KEY ((workspace), size))
                  WITH CLUSTERING ORDER BY (size DESC)
                """.formatted(ks));
        // Server-side verifications of a workspace's log (LogVerifications): progress and result.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.log_verifications (
                  workspace text, id text, state text, checked bigint, total bigint, valid boolean,
                  first_wrong_seq bigint, reason text, requested_by text, requested_at timestamp,
                  finished_at timestamp, updated_at timestamp,
                  PRIMARY KEY ((workspace), id))
                """.formatted(ks));
        // Who runs each background job (hold copying, erasure) in a cluster (JobLeases): taken by a
        // lightweight transaction, kept by renewing it, expiring by TTL when its node dies.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.job_leases (
                  kind text, job text, runner text, taken_at timestamp,
                  PRIMARY KEY ((kind, job)))
                """.formatted(ks));
        // Reads of ids older than a ledger's in-memory window. Ids are spread over a fixed number of
        // partitions per workspace (RecordStore.ID_BUCKETS) so a batch's ids go in a few unlogged batches
        // instead of one write each, and a lookup is one read per partition.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.record_id_index (
                  workspace text, id_bucket int, event_id text, seq bigint, content_hash blob,
                  PRIMARY KEY ((workspace, id_bucket), event_id))
                WITH default_time_to_live = %d
                """.formatted(ks, ttl));
        // Compliance log files: per workspace and event type, the ingestion windows that hold records and
        // the sequence ranges of the batches in them (one row per batch and event type).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.compliance_windows (
                  workspace text, event_type text, window_start bigint, first_seq bigint,
                  window_millis bigint, last_seq bigint, records int,
                  PRIMARY KEY ((workspace, event_type), window_start, first_seq))
                WITH CLUSTERING ORDER BY (window_start ASC, first_seq ASC)
                AND default_time_to_live = %d
                """.formatted(ks, ttl));
        // Legal holds (criteria as in a search; applied_at: when the stored records it matches had all been
        // copied), and copies without TTL of the records they keep (same columns as records; expires_at is
        // when the original expires, so a released copy can expire then). Copies are partitioned like the
        // records, by workspace and hour of acceptance; held_buckets lists the hours that have copies.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.legal_holds (
                  workspace text, id text, name text, users set<text>, event_types set<text>,
                  conversation_id text, from_micros bigint, to_micros bigint,
                  model text, surface text, tool_name text, decision text, terms list<text>,
                  created_at timestamp, created_by text, applied_at timestamp,
                  released_at timestamp, released_by text, held bigint,
                  PRIMARY KEY ((workspace), id))
                """.formatted(ks));
        for (String column : new String[] {"model text", "surface text", "tool_name text", "decision text",
                "terms list<text>", "applied_at timestamp"}) {
            ddl(session, "ALTER TABLE " + ks + ".legal_holds ADD IF NOT EXISTS " + column);
        }
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.held_copies (
                  workspace text, bucket bigint, seq bigint,
                  event_id text, event_type text, ts_micros bigint, user_id text,
                  content text, content_hash blob, chain_hash blob, accepted_at timestamp,
                  hold_ids set<text>, expires_at timestamp, window_start bigint, window_millis bigint,
                  PRIMARY KEY ((workspace, bucket), seq))
                """.formatted(ks));
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.held_buckets (
                  workspace text, bucket bigint,
                  PRIMARY KEY ((workspace), bucket))
                """.formatted(ks));
        // The compliance log-file windows of held copies, so a file stays listed (with its held records)
        // after the window's own rows expired.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.held_windows (
                  workspace text, event_type text, window_start bigint, seq bigint, window_millis bigint,
                  PRIMARY KEY ((workspace, event_type), window_start, seq))
                WITH CLUSTERING ORDER BY (window_start ASC, seq ASC)
                """.formatted(ks));
        migrateHeldRecords(session, ks);
        // Prices of models, each change effective from its time on (defaults come from config).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.model_prices (
                  model text, effective_from bigint, input decimal, cached_input decimal, output decimal,
                  reasoning decimal, set_by text, set_at timestamp,
                  PRIMARY KEY ((model), effective_from))
                """.formatted(ks));
        // Erasure jobs: requested over the API, run in the background, resumed after a restart.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.erasures (
                  workspace text, id text, criterion text, criterion_value text, criterion_sha256 text,
                  requested_by text, requested_by_name text, requested_at timestamp, state text,
                  erased bigint, held bigint, erased_seqs list<bigint>, held_seqs list<bigint>,
                  finished_at timestamp, error text,
                  PRIMARY KEY ((workspace), id))
                """.formatted(ks));
        // Which hour buckets of a workspace hold rows (one row per bucket and day its rows expire, living
        // until the end of that day), so a scan never walks empty hours.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.record_hours (
                  workspace text, bucket bigint, expires_day bigint,
                  PRIMARY KEY ((workspace), bucket, expires_day))
                WITH CLUSTERING ORDER BY (bucket ASC, expires_day ASC)
                """.formatted(ks));
        // Analytics, maintained as batches are written (see dev.codexledger.analytics): one row per
        // (day, user, surface, model) with absolute totals — one frozen list, in the order of the Metric
        // enum, so a row is two cells however many metrics — and the last ledger seq counted into it.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.analytics_rows (
                  workspace text, month text, day date, user_id text, surface text, model text,
                  through_seq bigint, counts frozen<list<bigint>>,
                  PRIMARY KEY ((workspace, month), day, user_id, surface, model))
                """.formatted(ks));
        // Threads: every conversation a workspace's analytics have counted, with the day it started
        // (a thread counts once, on the row of its first record). Rows expire after the analytics' look-back.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.analytics_threads (
                  workspace text, conversation_id text, first_day date,
                  PRIMARY KEY ((workspace, conversation_id)))
                """.formatted(ks));
        // How far a workspace's analytics have counted: every record up to through_seq.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.analytics_progress (
                  workspace text PRIMARY KEY, through_seq bigint, accepted_at_micros bigint)
                """.formatted(ks));
        // API keys: a secret is stored only as its SHA-256 (see dev.codexledger.auth.ApiKeys).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.access_keys (
                  id text PRIMARY KEY, name text, workspace text, scopes set<text>, secret_hash blob,
                  created_at timestamp, created_by text, expires_at timestamp, revoked_at timestamp)
                """.formatted(ks));
        // Managed-configuration policies: every version of a workspace's policy document (requirement sets,
        // groups, rules), newest first; a version applies from its set_at on. Written with IF NOT EXISTS, so
        // two admins changing the same version at once cannot both win.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.policy_versions (
                  workspace text, version bigint, document text, change text, set_by text, set_at timestamp,
                  PRIMARY KEY ((workspace), version))
                  WITH CLUSTERING ORDER BY (version DESC)
                """.formatted(ks));
        // The policy judge's verdict per Codex session, by the day (UTC) of its start: what the compliance
        // analytics count (share of sessions compliant per day and policy group). Rewritten with the same
        // values when a session is judged again; TTL the workspace's retention.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.policy_sessions (
                  workspace text, day date, session text, verdict text, policy_group text, requirement_set text,
                  policy_version bigint,
                  PRIMARY KEY ((workspace, day), session))
                """.formatted(ks));
        // How far the policy judge has judged each workspace's records (it reads back a range it missed).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.policy_progress (workspace text PRIMARY KEY, through_seq bigint)
                """.formatted(ks));
        // People signed in with single sign-on (auth.SsoSessions): the SHA-256 of the cookie's value only.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.sso_sessions (
                  id_hash text PRIMARY KEY, subject text, name text, groups list<text>, created_at timestamp,
                  expires_at timestamp, ended_at timestamp)
                """.formatted(ks));
        // Stream destinations (streams.StreamStore): where the audit trail is pushed; secrets only sealed.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.stream_destinations (
                  id text PRIMARY KEY, name text, workspace text, kind text, config text, filters text, start text,
                  paused boolean, batch_size int, warn_before_seconds bigint, hold_undelivered boolean,
                  created_at timestamp, created_by text, updated_at timestamp)
                """.formatted(ks));
        // Per destination and workspace: the last seq the destination acknowledged (advanced only after it
        // did), the head the lane knew, counts and the last error (streams.StreamLane, the only writer).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.stream_cursors (
                  destination text, workspace text, delivered_seq bigint, delivered_accepted_at timestamp,
                  head_seq bigint, delivered bigint, failed bigint, skipped bigint, last_error text,
                  last_error_at timestamp, pending_since timestamp, last_delivered_at timestamp, warned_for text,
                  updated_at timestamp, PRIMARY KEY (destination, workspace))
                """.formatted(ks));
        // Retention per workspace, where an admin set one (the others have the configured default).
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.workspace_retention (
                  workspace text PRIMARY KEY, ttl_seconds bigint, updated_at timestamp, updated_by text)
                """.formatted(ks));
        // The same before record_hours (one row per bucket): still read, no longer written.
        ddl(session, """
                CREATE TABLE IF NOT EXISTS %s.record_buckets (
                  workspace text, bucket bigint,
                  PRIMARY KEY ((workspace), bucket))
                WITH CLUSTERING ORDER BY (bucket ASC)
                AND default_time_to_live = %d
                """.formatted(ks, ttl));
        // Statements skipped because this driver already saw their objects (alreadyApplied) did not wait
        // for the other Cassandra nodes: wait once, so nothing is prepared against a node that lags.
        awaitAgreement(session);
    }

    /**
     * Builds before held_copies kept the copies in one partition per workspace ({@code held_records}):
     * copy them over, then drop the old table (a crash in between copies again: the writes are idempotent).
     */
    private static void migrateHeldRecords(CqlSession session, String ks) {
        boolean exists = session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?"
                + " AND table_name = 'held_records'", ks).one() != null;
        if (!exists) {
            return;
        }
        var insert = session.prepare("INSERT INTO " + ks + ".held_copies (workspace, bucket, seq, event_id,"
                + " event_type, ts_micros, user_id, content, content_hash, chain_hash, accepted_at, hold_ids,"
                + " expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
        for (var row : session.execute("SELECT * FROM " + ks + ".held_records")) {
            session.execute(insert.bind(row.getString("workspace"), row.getLong("bucket"), row.getLong("seq"),
                    row.getString("event_id"), row.getString("event_type"), row.getLong("ts_micros"),
                    row.getString("user_id"), row.getString("content"), row.getByteBuffer("content_hash"),
                    row.getByteBuffer("chain_hash"), row.getInstant("accepted_at"),
                    row.getSet("hold_ids", String.class), row.getInstant("expires_at")));
        }
        ddl(session, "DROP TABLE " + ks + ".held_records");
    }
}
