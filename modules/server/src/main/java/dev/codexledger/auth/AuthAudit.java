package dev.codexledger.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AUTH_LOG} records: one per key operation, in the workspace of the key it changed (org-wide keys:
 * {@link #ORG_WORKSPACE}); and denied requests (401/403), in the workspace they tried to reach. Denials
 * are counted per (workspace, source address, key, status, reason, endpoint) and written once a second
 * as one record with the count, so a flood of bad requests costs a few records, never a record each;
 * past {@code maxDenialKinds} distinct kinds in a second, the rest are counted in one overflow record.
 */
public final class AuthAudit {

    /** Where records about org-wide keys and requests naming no valid workspace go. */
    public static final String ORG_WORKSPACE = dev.codexledger.workspace.WorkspaceId.ORG;
    private static final Logger LOG = LoggerFactory.getLogger(AuthAudit.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Stores records (as records API trees) in a workspace; completes once they are durable. */
    public interface Sink {
        CompletionStage<?> append(String workspace, List<ObjectNode> records);
    }

    /** Who asked, from where. {@code keyId} is "none" without a key, the claimed id for an unknown one. */
    public record Caller(String keyId, String keyName, String remoteAddress) {}

    private record DenialKind(String workspace, Caller caller, int status, String reason, String endpoint) {}

    /** Only touched inside the map's per-key compute/remove, so a count is never lost to a flush. */
    private static final class DenialCount {
        long count;
        final Instant firstSeen;

        DenialCount(Instant firstSeen) {
            this.firstSeen = firstSeen;
        }
    }

    private final Sink sink;
    private final Clock clock;
    private final int maxDenialKinds;
    private final Map<DenialKind, DenialCount> denials = new ConcurrentHashMap<>();
    private final AtomicLong overflow = new AtomicLong();

    public AuthAudit(Sink sink, Clock clock, int maxDenialKinds) {
        this.sink = sink;
        this.clock = clock;
        this.maxDenialKinds = maxDenialKinds;
    }

    public static String workspaceOf(ApiKey key) {
        return key.orgWide() ? ORG_WORKSPACE : key.workspace();
    }

    /** Records a key operation; completes when the record is durable. */
    public CompletionStage<?> keyOperation(String action, Caller actor, ApiKey target) {
        ObjectNode attributes = JSON.createObjectNode()
                .put("key_id", target.id())
                .put("key_name", target.name())
                .put("key_workspace", target.workspace())
                .put("actor_key_name", actor.keyName())
                .put("remote_address", actor.remoteAddress());
        attributes.putArray("key_scopes").addAll(target.scopes().stream()
                .map(s -> JSON.getNodeFactory().textNode(s.wireName())).toList());
        if (target.expiresAt() != null) {
            attributes.put("key_expires_at", target.expiresAt().toString());
        }
        return sink.append(workspaceOf(target), List.of(record(action, actor.keyId(), attributes)));
    }

    /** Records an admin action on a workspace (e.g. a retention change); completes when durable. */
    public CompletionStage<?> adminAction(String workspace, String action, Caller actor, ObjectNode attributes) {
        attributes.put("actor_key_name", actor.keyName()).put("remote_address", actor.remoteAddress());
        return sink.append(workspace, List.of(record(action, actor.keyId(), attributes)));
    }

    /**
     * Waits (on a blocking thread) for an audit record of a change that is already made; a record that
     * cannot be stored is logged as an error, and the change stands.
     */
    public static void await(CompletionStage<?> record, String what) {
        try {
            record.toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.error("{} done but its AUTH_LOG record could not be stored", what, e);
        }
    }

    /** Counts a denied request; written by the next {@link #flush()}. */
    public void denied(String workspace, Caller caller, int status, String reason, Endpoint endpoint) {
        DenialKind kind = new DenialKind(workspace, caller, status, reason, endpoint.toString());
        if (!denials.containsKey(kind) && denials.size() >= maxDenialKinds) {
            overflow.incrementAndGet();
            return;
        }
        denials.compute(kind, (k, count) -> {
            DenialCount counted = count == null ? new DenialCount(clock.instant()) : count;
            counted.count++;
            return counted;
        });
    }

    /** Writes the denials counted since the last flush. Called every second by the node. */
    public CompletionStage<Void> flush() {
        Map<String, List<ObjectNode>> byWorkspace = new HashMap<>();
        for (DenialKind kind : List.copyOf(denials.keySet())) {
            DenialCount count = denials.remove(kind);
            if (count == null) {
                continue;
            }
            ObjectNode attributes = JSON.createObjectNode()
                    .put("status", kind.status())
                    .put("reason", kind.reason())
                    .put("endpoint", kind.endpoint())
                    .put("requested_workspace", kind.workspace())
                    .put("remote_address", kind.caller().remoteAddress())
                    .put("count", count.count)
                    .put("first_seen", count.firstSeen.toString())
                    .put("last_seen", clock.instant().toString());
            if (kind.caller().keyName() != null) {
                attributes.put("actor_key_name", kind.caller().keyName());
            }
            byWorkspace.computeIfAbsent(kind.workspace(), w -> new ArrayList<>())
                    .add(record("request.denied", kind.caller().keyId(), attributes));
        }
        long dropped = overflow.getAndSet(0);
        if (dropped > 0) {
            byWorkspace.computeIfAbsent(ORG_WORKSPACE, w -> new ArrayList<>()).add(record("request.denied.overflow",
                    "none", JSON.createObjectNode().put("count", dropped)
                            .put("reason", "more distinct denials in one second than ledger.auth.max-denial-kinds")));
        }
        List<CompletableFuture<?>> writes = new ArrayList<>();
        byWorkspace.forEach((workspace, records) -> writes.add(sink.append(workspace, records)
                .whenComplete((ok, failure) -> {
                    if (failure != null) {
                        LOG.warn("could not store {} AUTH_LOG denial records of workspace {}", records.size(),
                                workspace, failure);
                    }
                }).toCompletableFuture()));
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).exceptionally(failure -> null);
    }

    private ObjectNode record(String action, String actorKeyId, ObjectNode attributes) {
        ObjectNode record = JSON.createObjectNode()
                .put("event_id", "auth-" + UUID.randomUUID())
                .put("event_type", "AUTH_LOG")
                .put("timestamp", clock.instant().toString())
                .put("action", action);
        record.putObject("user").put("id", "key:" + actorKeyId);
        record.set("attributes", attributes);
        return record;
    }
}
