package dev.codexledger.node;

import static dev.codexledger.testing.Records.array;
import static dev.codexledger.testing.Records.record;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A node stopped and replaced by a new ActorSystem recovers state and records from Cassandra. */
@ExtendWith(SharedCassandra.class)
class RecoveryIT {

    private static final Instant T0 = Instant.parse("2026-11-21T08:00:00Z");
    private static final String PATH = "/v1/workspaces/recovering/records";

    @Test
    void stateAndRecordsSurviveANodeRestartAcrossSnapshots() throws Exception {
        String keyspace = TestNodes.newKeyspace("recovery");
        // snapshots every 3 batches, a window of 5 ids: the restart recovers from a snapshot, and the
        // re-sent old batch can only be recognised by reading the records table
        Map<String, Object> small = Map.of("ledger.workspace.snapshot-every", 3,
                "ledger.workspace.dedup-window-bytes", 92);
        List<String> sent = new ArrayList<>();
        LedgerNode.Running first = TestNodes.start(SharedCassandra.contactPoint(), keyspace, small);
        LedgerClient client = new LedgerClient(first.httpAddress(), TestNodes.ADMIN_KEY);
        for (int batch = 0; batch < 7; batch++) {
            String a = record("r-" + batch + "-a", "u", T0.plusSeconds(batch * 10L), "a");
            String b = record("r-" + batch + "-b", "u", T0.plusSeconds(batch * 10L + 1), "b");
            sent.add(array(a, b));
            assertEquals(200, client.post(PATH, "application/json", array(a, b)).status());
        }
        String lastHash = lastRecord(client).get("hash").asText();
        first.stop();

        LedgerNode.Running second = TestNodes.start(SharedCassandra.contactPoint(), keyspace, small);
        try {
            LedgerClient again = new LedgerClient(second.httpAddress(), TestNodes.ADMIN_KEY);
            JsonNode page = again.get(PATH + "?limit=100").body();
            assertEquals(14, page.get("records").size());
            assertEquals(lastHash, lastRecord(again).get("hash").asText());

            for (String batch : sent) {
                LedgerClient.Reply resent = again.post(PATH, "application/json", batch);
                assertEquals(0, resent.body().get("accepted").asInt(), resent.raw().body());
                assertEquals(2, resent.body().get("duplicates").asInt());
            }
            LedgerClient.Reply next = again.post(PATH, "application/json",
                    array(record("r-new", "u", T0.plusSeconds(500), "new")));
            assertEquals(15, next.body().get("first_seq").asLong(), "sequence continues without a gap");
            JsonNode newest = lastRecord(again);
            assertEquals(15, newest.get("seq").asLong());
            assertEquals(dev.codexledger.workspace.Digest.chain(
                    dev.codexledger.workspace.Digest.of(java.util.HexFormat.of().parseHex(lastHash)), 15,
                    dev.codexledger.testing.Records.canonicalContentOf(newest)).hex(), newest.get("hash").asText(), "the chain continues from the old head");
        } finally {
            second.stop();
        }
    }

    private static JsonNode lastRecord(LedgerClient client) {
        JsonNode records = client.get(PATH + "?limit=1000").body().get("records");
        return records.get(records.size() - 1);
    }

}
