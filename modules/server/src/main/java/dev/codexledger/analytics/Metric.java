package dev.codexledger.analytics;

/** What the analytics count per (day, user, surface, model); each is a bigint column of {@code analytics_daily}. */
public enum Metric {
    /** Codex records (CODEX_LOG, CODEX_SECURITY_LOG): a user with one on a day was active that day. */
    EVENTS("events"),
    /** Threads started: conversations counted once, on the row of their first record. */
    THREADS("threads"),
    /** User prompts: records of {@code codex.user_prompt}, or records carrying a {@code prompt}. */
    TURNS("turns"),
    CREDITS("credits_micros"),
    INPUT_TOKENS("input_tokens"),
    CACHED_INPUT_TOKENS("cached_input_tokens"),
    OUTPUT_TOKENS("output_tokens"),
    REASONING_TOKENS("reasoning_tokens"),
    REVIEWS("reviews"),
    COMMENTS("comments"),
    COMMENTS_P0("comments_p0"),
    COMMENTS_P1("comments_p1"),
    COMMENTS_P2("comments_p2"),
    REPLIES("replies"),
    REACTIONS_POSITIVE("reactions_positive"),
    REACTIONS_NEGATIVE("reactions_negative");

    public static final int COUNT = values().length;

    private final String column;

    Metric(String column) {
        this.column = column;
    }

    public String column() {
        return column;
    }
}
