package dev.codexledger.policy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.budget.PricedBatch;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.records.RecordStore;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges every Codex session as its records are written: each {@code codex.conversation_starts} record (its
 * settings) and each {@code codex.tool_result} (a command a forbidden command rule matches, a call to an MCP
 * server off the allowlist) is checked against the requirement set that applied to its user under the
 * policy version in force when the ledger accepted it, and each broken requirement becomes a finding — a {@code CODEX_SECURITY_LOG}
 * record with action {@code policy.finding} in the same workspace (so it is chained, searchable, in the
 * compliance files). A requirement the session's telemetry does not speak to is a finding with verdict
 * {@code unknown}, never silence.
 *
 * <p>Exactly once per conversation and rule: a finding's id is derived from both (and its content from the
 * source record and the policy version only), so judging a record again — an export replayed, a range
 * read back after a restart or a move — stores nothing new. Like analytics, the judge runs after the
 * write and never on the ingest path: each workspace has one lane that judges batches in order and keeps
 * how far it got in {@code policy_progress}; a range it never saw (a node stopped, the workspace moved)
 * is read back from the records table.
 */
public final class PolicyJudge implements AfterWrite.Follower {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyJudge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_VERSIONS_SEARCHED = 1000;
    /** The action of a finding record. */
    public static final String FINDING = "policy.finding";
    /** The records judged: a session's start (its settings) and each tool call it ran. */
    private static final java.util.Set<String> JUDGED = java.util.Set.of(SessionSettings.CONVERSATION_STARTS,
            ToolCall.TOOL_RESULT);

    /** A session start to judge: its seq, id, times and content. */
    private record Start(long seq, String eventId, long timestampMicros, long acceptedAtMicros, String content) {}

    private record Batch(long firstSeq, long lastSeq, long acceptedAtMicros, List<Start> starts) {}

    private static final class Lane {
        final String workspace;
        final ConcurrentLinkedQueue<Batch> queue = new ConcurrentLinkedQueue<>();
        final AtomicBoolean running = new AtomicBoolean();
        /** The last seq judged; -1 until read from policy_progress. Only the draining thread touches it. */
        long judgedThrough = -1;
        /** Handed over: a drain still running stops before judging or writing progress again. */
        volatile boolean closed;

        Lane(String workspace) {
            this.workspace = workspace;
        }
    }

    private final CqlSession session;
    private final PolicyStore policies;
    private final PolicySessions sessions;
    private final RecordStore records;
    private final AuthAudit.Sink sink;
    private final Executor executor;
    private final dev.codexledger.metrics.LedgerMetrics metrics;
    private final Optional<dev.codexledger.http.SignedWebhook> webhook;
    private final PreparedStatement readProgress;
    private final PreparedStatement writeProgress;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    public PolicyJudge(CqlSession session, String keyspace, PolicyStore policies, PolicySessions sessions,
                       RecordStore records,
                       AuthAudit.Sink sink, Executor executor, dev.codexledger.metrics.LedgerMetrics metrics,
                       Optional<dev.codexledger.http.SignedWebhook> webhook) {
        this.session = session;
        this.policies = policies;
        this.sessions = sessions;
        this.records = records;
        this.sink = sink;
        this.executor = executor;
        this.metrics = metrics;
        this.webhook = webhook;
        this.readProgress = session.prepare("SELECT through_seq FROM " + keyspace + ".policy_progress WHERE workspace = ?");
        this.writeProgress = session.prepare("INSERT INTO " + keyspace + ".policy_progress (workspace, through_seq) VALUES (?, ?)");
    }

    /** Takes a written batch's session starts (the rest only moves the lane on); returns at once. */
    @Override
    public void follow(PricedBatch priced) {
        if (priced.isEmpty()) {
            return;
        }
        List<Start> starts = new ArrayList<>();
        List<LedgerRecord> written = priced.records();
        for (int i = 0; i < written.size(); i++) {
            String action = priced.facts().get(i).action();
            if (action != null && JUDGED.contains(action)) {
                LedgerRecord record = written.get(i);
                starts.add(new Start(record.seq(), record.eventId(), record.timestampMicros(),
                        priced.batch().acceptedAtMicros(), record.content().toString(StandardCharsets.UTF_8)));
            }
        }
        Lane lane = lanes.computeIfAbsent(priced.workspace(), Lane::new);
        lane.queue.add(new Batch(priced.batch().firstSeq(), priced.batch().lastSeq(), priced.batch().acceptedAtMicros(),
                starts));
        schedule(lane);
    }

    /**
     * The workspace's ledger stops here: forget the lane at once. Its next owner resumes from the stored
     * progress (and judging a range twice stores nothing twice); waiting here for findings to be appended
     * to the stopping ledger could never end.
     */
    @Override
    public CompletionStage<Void> handOver(String workspace) {
        Lane lane = lanes.remove(workspace);
        if (lane != null) {
            lane.closed = true;
        }
        return CompletableFuture.completedFuture(null);
    }

