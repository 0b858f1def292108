package dev.codexledger.records;

import static dev.codexledger.testing.Records.array;
import static dev.codexledger.testing.Records.ndjson;
import static dev.codexledger.testing.Records.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.workspace.Digest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The records API over a real port, against the real Cassandra the build starts. */
@ExtendWith(SharedCassandra.class)
class RecordsApiIT {

    private static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");
    private static final String JSON = "application/json";
    private static final String NDJSON = "application/x-ndjson";

    private static String keyspace;
    private static LedgerNode.Running node;
    private static LedgerClient client;

    @BeforeAll
    static void startNode() throws Exception {
        keyspace = TestNodes.newKeyspace("records_api");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace,
                Map.of("ledger.records.max-body-bytes", 64 * 1024, "ledger.records.max-batch-content-bytes", 20_000));
        client = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stopNode() throws Exception {
        node.stop();
    }

    private static String records(String workspace) {
        return "/v1/workspaces/" + workspace + "/records";
    }

    private static List<JsonNode> readAll(String workspace, String filters, int pageSize) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            String query = "?limit=" + pageSize + filters + (cursor == null ? "" : "&cursor=" + cursor);
            LedgerClient.Reply page = client.get(records(workspace) + query);
            assertEquals(200, page.status(), page.raw().body());
            page.body().get("records").forEach(all::add);
            cursor = page.body().get("next_cursor").isNull() ? null : page.body().get("next_cursor").asText();
        } while (cursor != null);
        return all;
    }

    @Test
    void acceptedRecordsComeBackInSequenceOrderWithAVerifiableHashChain() {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            batch.add(record("chain-" + i, "user-" + (i % 3), T0.plusSeconds(i), "prompt " + i));
        }
        LedgerClient.Reply first = client.post(records("chain"), NDJSON, ndjson(batch.subList(0, 10).toArray(String[]::new)));
        assertEquals(200, first.status(), first.raw().body());
        assertEquals(10, first.body().get("accepted").asInt());
        assertEquals(1, first.body().get("first_seq").asLong());
        assertEquals(10, first.body().get("last_seq").asLong());
        LedgerClient.Reply second = client.post(records("chain"), JSON, array(batch.subList(10, 25).toArray(String[]::new)));
        assertEquals(11, second.body().get("first_seq").asLong());
        assertEquals(25, second.body().get("last_seq").asLong());

        List<JsonNode> stored = readAll("chain", "", 7);
        assertEquals(25, stored.size());
        Digest previous = Digest.ZERO;
        for (int i = 0; i < stored.size(); i++) {
            JsonNode record = stored.get(i);
            assertEquals(i + 1, record.get("seq").asLong());
            assertEquals("chain-" + i, record.get("event_id").asText());
            Digest expected = Digest.chain(previous, i + 1, dev.codexledger.testing.Records.canonicalContentOf(record));
            assertEquals(expected.hex(), record.get("hash").asText(), "chain hash of seq " + (i + 1));
            previous = Digest.of(HexFormat.of().parseHex(record.get("hash").asText()));
        }
    }


    @Test
    void aResentBatchIsStoredOnceAndACountsAsDuplicates() {
        String body = ndjson(record("dup-1", "u", T0, "a"), record("dup-2", "u", T0.plusSeconds(1), "b"));
        assertEquals(2, client.post(records("dups"), NDJSON, body).body().get("accepted").asInt());
        for (int i = 0; i < 3; i++) {
            LedgerClient.Reply again = client.post(records("dups"), NDJSON, body);
            assertEquals(200, again.status());
            assertEquals(0, again.body().get("accepted").asInt());
            assertEquals(2, again.body().get("duplicates").asInt());
            assertTrue(again.body().get("first_seq").isNull());
        }
        // split differently, with one new record
        LedgerClient.Reply mixed = client.post(records("dups"), JSON,
                array(record("dup-2", "u", T0.plusSeconds(1), "b"), record("dup-3", "u", T0.plusSeconds(2), "c")));
        assertEquals(1, mixed.body().get("accepted").asInt());
        assertEquals(1, mixed.body().get("duplicates").asInt());
        assertEquals(3, mixed.body().get("first_seq").asLong());
        assertEquals(3, readAll("dups", "", 100).size());
    }

    @Test
    void recordsWithoutIdGetADeterministicOneSoReSendsAreRecognised() {
        String noId = "{\"event_type\":\"AUTH_LOG\",\"timestamp\":\"2026-11-20T10:00:00+01:00\",\"action\":\"login\"}";
        LedgerClient.Reply first = client.post(records("noid"), JSON, noId);
        assertEquals(1, first.body().get("accepted").asInt());
        // same content, other offset notation and key order
        String same = "{\"action\":\"login\",\"timestamp\":\"2026-11-20T09:00:00Z\",\"event_type\":\"AUTH_LOG\"}";
        LedgerClient.Reply again = client.post(records("noid"), JSON, same);
        assertEquals(1, again.body().get("duplicates").asInt());
        JsonNode stored = readAll("noid", "", 10).get(0);
        assertTrue(stored.get("event_id").asText().startsWith("sha256:"));
        assertEquals("2026-11-20T09:00:00Z", stored.get("timestamp").asText());
    }

    @Test
    void theSameIdWithOtherContentIsAConflictNamingTheIdAndStoresNothing() {
        client.post(records("conflict"), JSON, array(record("c-1", "u", T0, "original")));
        LedgerClient.Reply conflict = client.post(records("conflict"), JSON,
                array(record("c-2", "u", T0, "new"), record("c-1", "u", T0, "changed")));
        assertEquals(409, conflict.status());
        assertEquals("c-1", conflict.body().get("event_id").asText());
        assertEquals("records[1].event_id", conflict.body().get("field").asText());
        List<JsonNode> stored = readAll("conflict", "", 10);
        assertEquals(1, stored.size(), "nothing of the refused request is stored");
        assertEquals("original", stored.get(0).get("prompt").asText());

        LedgerClient.Reply inBatch = client.post(records("conflict"), JSON,
                array(record("c-9", "u", T0, "x"), record("c-9", "u", T0, "y")));
        assertEquals(409, inBatch.status());
        assertEquals("records[1].event_id", inBatch.body().get("field").asText());
    }

    @Test
    void aBadFieldIsA400NamingItAndNothingOfTheRequestIsStored() {
        String good = record("bad-ok", "u", T0, "fine");
        String badTimestamp = record("bad-ts", "u", T0, "x").replace(T0.toString(), "yesterday");
        LedgerClient.Reply reply = client.post(records("badinput"), NDJSON,
                ndjson(good, good.replace("bad-ok", "bad-ok2"), record("bad-3", "u", T0, "y"), badTimestamp));
        assertEquals(400, reply.status());
        assertEquals("records[3].timestamp", reply.body().get("field").asText());
        assertNotNull(reply.body().get("error"));

        assertEquals("records[0].event_type", client.post(records("badinput"), JSON,
                "[{\"event_type\":\"NOPE\",\"timestamp\":\"2026-11-20T09:00:00Z\"}]").body().get("field").asText());
        assertEquals("records[0].usage.input_tokens", client.post(records("badinput"), JSON,
                "[{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-20T09:00:00Z\",\"usage\":{\"input_tokens\":-1}}]")
                .body().get("field").asText());
        assertEquals(400, client.post(records("badinput"), JSON, "[{\"event_type\":").status());
        assertEquals(400, client.post(records("Bad_Input"), JSON, "[]").status());
        assertEquals(0, readAll("badinput", "", 10).size());

        // the refused requests left other workspaces alone
        assertEquals(200, client.post(records("goodneighbour"), JSON, array(good)).status());
        assertEquals(1, readAll("goodneighbour", "", 10).size());
    }

    @Test
    void wrongContentTypeIs415AndAnOversizedBodyIs413() {
        LedgerClient.Reply wrongType = client.post(records("limits"), "text/plain", record("l", "u", T0, "x"));
        assertEquals(415, wrongType.status());
        assertEquals("Content-Type", wrongType.body().get("field").asText());

        String big = "x".repeat(70 * 1024);
        LedgerClient.Reply tooBig = client.post(records("limits"), JSON, array(record("l-big", "u", T0, big)));
        assertEquals(413, tooBig.status(), tooBig.raw().body());
        assertTrue(tooBig.body().get("error").asText().contains("limit"));
        // within the body limit, but too large to be one journal row once stored
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(record("l-many-" + i, "u", T0.plusSeconds(i), "p" + i));
        }
        LedgerClient.Reply tooMany = client.post(records("limits"), JSON, array(many.toArray(String[]::new)));
        assertEquals(413, tooMany.status(), tooMany.raw().body());
        assertTrue(tooMany.body().get("error").asText().contains("smaller batches"));

        // no Content-Length (chunked): the limit still holds while the body streams in
        java.io.ByteArrayInputStream stream = new java.io.ByteArrayInputStream(
                array(record("l-chunked", "u", T0, big)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        LedgerClient.Reply chunked = client.postStream(records("limits"), JSON, () -> stream);
        assertEquals(413, chunked.status(), chunked.raw().body());
        assertEquals(0, readAll("limits", "", 10).size());
    }

    @Test
    void everyApiCallNeedsAKnownBearerKey() {
        LedgerClient anonymous = new LedgerClient(node.httpAddress(), null);
        assertEquals(401, anonymous.get(records("auth")).status());
        LedgerClient wrong = new LedgerClient(node.httpAddress(), "not-a-key");
        LedgerClient.Reply denied = wrong.post(records("auth"), JSON, array(record("a", "u", T0, "x")));
        assertEquals(401, denied.status());
        assertEquals("Bearer", denied.raw().headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(0, readAll("auth", "", 10).size());
    }

    @Test
    void filtersByUserTypeAndTimeWithCursorPagesThatNeitherSkipNorRepeat() {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(record("f-" + i, i % 2 == 0 ? "alice" : "bob", T0.plusSeconds(60L * i), "p" + i));
        }
        batch.add("{\"event_id\":\"f-auth\",\"event_type\":\"AUTH_LOG\",\"timestamp\":\"2026-11-20T09:05:00Z\"}");
        assertEquals(41, client.post(records("filters"), JSON, array(batch.toArray(String[]::new)))
                .body().get("accepted").asInt());

        List<JsonNode> alice = readAll("filters", "&user=alice", 3);
        assertEquals(20, alice.size());
        assertTrue(alice.stream().allMatch(r -> r.get("user").get("id").asText().equals("alice")));
        assertEquals(20, alice.stream().map(r -> r.get("seq").asLong()).distinct().count());

        List<JsonNode> window = readAll("filters", "&from=2026-11-20T09:10:00Z&to=2026-11-20T09:20:00Z", 4);
        assertEquals(10, window.size(), "from inclusive, to exclusive");
        assertEquals("f-10", window.get(0).get("event_id").asText());

        List<JsonNode> auth = readAll("filters", "&event_type=AUTH_LOG", 5);
        assertEquals(1, auth.size());
        assertEquals(400, client.get(records("filters") + "?limit=0").status());
        assertEquals("cursor", client.get(records("filters") + "?cursor=garbage").body().get("field").asText());
        assertEquals("from", client.get(records("filters") + "?from=noon").body().get("field").asText());
    }

    @Test
    void storedRowsCarryTheRetentionTtl() {
        client.post(records("ttl"), JSON, array(record("ttl-1", "u", T0, "x")));
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            Row row = session.execute("SELECT TTL(content) AS ttl FROM " + keyspace
                    + ".records WHERE workspace = 'ttl' ALLOW FILTERING").one();
            assertNotNull(row);
            int ttl = row.getInt("ttl");
            int thirtyDays = 30 * 24 * 3600;
            assertTrue(ttl > thirtyDays - 120 && ttl <= thirtyDays, "TTL was " + ttl);
            Row id = session.execute("SELECT TTL(seq) AS ttl FROM " + keyspace
                    + ".record_id_index WHERE workspace = 'ttl' AND id_bucket = " + RecordStore.idBucketOf("ttl-1")
                    + " AND event_id = 'ttl-1'").one();
            assertTrue(id.getInt("ttl") > thirtyDays - 120);
            Row table = session.execute("SELECT default_time_to_live, compaction FROM system_schema.tables"
                    + " WHERE keyspace_name = '" + keyspace + "' AND table_name = 'records'").one();
            assertEquals(thirtyDays, table.getInt("default_time_to_live"));
            assertTrue(table.getMap("compaction", String.class, String.class).get("class")
                    .contains("TimeWindowCompactionStrategy"));
            assertFalse(session.execute("SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = '"
                    + keyspace + "' AND table_name = 'messages'").one().getInt(0) > 0, "the journal has no TTL");
        }
    }
}
