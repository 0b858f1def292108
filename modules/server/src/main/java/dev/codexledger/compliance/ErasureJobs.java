package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.storage.JobLeases;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.WorkspaceLedger;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.time.temporal.ChronoUnit;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasures run as background jobs: a request stores the job ({@code erasures} table, state
 * {@code running}) and returns; the scan runs on the blocking pool and stores its outcome (state
 * {@code done}, counts, the first seqs) or its failure. A node that starts runs again the jobs a stopped
 * node left running: erasing is idempotent (erased records are skipped). The criterion's value (a user
 * or conversation id) is kept only while the job runs; afterwards only its SHA-256 remains.
 */
final class ErasureJobs {

    /** A job as stored. {@code erasedSeqs}/{@code heldSeqs}: the first {@link #MAX_LISTED_SEQS} of each. */
    record Job(String workspace, String id, String criterion, String criterionValue, String criterionSha256,
               String requestedBy, String requestedByName, Instant requestedAt, String state, long erased, long held,
               List<Long> erasedSeqs, List<Long> heldSeqs, Instant finishedAt, String error) {}

    static final int MAX_LISTED_SEQS = 1000;
    private static final java.time.Duration FORGET_TIMEOUT = java.time.Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(ErasureJobs.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CqlSession session;
    private final Erasures erasures;
    private final WorkspaceLedgers ledgers;
    private final Executor executor;
    private final Clock clock;
    private final JobLeases leases;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final PreparedStatement insert;
    private final PreparedStatement finish;
    private final dev.codexledger.metrics.LedgerMetrics metrics;
    private final PreparedStatement fail;
    private final PreparedStatement selectWorkspace;
    private final PreparedStatement selectOne;
    private final PreparedStatement selectAll;

    ErasureJobs(CqlSession session, String keyspace, Erasures erasures, WorkspaceLedgers ledgers, Executor executor,
                Clock clock, JobLeases leases, dev.codexledger.metrics.LedgerMetrics metrics) {
        this.metrics = metrics;
        this.leases = leases;
        this.session = session;
        this.erasures = erasures;
        this.ledgers = ledgers;
        this.executor = executor;
        this.clock = clock;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".erasures (workspace, id, criterion, criterion_value,"
                + " criterion_sha256, requested_by, requested_by_name, requested_at, state, erased, held)"
                + " VALUES (?,?,?,?,?,?,?,?,'running',0,0)");
        this.finish = session.prepare("UPDATE " + keyspace + ".erasures SET state = 'done', criterion_value = null,"
                + " erased = ?, held = ?, erased_seqs = ?, held_seqs = ?, finished_at = ?, error = null"
                + " WHERE workspace = ? AND id = ?");
        this.fail = session.prepare("UPDATE " + keyspace + ".erasures SET state = 'failed', criterion_value = null,"
                + " finished_at = ?, error = ? WHERE workspace = ? AND id = ?");
        this.selectWorkspace = session.prepare("SELECT * FROM " + keyspace + ".erasures WHERE workspace = ?");
        this.selectOne = session.prepare("SELECT * FROM " + keyspace + ".erasures WHERE workspace = ? AND id = ?");
        this.selectAll = session.prepare("SELECT * FROM " + keyspace + ".erasures");
    }

