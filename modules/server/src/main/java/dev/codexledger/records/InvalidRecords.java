package dev.codexledger.records;

import dev.codexledger.http.BadRequest;

/** A request body the records API refuses: names the offending field (e.g. "records[3].timestamp"). */
public final class InvalidRecords extends BadRequest {

    public InvalidRecords(String field, String message) {
        super(field, message);
    }
}
