package dev.codexledger.policy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The judge's verdict on each Codex session, kept per workspace and day of the session's start in
 * {@code policy_sessions}: what the compliance analytics count. No user is kept here (the findings, which
 * are records, name the user, and an erasure reaches them like any record). Writing a session again
 * (judged again after a replay or a read-back) writes the same row, so counts never double.
 */
public final class PolicySessions {

    /** Verdicts: met every requirement, broke one, did not say (telemetry silent), or no rule applied. */
    public static final List<String> VERDICTS = List.of("compliant", "violation", "unknown", "unruled");

    /** One session's row. */
    public record Session(LocalDate day, String session, String verdict, String group, String requirementSet,
                          long policyVersion) {}

    private final CqlSession session;
    private final Function<String, Duration> retention;
    private final PreparedStatement insert;
    private final PreparedStatement ofDay;

    public PolicySessions(CqlSession session, String keyspace, Function<String, Duration> retention) {
        this.session = session;
        this.retention = retention;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".policy_sessions (workspace, day, session, verdict,"
                + " policy_group, requirement_set, policy_version) VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL ?");
        this.ofDay = session.prepare("SELECT * FROM " + keyspace + ".policy_sessions WHERE workspace = ? AND day = ?");
    }

    /** Cassandra's longest TTL (20 years). */
    private static final long MAX_TTL_SECONDS = 630_720_000L;

    public void record(String workspace, Session row) {
        var bound = insert.bind(workspace, row.day(), row.session(), row.verdict(), row.group(), row.requirementSet(),
                row.policyVersion(), (int) Math.min(MAX_TTL_SECONDS, retention.apply(workspace).toSeconds()));
        // absent values are left unset, not written as nulls (a null is a tombstone the day's reads would wade through)
        if (row.group() == null) {
            bound = bound.unset("policy_group");
        }
        if (row.requirementSet() == null) {
            bound = bound.unset("requirement_set");
        }
        session.execute(bound);
    }

    /** Every session started on the days {@code first..last} (UTC), day by day. Blocking. */
    public List<Session> between(String workspace, LocalDate first, LocalDate last) {
        List<Session> sessions = new ArrayList<>();
        for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
            for (Row row : session.execute(ofDay.bind(workspace, day))) {
                sessions.add(new Session(row.getLocalDate("day"), row.getString("session"), row.getString("verdict"),
                        row.getString("policy_group"), row.getString("requirement_set"), row.getLong("policy_version")));
            }
        }
        return sessions;
    }
}
