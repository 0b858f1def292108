package dev.codexledger.auth;

/**
 * Every authenticated endpoint of the API and the scope it needs. Routes name their endpoint when they
 * ask {@link Access} to let a request through, so this list is complete by construction; the isolation
 * test walks all of it.
 */
public enum Endpoint {
    RECORDS_APPEND("POST", "/v1/workspaces/{ws}/records", Scope.INGEST),
    RECORDS_LIST("GET", "/v1/workspaces/{ws}/records", Scope.COMPLIANCE_READ),
    RECORDS_EXPORT("GET", "/v1/workspaces/{ws}/records/export", Scope.COMPLIANCE_READ),
    OTLP_LOGS("POST", "/v1/logs", Scope.INGEST),
    KEYS_CREATE("POST", "/v1/admin/keys", Scope.ADMIN),
    KEYS_LIST("GET", "/v1/admin/keys", Scope.ADMIN),
    KEYS_REVOKE("DELETE", "/v1/admin/keys/{id}", Scope.ADMIN),
    KEYS_ROTATE("POST", "/v1/admin/keys/{id}/rotate", Scope.ADMIN),
    NODE_MEMORY("GET", "/v1/admin/node/memory", Scope.ADMIN),
    RETENTION_GET("GET", "/v1/admin/workspaces/{ws}/retention", Scope.ADMIN),
    RETENTION_SET("PUT", "/v1/admin/workspaces/{ws}/retention", Scope.ADMIN),
    POLICY_GET("GET", "/v1/admin/workspaces/{ws}/policy", Scope.POLICY_ADMIN),
    POLICY_SET("PUT", "/v1/admin/workspaces/{ws}/policy", Scope.POLICY_ADMIN),
    POLICY_PART_SET("PUT|DELETE", "/v1/admin/workspaces/{ws}/policy/{requirement-sets/{name}|groups/{name}|rules}",
            Scope.POLICY_ADMIN),
    POLICY_VERSIONS("GET", "/v1/admin/workspaces/{ws}/policy/versions", Scope.POLICY_ADMIN),
    POLICY_REQUIREMENTS("GET", "/v1/admin/workspaces/{ws}/policy/requirements.toml", Scope.POLICY_ADMIN),
    POLICY_MANAGED_CONFIG("POST", "/v1/admin/workspaces/{ws}/policy/managed-config", Scope.POLICY_ADMIN),
    STREAMS_CREATE("POST", "/v1/admin/streams", Scope.ADMIN),
    STREAMS_LIST("GET", "/v1/admin/streams", Scope.ADMIN),
    STREAM_GET("GET", "/v1/admin/streams/{id}", Scope.ADMIN),
    STREAM_DELETE("DELETE", "/v1/admin/streams/{id}", Scope.ADMIN),
    STREAM_PAUSE("POST", "/v1/admin/streams/{id}/{pause|resume}", Scope.ADMIN),
    COMPLIANCE_LOGS_LIST("GET", "/v1/compliance/workspaces/{ws}/logs", Scope.COMPLIANCE_READ),
    COMPLIANCE_LOG_DOWNLOAD("GET", "/v1/compliance/workspaces/{ws}/logs/{id}", Scope.COMPLIANCE_READ),
    ERASURE("POST", "/v1/compliance/workspaces/{ws}/erasures", Scope.COMPLIANCE_DELETE),
    ERASURES_LIST("GET", "/v1/compliance/workspaces/{ws}/erasures", Scope.COMPLIANCE_DELETE),
    ERASURE_STATUS("GET", "/v1/compliance/workspaces/{ws}/erasures/{id}", Scope.COMPLIANCE_DELETE),
    HOLDS_CREATE("POST", "/v1/compliance/workspaces/{ws}/holds", Scope.COMPLIANCE_DELETE),
    HOLDS_LIST("GET", "/v1/compliance/workspaces/{ws}/holds", Scope.COMPLIANCE_READ),
    HOLDS_RELEASE("DELETE", "/v1/compliance/workspaces/{ws}/holds/{id}", Scope.COMPLIANCE_DELETE),
    PRICING_LIST("GET", "/v1/admin/pricing", Scope.BUDGET_ADMIN),
    PRICING_SET("PUT", "/v1/admin/pricing/{model}", Scope.BUDGET_ADMIN),
    BUDGETS_STATUS("GET", "/v1/admin/workspaces/{ws}/budgets", Scope.BUDGET_ADMIN),
    BUDGET_SET("PUT|DELETE", "/v1/admin/workspaces/{ws}/budgets/{org|teams/{team}|users/{user}|settings}",
            Scope.BUDGET_ADMIN),
    MEMBER_SET("PUT|DELETE", "/v1/admin/workspaces/{ws}/members/{user}", Scope.BUDGET_ADMIN),
    BUDGET_CHECK("POST", "/v1/budget/workspaces/{ws}/check", Scope.BUDGET_CHECK),
    RESERVE("POST", "/v1/budget/workspaces/{ws}/reservations", Scope.BUDGET_CHECK),
    SETTLE("POST", "/v1/budget/workspaces/{ws}/reservations/{id}/settle", Scope.BUDGET_CHECK),
    RELEASE("DELETE", "/v1/budget/workspaces/{ws}/reservations/{id}", Scope.BUDGET_CHECK),
    FORWARD_AUTH("ANY", "/v1/budget/forward-auth", Scope.BUDGET_CHECK),
    LOG_CHECKPOINTS_LIST("GET", "/v1/workspaces/{ws}/log/checkpoints", Scope.COMPLIANCE_READ),
    LOG_CHECKPOINT_SIGN("POST", "/v1/workspaces/{ws}/log/checkpoints", Scope.COMPLIANCE_READ),
    LOG_INCLUSION_PROOF("GET", "/v1/workspaces/{ws}/log/proofs/inclusion", Scope.COMPLIANCE_READ),
    LOG_CONSISTENCY_PROOF("GET", "/v1/workspaces/{ws}/log/proofs/consistency", Scope.COMPLIANCE_READ),
    LOG_KEYS("GET", "/v1/workspaces/{ws}/log/keys", Scope.COMPLIANCE_READ),
    LOG_VERIFY("POST", "/v1/workspaces/{ws}/log/verifications", Scope.COMPLIANCE_READ),
    LOG_VERIFICATION_STATUS("GET", "/v1/workspaces/{ws}/log/verifications/{id}", Scope.COMPLIANCE_READ),
    LOG_KEY_ROTATE("POST", "/v1/admin/log/keys/rotate", Scope.ADMIN),
    ANALYTICS_USAGE("GET", "/v1/analytics/codex/workspaces/{ws}/usage", Scope.ANALYTICS_READ),
    ANALYTICS_CODE_REVIEWS("GET", "/v1/analytics/codex/workspaces/{ws}/code_reviews", Scope.ANALYTICS_READ),
    ANALYTICS_CODE_REVIEW_RESPONSES("GET", "/v1/analytics/codex/workspaces/{ws}/code_review_responses",
            Scope.ANALYTICS_READ),
    ANALYTICS_USERS("GET", "/v1/analytics/codex/workspaces/{ws}/users", Scope.ANALYTICS_READ),
    ANALYTICS_POLICY_COMPLIANCE("GET", "/v1/analytics/codex/workspaces/{ws}/policy_compliance", Scope.ANALYTICS_READ),
    ANALYTICS_EXPORT("GET", "/v1/analytics/codex/workspaces/{ws}/exports/{series}", Scope.ANALYTICS_READ);

    private final String method;
    private final String pathTemplate;
    private final Scope scope;

    Endpoint(String method, String pathTemplate, Scope scope) {
        this.method = method;
        this.pathTemplate = pathTemplate;
        this.scope = scope;
    }

    public String method() {
        return method;
    }

    public String pathTemplate() {
        return pathTemplate;
    }

    public Scope scope() {
        return scope;
    }

    @Override
    public String toString() {
        return method + " " + pathTemplate;
    }
}