    private void schedule(Lane lane) {
        if (lane.running.compareAndSet(false, true)) {
            executor.execute(() -> drain(lane));
        }
    }

    private void drain(Lane lane) {
        try {
            Batch batch;
            while ((batch = lane.queue.peek()) != null && !lane.closed) {
                if (lane.judgedThrough < 0) {
                    Row row = session.execute(readProgress.bind(lane.workspace)).one();
                    lane.judgedThrough = row != null ? row.getLong("through_seq") : batch.firstSeq() - 1;
                }
                if (batch.lastSeq() > lane.judgedThrough) {
                    boolean gap = batch.firstSeq() > lane.judgedThrough + 1;
                    List<PolicyStore.Version> versions = gap || !batch.starts().isEmpty()
                            ? policies.versions(lane.workspace, MAX_VERSIONS_SEARCHED) : List.of();
                    List<Start> starts = new ArrayList<>();
                    if (gap) { // a range this lane never saw: read it back
                        records.acceptedBetween(lane.workspace, lane.judgedThrough + 1, batch.firstSeq() - 1, 0, stored -> {
                            if (stored.content() != null && (stored.content().contains(SessionSettings.CONVERSATION_STARTS)
                                    || stored.content().contains(ToolCall.TOOL_RESULT))) {
                                starts.add(new Start(stored.seq(), stored.eventId(), stored.timestampMicros(),
                                        stored.acceptedAtMicros(), stored.content()));
                            }
                        });
                    }
                    for (Start start : batch.starts()) {
                        if (start.seq() > lane.judgedThrough) {
                            starts.add(start);
                        }
                    }
                    for (Start start : starts) {
                        if (lane.closed) {
                            return;
                        }
                        judge(lane.workspace, start, versions);
                    }
                    if (lane.closed) {
                        return; // handed over meanwhile: the next owner judges from the stored progress
                    }
                    session.execute(writeProgress.bind(lane.workspace, batch.lastSeq()));
                    lane.judgedThrough = batch.lastSeq();
                }
                lane.queue.poll();
            }
        } catch (RuntimeException e) {
            // the batch stays queued; judged again on the next batch (findings are stored once whatever the tries)
            LOG.warn("policy judge of {} failed, retried with its next batch: {}", lane.workspace, e.toString());
            lane.judgedThrough = -1;
        } finally {
            lane.running.set(false);
            if (!lane.queue.isEmpty() && lane.judgedThrough >= 0 && !lane.closed) {
                schedule(lane); // a batch that came in after the last look
            }
        }
    }

    /** Retries lanes whose judging failed (their batch is still queued). Call every few seconds. */
    public void tick() {
        lanes.values().forEach(lane -> {
            if (!lane.queue.isEmpty()) {
                schedule(lane);
            }
        });
    }

    /** Judges one session start and appends its findings (blocking: runs on the judge's own threads). */
    private void judge(String workspace, Start start, List<PolicyStore.Version> versions) {
        JsonNode content;
        try {
            content = JSON.readTree(start.content());
        } catch (IOException e) {
            return; // stored content is JSON; nothing to judge in one that is not
        }
        String action = content.path("action").asText("");
        if (!JUDGED.contains(action)) {
            return;
        }
        Instant accepted = Instant.EPOCH.plus(start.acceptedAtMicros(), java.time.temporal.ChronoUnit.MICROS);
        Optional<PolicyStore.Version> version = versions.stream().filter(v -> !v.setAt().isAfter(accepted)).findFirst();
        if (action.equals(ToolCall.TOOL_RESULT)) {
            judgeTool(workspace, start, content, version);
            return;
        }
        SessionSettings settings = SessionSettings.of(content);
        java.time.LocalDate day = java.time.LocalDate.ofInstant(
                Instant.EPOCH.plus(start.timestampMicros(), java.time.temporal.ChronoUnit.MICROS), java.time.ZoneOffset.UTC);
        String session = settings.conversation() != null ? settings.conversation() : "record:" + start.eventId();
        Optional<PolicyDocument.Match> match = version.flatMap(v -> v.document().forUser(settings.user()));
        if (match.isEmpty()) { // no policy was in force when the session was recorded, or no rule covers its user
            metrics.policySessionJudged("unruled");
            sessions.record(workspace, new PolicySessions.Session(day, session, "unruled", null, null,
                    version.map(PolicyStore.Version::version).orElse(0L)));
            return;
        }
        SessionJudge.Verdict verdict = SessionJudge.judge(match.get().requirements(), settings);
        String outcome = !verdict.violations().isEmpty() ? "violation" : !verdict.unknown().isEmpty() ? "unknown" : "compliant";
        metrics.policySessionJudged(outcome);
        sessions.record(workspace, new PolicySessions.Session(day, session, outcome, match.get().group(),
                match.get().setName(), version.get().version()));
        List<ObjectNode> findings = new ArrayList<>();
        for (SessionJudge.Violation violation : verdict.violations()) {
            findings.add(finding(start, content, settings, version.get(), match.get(), violation.rule(), "violation",
                    violation.expected(), violation.actual()));
        }
        for (String rule : verdict.unknown()) {
            findings.add(finding(start, content, settings, version.get(), match.get(), rule, "unknown",
                    "the session's telemetry to say it", null));
        }
        append(workspace, findings);
    }

