package dev.codexledger.node;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKey;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.workspace.ActiveLedgers;
import dev.codexledger.workspace.HeapGuard;
import dev.codexledger.workspace.IngestGate;
import java.util.Optional;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/admin/node/memory} ({@code admin} scope): how this node stands against its memory bounds
 * (docs/architecture.md, "Heap"): the heap in use after the last collection and the share past which
 * ingest is refused, the active workspace ledgers and their budget, ingest in flight, and how often each
 * bound refused or passivated since the node started.
 */
final class NodeMemoryRoutes {

    private final Access access;
    private final ActiveLedgers ledgers;
    private final dev.codexledger.analytics.Analytics analytics;
    private final IngestGate gate;

    NodeMemoryRoutes(Access access, ActiveLedgers ledgers, IngestGate gate, dev.codexledger.analytics.Analytics analytics) {
        this.analytics = analytics;
        this.access = access;
        this.ledgers = ledgers;
        this.gate = gate;
    }

    Route routes() {
        return pathPrefix("admin", () -> pathPrefix("node", () -> path("memory", () -> get(() ->
                access.authenticate(Endpoint.NODE_MEMORY, Optional.empty(), key ->
                        access.authorize(key, Endpoint.NODE_MEMORY, ApiKey.ALL_WORKSPACES,
                                () -> complete(ApiErrors.ok(view()))))))));
    }

    record Heap(@JsonProperty("max_bytes") long max, @JsonProperty("used_after_gc_bytes") long usedAfterGc,
                @JsonProperty("refuse_ingest_above_bytes") long refuseAbove,
                @JsonProperty("refusing_ingest") boolean refusing, long collections) {}

    record Ledgers(long active, @JsonProperty("held_bytes") long held, @JsonProperty("budget_bytes") long budget,
                   @JsonProperty("passivated_for_memory") long passivated) {}

    record Ingest(@JsonProperty("in_flight_records") long inFlight, @JsonProperty("sending_workspaces") int sending,
                  @JsonProperty("recently_sending_workspaces") int recentlySending,
                  @JsonProperty("refused_node_at_capacity") long nodeAtCapacity,
                  @JsonProperty("refused_workspace_at_share") long workspaceAtShare,
                  @JsonProperty("refused_heap_full") long heapFull) {}

    /** The analytics' node-wide hint of counted conversations (bounded for the node, not per workspace). */
    record AnalyticsThreads(@JsonProperty("known_threads") int held, @JsonProperty("known_threads_capacity") int capacity,
                            @JsonProperty("known_threads_max_bytes") long maxBytes) {}

    record View(Heap heap, Ledgers ledgers, Ingest ingest, AnalyticsThreads analytics) {}

    View view() {
        HeapGuard heap = gate.heap();
        return new View(
                new Heap(Runtime.getRuntime().maxMemory(), heap.usedAfterGcBytes(), heap.refuseAboveBytes(), heap.full(),
                        heap.collections()),
                new Ledgers(ledgers.active(), ledgers.totalBytes(), ledgers.budgetBytes(), ledgers.passivations()),
                new Ingest(gate.inFlightRecords(), gate.sendingWorkspaces(), gate.recentlySending(),
                        gate.refused(IngestGate.Refusal.NODE_AT_CAPACITY),
                        gate.refused(IngestGate.Refusal.WORKSPACE_AT_SHARE),
                        gate.refused(IngestGate.Refusal.HEAP_FULL)),
                new AnalyticsThreads(analytics.knownThreadsHeld(), analytics.knownThreadsCapacity(),
                        analytics.knownThreadsMaxBytes()));
    }
}
