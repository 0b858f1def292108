package dev.codexledger.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.http.BadRequest;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Destination settings: secrets sealed and opened, never shown; filters; the jitter of retries. */
class StreamDestinationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    @Test
    void anInlineSecretIsStoredEncryptedBoundToItsFieldAndNeverShown() throws Exception {
        StreamSecrets secrets = new StreamSecrets(KEY, name -> null);
        StreamDestination d = StreamDestination.parse(JSON.readTree("""
                {"name": "s", "type": "splunk_hec", "splunk_hec": {"url": "https://splunk:8088", "token": "tok-123"}}"""),
                "dst_1", Instant.EPOCH, "key:x", secrets);
        ObjectNode stored = (ObjectNode) d.config().get("token");
        assertFalse(stored.toString().contains("tok-123"));
        assertEquals("tok-123", secrets.open(stored, "splunk_hec.token"));
        // the ciphertext is bound to its field: moved to another field it does not open
        assertThrows(IllegalStateException.class, () -> secrets.open(stored, "https.secret"));
        // another key does not open it
        assertThrows(IllegalStateException.class, () -> new StreamSecrets(
                "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", n -> null).open(stored, "splunk_hec.token"));
        assertFalse(d.view().toString().contains(stored.get("encrypted").asText()));
        assertTrue(d.view().toString().contains("\"stored\":\"encrypted\""));
    }

    @Test
    void withoutAKeyOnlyReferencesAreAccepted() throws Exception {
        StreamSecrets secrets = new StreamSecrets("", Map.of("LEDGER_STREAM_SECRET_HOOK", "from-env")::get);
        BadRequest refused = assertThrows(BadRequest.class, () -> StreamDestination.parse(JSON.readTree("""
                {"name": "h", "type": "https", "https": {"url": "https://x", "secret": "inline"}}"""),
                "dst_2", Instant.EPOCH, "key:x", secrets));
        assertEquals("https.secret", refused.field());
        StreamDestination d = StreamDestination.parse(JSON.readTree("""
                {"name": "h", "type": "https", "https": {"url": "https://x", "secret": {"env": "LEDGER_STREAM_SECRET_HOOK"}}}"""),
                "dst_2", Instant.EPOCH, "key:x", secrets);
        assertEquals("from-env", secrets.open(d.config().get("secret"), "https.secret"));
        assertTrue(d.view().toString().contains("LEDGER_STREAM_SECRET_HOOK"), "a reference is not a secret");
    }

    @Test
    void filtersLetThroughWhatTheyName() {
        StreamDestination.Filters filters = new StreamDestination.Filters(java.util.Set.of("CODEX_LOG"),
                java.util.Set.of("alice"), java.util.Set.of());
        assertTrue(filters.passes("CODEX_LOG", "alice", null));
        assertFalse(filters.passes("AUTH_LOG", "alice", null));
        assertFalse(filters.passes("CODEX_LOG", null, null));
        assertTrue(StreamDestination.Filters.ALL.passes("AUTH_LOG", null, null));
    }

    @Test
    void retriesBackOffExponentiallyWithJitterUpToTheMaximum() {
        StreamLane.Backoff backoff = new StreamLane.Backoff(java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(60));
        for (int i = 0; i < 200; i++) {
            long first = backoff.millis(1);
            assertTrue(first >= 500 && first <= 1500, "first retry " + first);
            long fourth = backoff.millis(4);
            assertTrue(fourth >= 4000 && fourth <= 12000, "fourth retry " + fourth);
            long late = backoff.millis(40);
            assertTrue(late >= 30000 && late <= 90000, "capped " + late);
        }
    }
}
