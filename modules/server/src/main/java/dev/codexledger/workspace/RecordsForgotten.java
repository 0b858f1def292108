package dev.codexledger.workspace;

import java.util.List;

/**
 * Event of the {@link WorkspaceLedger}: records were erased. Holds no content, only which records of the
 * last batch lost theirs (possibly none: the event still marks the point after which the journal holds
 * no erased content, see {@link JournalCleanup}).
 */
public record RecordsForgotten(long erasedAtMicros, List<Long> seqs) implements LedgerEvent {

    public RecordsForgotten {
        seqs = List.copyOf(seqs);
    }
}
