package dev.codexledger.streams;

import dev.codexledger.records.RecordStore;
import java.util.List;

/**
 * One destination's delivery on this node. {@link #deliver} returns only once the destination
 * acknowledged every event (Kafka: acks=all from the idempotent producer; HTTP: a 2xx), and throws
 * otherwise: the cursor moves only after it returned. Called by one thread at a time per workspace.
 */
interface StreamSink extends AutoCloseable {

    /** Blocking; {@code events} are one workspace's, in seq order. */
    void deliver(String workspace, List<RecordStore.Streamed> events) throws Exception;

    @Override
    void close();
}