    /** Stores a job and starts it; {@code onDone} gets the finished job (to audit it) before it is marked done. */
    Job start(String workspace, Erasures.Criteria criteria, AuthAudit.Caller caller, BiConsumer<Job, AuthAudit.Caller> onDone) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        String id = "erasure_" + HexFormat.of().formatHex(random);
        session.execute(insert.bind(workspace, id, criteria.field(), criteria.value(),
                Digest.sha256(criteria.value()).hex(), caller.keyId(), caller.keyName(), clock.instant()));
        Job job = find(workspace, id).orElseThrow();
        run(job, caller, onDone);
        return job;
    }

    /**
     * Runs again every job left running by a node that stopped or died. Every node calls this
     * periodically; the job's lease lets exactly one of them run it.
     */
    void resumePending(AuthAudit.Caller as, BiConsumer<Job, AuthAudit.Caller> onDone) {
        for (Row row : session.execute(selectAll.bind())) {
            Job job = fromRow(row);
            if (job.state().equals("running") && job.criterionValue() != null) {
                run(job, as, onDone);
            }
        }
    }

    private void run(Job job, AuthAudit.Caller caller, BiConsumer<Job, AuthAudit.Caller> onDone) {
        String key = job.workspace() + "/" + job.id();
        if (!running.add(key)) {
            return;
        }
        CompletableFuture.runAsync(() -> {
            Optional<JobLeases.Lease> lease = Optional.empty();
            String outcome = null;
            try {
                lease = leases.take("erasure", key);
                // another node runs it; or it ended since this node listed it (the lease is dropped only
                // after the outcome is stored, so this read sees that)
                if (lease.isEmpty() || !find(job.workspace(), job.id()).map(j -> j.state().equals("running")).orElse(false)) {
                    return;
                }
                metrics.jobStarted("erasure");
                outcome = "failed";
                Instant erasedAt = clock.instant();
                Erasures.Result result = erasures.erase(job.workspace(),
                        new Erasures.Criteria(job.criterion(), job.criterionValue()), erasedAt, MAX_LISTED_SEQS);
                // then the ledger's own copies: its last batch, its snapshot, the journal events before it
                WorkspaceLedger.Forgotten forgotten = ledgers.forget(job.workspace(), job.criterion(),
                        job.criterionValue(), ChronoUnit.MICROS.between(Instant.EPOCH, erasedAt), FORGET_TIMEOUT)
                        .toCompletableFuture().join();
                if (forgotten.error() != null) {
                    throw new IllegalStateException(forgotten.error());
                }
                if (!lease.get().stillHeld()) {
                    outcome = "taken_over";
                    return; // this node froze past its lease: the node that took it over records the outcome
                }
                Instant finished = clock.instant();
                // audited first: a job shown as done has its AUTH_LOG record
                onDone.accept(new Job(job.workspace(), job.id(), job.criterion(), null, job.criterionSha256(),
                        job.requestedBy(), job.requestedByName(), job.requestedAt(), "done", result.erased(),
                        result.held(), result.erasedSeqs(), result.heldSeqs(), finished, null), caller);
                session.execute(finish.bind(result.erased(), result.held(), result.erasedSeqs(), result.heldSeqs(),
                        finished, job.workspace(), job.id()));
                outcome = "done";
            } catch (RuntimeException e) {
                LOG.error("Erasure {} in {} failed", job.id(), job.workspace(), e);
                try {
                    session.execute(fail.bind(clock.instant(), String.valueOf(e.getMessage()), job.workspace(), job.id()));
                } catch (RuntimeException stillFailing) {
                    LOG.error("Could not mark erasure {} failed; it resumes at the next start", job.id(), stillFailing);
                }
            } finally {
                if (outcome != null) {
                    metrics.jobFinished("erasure", outcome);
                }
                lease.ifPresent(JobLeases.Lease::close);
                running.remove(key);
            }
        }, executor);
    }

    List<Job> list(String workspace) {
        List<Job> jobs = new ArrayList<>();
        session.execute(selectWorkspace.bind(workspace))
                .forEach(row -> jobs.add(fromRow(row)));
        jobs.sort(Comparator.comparing(Job::requestedAt));
        return jobs;
    }

    Optional<Job> find(String workspace, String id) {
        return Optional.ofNullable(session.execute(selectOne.bind(workspace, id)).one()).map(ErasureJobs::fromRow);
    }

    private static Job fromRow(Row row) {
        return new Job(row.getString("workspace"), row.getString("id"), row.getString("criterion"),
                row.getString("criterion_value"), row.getString("criterion_sha256"), row.getString("requested_by"),
                row.getString("requested_by_name"), row.getInstant("requested_at"), row.getString("state"),
                row.isNull("erased") ? 0 : row.getLong("erased"), row.isNull("held") ? 0 : row.getLong("held"),
                row.getList("erased_seqs", Long.class), row.getList("held_seqs", Long.class),
                row.getInstant("finished_at"), row.getString("error"));
    }
}
