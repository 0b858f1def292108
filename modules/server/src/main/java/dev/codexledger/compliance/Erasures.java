package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.ErasedContent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Erases a user's records, or one conversation's, in a workspace: each matching row keeps its sequence
 * number, chain hash, event id and type and the hash of its content, and its content is replaced by an
 * erasure marker (so the chain stays verifiable: the next record still links to the kept hash, and the
 * content hash proves what was there to anyone holding a copy). Rows keep their remaining TTL.
 * Blocking: scans the workspace's records (run by {@link ErasureJobs}).
 */
final class Erasures {

    /** What to erase: records of a user id, or of a conversation id. */
    record Criteria(String field, String value) {}

    /**
     * The outcome: how many records were erased and how many matched but are kept by a legal hold, with
     * the first {@code listed} seqs of each (memory stays bounded however many match).
     */
    record Result(long erased, long held, List<Long> erasedSeqs, List<Long> heldSeqs) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CqlSession session;
    private final PreparedStatement scan;
    private final PreparedStatement erase;

    private final dev.codexledger.records.RecordStore store;
    private final HeldCopies heldCopies;

    Erasures(CqlSession session, String keyspace, dev.codexledger.records.RecordStore store, HeldCopies held) {
        this.session = session;
        this.store = store;
        this.heldCopies = held;
        this.scan = session.prepare("SELECT seq, event_id, event_type, user_id, content, content_hash, TTL(content)"
                + " AS ttl FROM " + keyspace + ".records WHERE workspace = ? AND bucket = ?");
        this.erase = session.prepare("UPDATE " + keyspace + ".records USING TTL ? SET content = ?, user_id = null"
                + " WHERE workspace = ? AND bucket = ? AND seq = ?");
    }

    Result erase(String workspace, Criteria criteria, Instant now, int listed) {
        long erased = 0;
        long held = 0;
        List<Long> erasedSeqs = new ArrayList<>();
        List<Long> heldSeqs = new ArrayList<>();
        java.util.Set<Long> keptByHolds = heldCopies.heldSeqs(workspace);
        for (long bucket : store.bucketsOf(workspace, Long.MIN_VALUE)) {
            for (Row row : session.execute(scan.bind(workspace, bucket).setPageSize(1000))) {
                JsonNode content = parse(row.getString("content"));
                if (content.path("erased").asBoolean(false) || !matches(row, content, criteria)) {
                    continue;
                }
                if (keptByHolds.contains(row.getLong("seq"))) {
                    held++;
                    if (heldSeqs.size() < listed) {
                        heldSeqs.add(row.getLong("seq"));
                    }
                    continue;
                }
                Integer ttl = row.isNull("ttl") ? null : row.getInt("ttl");
                String marker = marker(row, now);
                session.execute(erase.bind(ttl == null ? 0 : ttl, marker, workspace, bucket, row.getLong("seq")));
                erased++;
                if (erasedSeqs.size() < listed) {
                    erasedSeqs.add(row.getLong("seq"));
                }
            }
        }
        return new Result(erased, held, erasedSeqs, heldSeqs);
    }

    private static boolean matches(Row row, JsonNode content, Criteria criteria) {
        return criteria.field().equals("user_id")
                ? criteria.value().equals(row.getString("user_id"))
                : criteria.value().equals(content.path("conversation_id").asText(null));
    }

    private static String marker(Row row, Instant now) {
        ByteBuffer hash = row.getByteBuffer("content_hash");
        byte[] bytes = new byte[hash.remaining()];
        hash.duplicate().get(bytes);
        byte[] leaf = dev.codexledger.verify.Merkle.leafHash(
                row.getString("content").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return ErasedContent.marker(Digest.of(bytes), leaf, row.getString("event_id"), row.getString("event_type"), now);
    }

    private static JsonNode parse(String content) {
        try {
            return JSON.readTree(content);
        } catch (IOException e) {
            throw new IllegalStateException("stored content is not JSON", e);
        }
    }
}
