package dev.codexledger.workspace;

/**
 * What an append came to, as the ledger's facade answers it: stored (new records and duplicates
 * counted), or refused because an event id is already stored with other content. A ledger that could
 * not store the batch is no result: the append fails with {@link LedgerUnavailable}.
 */
public sealed interface Appended {

    /** {@code firstSeq..lastSeq}: the sequence numbers of the new records (both 0 when none was new). */
    record Stored(int accepted, int duplicates, long firstSeq, long lastSeq) implements Appended {}

    /** The record at {@code index} in the batch has the id of a stored record with other content. */
    record Conflict(int index, String eventId) implements Appended {}
}
