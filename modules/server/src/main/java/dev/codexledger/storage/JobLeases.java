package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who runs a background job (a hold's copying, an erasure) in a cluster: one row per job in {@code
 * job_leases}, taken by a lightweight transaction ({@code IF NOT EXISTS}), kept by renewing it ({@code IF
 * runner = me}) while the job runs and written with a TTL, so a lease whose node died expires by itself
 * and the next node sweeping for unfinished jobs takes it over. Every node sweeps; of several that find
 * the same job exactly one wins the lease. A runner that lost its lease (it froze longer than the lease)
 * learns so at its next renewal and must not record the job's outcome ({@link Lease#stillHeld}).
 */
public final class JobLeases implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobLeases.class);

    private final CqlSession session;
    private final String runner;
    private final Duration lease;
    private final PreparedStatement take;
    private final PreparedStatement renew;
    private final PreparedStatement drop;
    private final ScheduledExecutorService renewals;

    /** {@code runner}: this node (its address and incarnation); {@code lease}: at least 3 s, whole seconds. */
    public JobLeases(CqlSession session, String keyspace, String runner, Duration lease) {
        if (lease.toSeconds() < 3) {
            throw new IllegalArgumentException("a job lease must last at least 3 s, not " + lease);
        }
        this.session = session;
        this.runner = runner;
        this.lease = lease;
        String table = keyspace + ".job_leases";
        this.take = session.prepare("INSERT INTO " + table + " (kind, job, runner, taken_at) VALUES (?, ?, ?,"
                + " toTimestamp(now())) IF NOT EXISTS USING TTL ?");
        this.renew = session.prepare("UPDATE " + table + " USING TTL ? SET runner = ?, taken_at = toTimestamp(now())"
                + " WHERE kind = ? AND job = ? IF runner = ?");
        this.drop = session.prepare("DELETE FROM " + table + " WHERE kind = ? AND job = ? IF runner = ?");
        this.renewals = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "job-lease-renewals");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The lease of {@code kind}/{@code job} for this node, or empty when another node holds it. */
    public Optional<Lease> take(String kind, String job) {
        // lightweight transactions are not idempotent: a retried applied insert would read as taken
        ResultSet taken = session.execute(take.bind(kind, job, runner, ttl()).setIdempotent(false));
        if (!taken.wasApplied()) {
            return Optional.empty();
        }
        return Optional.of(new Lease(kind, job));
    }

    private int ttl() {
        return (int) lease.toSeconds();
    }

    @Override
    public void close() {
        renewals.shutdownNow();
    }

    /** A lease held by this node; renewed every third of its length until {@link #close}d. */
    public final class Lease implements AutoCloseable {

        private final String kind;
        private final String job;
        private final AtomicBoolean held = new AtomicBoolean(true);
        private final ScheduledFuture<?> renewing;

        private Lease(String kind, String job) {
            this.kind = kind;
            this.job = job;
            long every = Math.max(1, lease.toMillis() / 3);
            this.renewing = renewals.scheduleWithFixedDelay(this::renewQuietly, every, every, TimeUnit.MILLISECONDS);
        }

        private void renewQuietly() {
            try {
                renew();
            } catch (RuntimeException e) {
                // Cassandra unreachable for a moment: the lease lasts until its TTL; the next renewal or
                // stillHeld() decides
                LOG.warn("could not renew the lease of {} {}: {}", kind, job, e.toString());
            }
        }

        private boolean renew() {
            if (!held.get()) {
                return false;
            }
            boolean applied = session.execute(renew.bind(ttl(), runner, kind, job, runner).setIdempotent(false))
                    .wasApplied();
            if (!applied && held.compareAndSet(true, false)) {
                LOG.warn("lost the lease of {} {} (this node paused longer than {}): another node runs it", kind, job,
                        lease);
            }
            return applied;
        }

        /**
         * Whether this node still holds the lease, renewed now: ask before recording a job's outcome, so a
         * runner that froze and was replaced does not record it a second time.
         */
        public boolean stillHeld() {
            return renew();
        }

        /** Gives the lease up (the job is finished or failed for good). */
        @Override
        public void close() {
            renewing.cancel(false);
            if (held.getAndSet(false)) {
                try {
                    session.execute(drop.bind(kind, job, runner).setIdempotent(false));
                } catch (RuntimeException e) {
                    LOG.warn("could not drop the lease of {} {} (it expires by itself): {}", kind, job, e.toString());
                }
            }
        }
    }
}
