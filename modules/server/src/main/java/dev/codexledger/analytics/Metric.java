package dev.codexledger.analytics;

/**
 * What the analytics count per (day, user, surface, model), stored in this order in {@code analytics_rows.counts}:
 * add new metrics at the end only.
 */
public enum Metric {
    /** Codex records (CODEX_LOG, CODEX_SECURITY_LOG): a user with one on a day was active that day. */
    EVENTS,
    /** Threads started: conversations counted once, on the row of their first record. */
    THREADS,
    /** User prompts: records of {@code codex.user_prompt}, or records carrying a {@code prompt}. */
    TURNS,
    CREDITS,
    INPUT_TOKENS,
    CACHED_INPUT_TOKENS,
    OUTPUT_TOKENS,
    REASONING_TOKENS,
    REVIEWS,
    COMMENTS,
    COMMENTS_P0,
    COMMENTS_P1,
    COMMENTS_P2,
    REPLIES,
    REACTIONS_POSITIVE,
    REACTIONS_NEGATIVE;

    public static final int COUNT = values().length;
}