    /** Judges a tool call Codex ran against the command rules and the MCP allowlist of its user's set. */
    private void judgeTool(String workspace, Start start, JsonNode content, Optional<PolicyStore.Version> version) {
        ToolCall call = ToolCall.of(content);
        Optional<PolicyDocument.Match> match = version.flatMap(v -> v.document().forUser(call.user()));
        if (match.isEmpty()) {
            return;
        }
        SessionSettings settings = new SessionSettings(call.user(), call.conversation(), null, null, null, null);
        List<ObjectNode> findings = new ArrayList<>();
        for (SessionJudge.Violation violation : SessionJudge.judgeTool(match.get().requirements(), call)) {
            ObjectNode finding = finding(start, content, settings, version.get(), match.get(), violation.rule(),
                    "violation", violation.expected(), violation.actual());
            ((ObjectNode) finding.get("attributes")).put("tool_name", call.toolName()).put("call_id", call.callId())
                    .put("app_version", content.path("attributes").path("codex").path("app_version").asText(null));
            findings.add(finding);
        }
        append(workspace, findings);
    }

    private void append(String workspace, List<ObjectNode> findings) {
        for (ObjectNode finding : findings) { // one by one: a finding stored before with other content refuses only itself
            try {
                Object appended = sink.append(workspace, List.of(finding)).toCompletableFuture().get(30, TimeUnit.SECONDS);
                boolean stored = appended instanceof dev.codexledger.workspace.Appended.Stored result && result.accepted() > 0;
                // a conflict: this conversation already has a finding for this rule, from another of its records
                // (a resumed session's second start, a forbidden command run again): once per conversation and rule
                metrics.policyFinding(stored ? "stored" : appended instanceof dev.codexledger.workspace.Appended.Conflict
                        ? "found-before" : "already");
                if (stored && webhook.isPresent()) { // a new finding only: judging again sends nothing twice
                    ObjectNode alert = JSON.createObjectNode().put("type", FINDING).put("workspace", workspace)
                            .put("finding_id", finding.get("event_id").asText())
                            .put("timestamp", finding.get("timestamp").asText());
                    alert.set("user", finding.get("user"));
                    alert.set("conversation_id", finding.get("conversation_id"));
                    alert.setAll((ObjectNode) finding.get("attributes"));
                    webhook.get().post(alert.toString());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while appending a finding", e);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("could not append a finding of " + workspace + ": " + e, e);
            }
        }
    }

    /** A finding record; its id from the conversation (or the record) and the rule, its content from the source only. */
    static ObjectNode finding(Start start, JsonNode content, SessionSettings settings, PolicyStore.Version version,
                              PolicyDocument.Match match, String rule, String verdict, String expected, String actual) {
        String subject = settings.conversation() != null ? "conversation:" + settings.conversation()
                : "record:" + start.eventId();
        ObjectNode record = JSON.createObjectNode()
                .put("event_id", "policy-finding-" + HexFormat.of().formatHex(
                        Digest.sha256(subject + "\n" + rule).toBytes()).substring(0, 32))
                .put("event_type", "CODEX_SECURITY_LOG")
                .put("timestamp", Instant.EPOCH.plus(start.timestampMicros(), java.time.temporal.ChronoUnit.MICROS).toString())
                .put("action", FINDING);
        if (settings.user() != null) {
            record.putObject("user").put("id", settings.user());
        }
        if (settings.conversation() != null) {
            record.put("conversation_id", settings.conversation());
        }
        if (content.hasNonNull("surface")) {
            record.put("surface", content.get("surface").asText());
        }
        ObjectNode attributes = record.putObject("attributes");
        attributes.put("verdict", verdict).put("rule", rule).put("expected", expected).put("actual", actual)
                .put("requirement_set", match.setName()).put("policy_group", match.group())
                .put("policy_rule", match.rule()).put("policy_version", version.version())
                .put("app_version", settings.appVersion())
                .put("source_seq", start.seq()).put("source_event_id", start.eventId());
        return record;
    }
}
