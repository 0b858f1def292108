package dev.codexledger.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Creates keys over the admin API, as an operator would. */
public final class Keys {

    public record Created(String id, String secret) {}

    private Keys() {}

    public static Created create(LedgerClient admin, String workspace, String name, String... scopes) {
        String body = "{\"workspace\":\"" + workspace + "\",\"name\":\"" + name + "\",\"scopes\":["
                + Arrays.stream(scopes).map(s -> "\"" + s + "\"").collect(Collectors.joining(",")) + "]}";
        LedgerClient.Reply reply = admin.post("/v1/admin/keys", "application/json", body);
        assertEquals(201, reply.status(), reply.raw().body());
        return new Created(reply.body().get("id").asText(), reply.body().get("secret").asText());
    }
}
