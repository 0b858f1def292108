package dev.codexledger.auth;

import java.util.Arrays;
import java.util.Optional;

/** What a key may do. A key holds one or more scopes and is bound to one workspace or to all of them. */
public enum Scope {
    /** Send records and telemetry (records API, OTLP). */
    INGEST("ingest"),
    /** Read records: records API, compliance log files, search and export. */
    COMPLIANCE_READ("compliance.read"),
    /** Erase records. */
    COMPLIANCE_DELETE("compliance.delete"),
    /** Read the analytics API and the dashboard's numbers. */
    ANALYTICS_READ("analytics.read"),
    /** Ask for budget decisions (gateways). */
    BUDGET_CHECK("budget.check"),
    /** Manage budgets, teams and pricing. */
    BUDGET_ADMIN("budget.admin"),
    /** Manage the managed-configuration policy (Codex requirements per group) and read its requirements.toml. */
    POLICY_ADMIN("policy.admin"),
    /** Manage keys and workspace settings. */
    ADMIN("admin");

    private final String wireName;

    Scope(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<Scope> fromWireName(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst();
    }

    public static String allWireNames() {
        return Arrays.stream(values()).map(Scope::wireName).toList().toString();
    }
}
