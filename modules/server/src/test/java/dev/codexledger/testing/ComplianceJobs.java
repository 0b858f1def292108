package dev.codexledger.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/** Starts compliance jobs (erasures, holds) over the API and waits for them to finish, as a client would. */
public final class ComplianceJobs {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private ComplianceJobs() {}

    /** Requests an erasure (202) and returns the job once it is done. */
    public static JsonNode erase(LedgerClient client, String workspace, String body) {
        LedgerClient.Reply started = client.post("/v1/compliance/workspaces/" + workspace + "/erasures",
                "application/json", body);
        assertEquals(202, started.status(), started.raw().body());
        return awaitErasure(client, workspace, started.body().get("id").asText());
    }

    public static JsonNode awaitErasure(LedgerClient client, String workspace, String id) {
        return await(() -> client.get("/v1/compliance/workspaces/" + workspace + "/erasures/" + id), "done");
    }

    /** Creates a hold (201) and returns it once the records already stored are copied (state active). */
    public static JsonNode hold(LedgerClient client, String workspace, String body) {
        LedgerClient.Reply created = client.post("/v1/compliance/workspaces/" + workspace + "/holds",
                "application/json", body);
        assertEquals(201, created.status(), created.raw().body());
        return awaitHold(client, workspace, created.body().get("id").asText());
    }

    public static JsonNode awaitHold(LedgerClient client, String workspace, String id) {
        return await(() -> {
            LedgerClient.Reply list = client.get("/v1/compliance/workspaces/" + workspace + "/holds");
            for (JsonNode hold : list.body().get("holds")) {
                if (hold.get("id").asText().equals(id)) {
                    return new LedgerClient.Reply(list.status(), hold, list.raw());
                }
            }
            throw new AssertionError("hold " + id + " not listed: " + list.raw().body());
        }, "active");
    }

    private static JsonNode await(java.util.function.Supplier<LedgerClient.Reply> poll, String state) {
        return Eventually.until(PATIENCE, () -> {
            LedgerClient.Reply reply = poll.get();
            assertEquals(200, reply.status(), reply.raw().body());
            String now = reply.body().get("state").asText();
            if (now.equals("failed")) {
                throw new AssertionError("expected state " + state + ": " + reply.body());
            }
            return reply.body();
        }, job -> job.get("state").asText().equals(state));
    }
}
