package dev.codexledger.load.gatling;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.tryMax;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Simulation;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Ingest as OTLP exporters send it, closed model: {@code ingest.users} exporters (virtual users, each on
 * its own keep-alive connection), each sending one batch (JSON records or an OTLP protobuf export, made
 * by the runner, see {@link BodyTemplates}) and waiting for the acknowledgement before the next. A 429 or 503 (the node pushing back) is retried with the same body
 * after 100 ms, as an exporter retries; in Gatling's report each refusal is a KO of the request, the
 * accepted batch an OK. First {@code ingest.warmup.seconds} of the same load under the request name
 * {@code warm-up}, then {@code ingest.seconds} measured under {@code ingest.name}.
 *
 * <p>System properties: {@code ledger.base}, {@code ledger.key}, {@code ingest.bodies} (the templates'
 * folder), {@code ingest.name}, {@code ingest.token} (4 characters, unique per run), {@code ingest.users}
 * (8), {@code ingest.seconds} (30), {@code ingest.warmup.seconds} (10).
 */
public class IngestSimulation extends Simulation {

    private final BodyTemplates templates = BodyTemplates.load(Path.of(Ledger.required("ingest.bodies")),
            Ledger.required("ingest.token"));
    private final int users = Ledger.integer("ingest.users", 8);

    private ChainBuilder sendBatch(String requestName) {
        return exec(session -> {
                    BodyTemplates.Body body = templates.next();
                    return session.set("path", body.path()).set("contentType", body.contentType())
                            .set("workspace", body.workspace()).set("body", body.bytes());
                })
                .exec(tryMax(600, "attempt").on(
                        doIf(session -> session.getInt("attempt") > 0).then(pause(Duration.ofMillis(100))),
                        exec(http(requestName).post("#{path}")
                                .header("Content-Type", "#{contentType}")
                                .header("X-Ledger-Workspace", "#{workspace}")
                                .body(ByteArrayBody(session -> session.<byte[]>get("body")))
                                .check(status().is(200)))));
    }

    /** {@code users} exporters sending batch after batch for {@code duration}, each on its own connection. */
    private PopulationBuilder exporters(String name, Duration duration) {
        return scenario(name).during(duration, false).on(sendBatch(name)).injectOpen(atOnceUsers(users));
    }

    {
        String name = Ledger.required("ingest.name");
        setUp(exporters("warm-up", Ledger.seconds("ingest.warmup.seconds", 10))
                .andThen(exporters(name, Ledger.seconds("ingest.seconds", 30))))
                .protocols(Ledger.protocol());
    }
}
