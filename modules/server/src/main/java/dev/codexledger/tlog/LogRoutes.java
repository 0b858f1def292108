package dev.codexledger.tlog;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKey;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.verify.Merkle;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.workspace.NotProvable;
import dev.codexledger.workspace.WorkspaceId;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A workspace's verifiable log over HTTP ({@code compliance.read}): its signed checkpoints (list, sign now),
 * a record's inclusion proof and the consistency proof between two tree sizes, and the public keys;
 * {@code admin}: rotating the signing key. Proofs are computed from the stored tiles, on any node.
 */
public final class LogRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();
    private static final int MAX_LIST = 1000;

    private final Checkpoints checkpoints;
    private final CheckpointKeys keys;
    private final MerkleTiles tiles;
    private final WorkspaceLedgers ledgers;
    private final Access access;
    private final AuthAudit audit;
    private final Executor blocking;
    private final LogVerifications verifications;

    public LogRoutes(Checkpoints checkpoints, CheckpointKeys keys, MerkleTiles tiles, WorkspaceLedgers ledgers,
                     LogVerifications verifications, Access access, AuthAudit audit, Executor blocking) {
        this.verifications = verifications;
        this.checkpoints = checkpoints;
        this.keys = keys;
        this.tiles = tiles;
        this.ledgers = ledgers;
        this.access = access;
        this.audit = audit;
        this.blocking = blocking;
    }

    public Route routes() {
        return concat(
                pathPrefix("workspaces", () -> workspace("log", workspace -> concat(
                        checkpointRoutes(workspace), proofRoutes(workspace), keyRoutes(workspace),
                        verificationRoutes(workspace)))),
                pathPrefix("admin", () -> pathPrefix("log", () -> path(segmentKeysRotate(), this::rotateRoute))));
    }

    private Route checkpointRoutes(String workspace) {
        return path("checkpoints", () -> concat(
                get(() -> access.allow(Endpoint.LOG_CHECKPOINTS_LIST, workspace, key ->
                        parameterMap(params -> answer(list(workspace, params))))),
                post(() -> access.allow(Endpoint.LOG_CHECKPOINT_SIGN, workspace, key -> answer(sign(workspace))))));
    }

    private Route proofRoutes(String workspace) {
        return pathPrefix("proofs", () -> concat(
                path("inclusion", () -> get(() -> access.allow(Endpoint.LOG_INCLUSION_PROOF, workspace, key ->
                        parameterMap(params -> answer(inclusion(workspace, params)))))),
                path("consistency", () -> get(() -> access.allow(Endpoint.LOG_CONSISTENCY_PROOF, workspace, key ->
                        parameterMap(params -> answer(consistency(workspace, params))))))));
    }

    private Route keyRoutes(String workspace) {
        return path("keys", () -> get(() -> access.allow(Endpoint.LOG_KEYS, workspace, key ->
                answer(CompletableFuture.supplyAsync(this::publishedKeys, blocking)))));
    }

    private Route verificationRoutes(String workspace) {
        return pathPrefix("verifications", () -> concat(
                pathEnd(() -> post(() -> access.allow(Endpoint.LOG_VERIFY, workspace, key ->
                        access.caller(key, caller -> answer(CompletableFuture.supplyAsync(() -> ApiErrors.json(
                                StatusCodes.ACCEPTED, JobView.of(verifications.start(workspace, caller))), blocking)))))),
                path(PathMatchers.segment(), id -> get(() -> access.allow(Endpoint.LOG_VERIFICATION_STATUS, workspace,
                        key -> answer(CompletableFuture.supplyAsync(() -> status(workspace, id), blocking)))))));
    }

    private Object status(String workspace, String id) {
        return verifications.find(workspace, id).<Object>map(JobView::of)
                .orElseGet(() -> ApiErrors.error(StatusCodes.NOT_FOUND, "no verification " + id + " in workspace "
                        + workspace, "id"));
    }

    private Route rotateRoute() {
        return pathEnd(() -> post(() -> access.authenticate(Endpoint.LOG_KEY_ROTATE, Optional.empty(), key ->
                access.authorize(key, Endpoint.LOG_KEY_ROTATE, ApiKey.ALL_WORKSPACES, () ->
                        access.caller(key, caller -> answer(rotate(caller)))))));
    }

    private static org.apache.pekko.http.javadsl.server.PathMatcher0 segmentKeysRotate() {
        return org.apache.pekko.http.javadsl.server.PathMatchers.segment("keys").slash("rotate");
    }

    private Route answer(CompletionStage<?> result) {
        return onSuccess(result, body -> complete(body instanceof org.apache.pekko.http.javadsl.model.HttpResponse response
                ? response : ApiErrors.ok(body)));
    }

    // ---------------------------------------------------------------- checkpoints

    record CheckpointView(long size, String root, @JsonProperty("key_id") String keyId,
                          @JsonProperty("signed_at") String signedAt, String note) {
        static CheckpointView of(Checkpoints.Stored stored) {
            return new CheckpointView(stored.size(), HEX.formatHex(stored.root()), stored.keyId(),
                    stored.signedAt() == null ? null : stored.signedAt().toString(), stored.note());
        }
    }

    record CheckpointList(String origin, List<CheckpointView> checkpoints) {}

    private CompletionStage<CheckpointList> list(String workspace, Map<String, String> params) {
        int limit = (int) longParam(params, "limit", 100, 1, MAX_LIST);
        long atMost = longParam(params, "max_size", Long.MAX_VALUE, 0, Long.MAX_VALUE);
        return checkpoints.list(workspace, atMost, limit).thenApply(stored ->
                new CheckpointList(checkpoints.originOf(workspace), stored.stream().map(CheckpointView::of).toList()));
    }

    private CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse> sign(String workspace) {
        return ledgers.signCheckpoint(workspace).thenApply(signed -> ApiErrors.json(StatusCodes.CREATED,
                JSON.createObjectNode().put("size", signed.size()).put("note", signed.note())));
    }

    // ---------------------------------------------------------------- proofs

    record InclusionProof(String origin, long seq, @JsonProperty("leaf_index") long leafIndex,
                          @JsonProperty("tree_size") long treeSize, @JsonProperty("leaf_hash") String leafHash,
                          List<String> proof, String root, String checkpoint) {}

    record ConsistencyProof(String origin, long from, long to, List<String> proof, @JsonProperty("from_root") String fromRoot,
                            @JsonProperty("to_root") String toRoot, @JsonProperty("from_checkpoint") String fromCheckpoint,
                            @JsonProperty("to_checkpoint") String toCheckpoint) {}

    private record Computed(byte[] leaf, List<byte[]> proof, byte[] root, byte[] otherRoot) {}

    /** The latest checkpoint's size: proofs are given up to it (its tiles are stored, its tree fenced). */
    private CompletionStage<Long> latestSize(String workspace) {
        return checkpoints.list(workspace, Long.MAX_VALUE, 1).thenApply(latest -> {
            if (latest.isEmpty()) {
                throw new NotProvable("the workspace has no checkpoint yet: sign one (POST …/log/checkpoints) or wait for the next");
            }
            return latest.get(0).size();
        });
    }

    private CompletionStage<InclusionProof> inclusion(String workspace, Map<String, String> params) {
        long seq = longParam(params, "seq", -1, 1, Long.MAX_VALUE);
        if (seq < 0) {
            throw new BadRequest("seq", "required: the record's seq, from 1");
        }
        long asked = longParam(params, "size", 0, 1, Long.MAX_VALUE);
        return latestSize(workspace).thenCompose(latest -> {
            long size = asked == 0 ? latest : asked;
            if (size > latest) {
                throw new BadRequest("size", "at most the latest checkpoint's size, " + latest);
            }
            if (seq > size) {
                throw new BadRequest("seq", "record " + seq + " is not in a tree of " + size + " records");
            }
            CompletionStage<Computed> computed = tiles.compute(workspace, nodes -> new Computed(nodes.node(0, seq - 1),
                    Merkle.inclusionProof(nodes, seq - 1, size), Merkle.root(nodes, size), null));
            return computed.thenCombine(checkpoints.at(workspace, size), (proof, checkpoint) -> new InclusionProof(
                    checkpoints.originOf(workspace), seq, seq - 1, size, HEX.formatHex(proof.leaf()),
                    proof.proof().stream().map(HEX::formatHex).toList(), HEX.formatHex(proof.root()),
                    checkpoint.map(Checkpoints.Stored::note).orElse(null)));
        });
    }

    private CompletionStage<ConsistencyProof> consistency(String workspace, Map<String, String> params) {
        long from = longParam(params, "from", -1, 1, Long.MAX_VALUE);
        if (from < 0) {
            throw new BadRequest("from", "required: the older tree size, from 1");
        }
        long asked = longParam(params, "to", 0, 1, Long.MAX_VALUE);
        return latestSize(workspace).thenCompose(latest -> {
            long to = asked == 0 ? latest : asked;
            if (to > latest) {
                throw new BadRequest("to", "at most the latest checkpoint's size, " + latest);
            }
            if (from > to) {
                throw new BadRequest("from", "at most to (" + to + ")");
            }
            CompletionStage<Computed> computed = tiles.compute(workspace, nodes -> new Computed(null,
                    Merkle.consistencyProof(nodes, from, to), Merkle.root(nodes, to), Merkle.root(nodes, from)));
            return computed.thenCompose(proof -> checkpoints.at(workspace, from).thenCombine(checkpoints.at(workspace, to),
                    (fromCheckpoint, toCheckpoint) -> new ConsistencyProof(checkpoints.originOf(workspace), from, to,
                            proof.proof().stream().map(HEX::formatHex).toList(), HEX.formatHex(proof.otherRoot()),
                            HEX.formatHex(proof.root()), fromCheckpoint.map(Checkpoints.Stored::note).orElse(null),
                            toCheckpoint.map(Checkpoints.Stored::note).orElse(null))));
        });
    }

    private static long longParam(Map<String, String> params, String name, long absent, long min, long max) {
        String text = params.get(name);
        if (text == null) {
            return absent;
        }
        try {
            long value = Long.parseLong(text);
            if (value < min || value > max) {
                throw new BadRequest(name, "from " + min + (max == Long.MAX_VALUE ? "" : " to " + max));
            }
            return value;
        } catch (NumberFormatException e) {
            throw new BadRequest(name, "an integer");
        }
    }

    // ---------------------------------------------------------------- verification jobs

    record JobView(String id, String state, long checked, long total, Boolean valid,
                   @JsonProperty("first_wrong_seq") Long firstWrongSeq, String reason,
                   @JsonProperty("requested_at") String requestedAt, @JsonProperty("finished_at") String finishedAt) {
        static JobView of(LogVerifications.Job job) {
            return new JobView(job.id(), job.state(), job.checked(), job.total(), job.valid(),
                    job.firstWrongSeq() == 0 ? null : job.firstWrongSeq(), job.reason(),
                    job.requestedAt() == null ? null : job.requestedAt().toString(),
                    job.finishedAt() == null ? null : job.finishedAt().toString());
        }
    }

    // ---------------------------------------------------------------- keys

    record KeyView(@JsonProperty("key_id") String keyId, @JsonProperty("verifier_key") String verifierKey,
                   @JsonProperty("created_at") String createdAt, @JsonProperty("retired_at") String retiredAt) {}

    record Keys(String origin, String algorithm, List<KeyView> keys) {}

    private Keys publishedKeys() {
        return new Keys(keys.origin(), "Ed25519 (C2SP signed-note, signature type 0x01)", keys.published().stream()
                .map(k -> new KeyView(k.keyId(), k.verifierKey(), k.createdAt() == null ? null : k.createdAt().toString(),
                        k.retiredAt() == null ? null : k.retiredAt().toString()))
                .toList());
    }

    private CompletionStage<Keys> rotate(AuthAudit.Caller caller) {
        return CompletableFuture.supplyAsync(() -> {
            NoteKey fresh;
            try {
                fresh = keys.rotate();
            } catch (IllegalStateException e) {
                throw new NotProvable(e.getMessage());
            }
            ObjectNode attributes = JSON.createObjectNode().put("key_id", fresh.idHex())
                    .put("verifier_key", fresh.verifierKey());
            AuthAudit.await(audit.adminAction(WorkspaceId.ORG, "checkpoint_key.rotated", caller, attributes),
                    "checkpoint key rotation");
            return publishedKeys();
        }, blocking);
    }
}
