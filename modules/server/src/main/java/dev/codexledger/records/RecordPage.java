package dev.codexledger.records;

import java.util.List;

/** @param next where the next page starts; null when the scan reached the end of the workspace */
public record RecordPage(List<StoredRecord> records, RecordCursor next) {}
