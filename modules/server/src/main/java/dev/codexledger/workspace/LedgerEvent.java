package dev.codexledger.workspace;

/** What a {@link WorkspaceLedger} persists. */
public sealed interface LedgerEvent permits RecordsAppended, RecordsForgotten {}
