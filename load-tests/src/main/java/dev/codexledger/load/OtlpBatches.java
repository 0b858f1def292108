package dev.codexledger.load;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Instant;

/** OTLP protobuf export requests shaped like a Codex CLI's (codex.tool_result records), each record unique. */
final class OtlpBatches {

    private static final String OUTPUT = ("total 48\ndrwxr-xr-x  6 dev dev 4096 Nov 22 10:15 .\n"
            + "-rw-r--r--  1 dev dev 2210 Nov 22 10:15 pom.xml\n-rw-r--r--  1 dev dev 5120 Nov 22 10:15 README.md\n"
            + "drwxr-xr-x  4 dev dev 4096 Nov 22 10:15 modules\nProcess exited with code 0\n").repeat(2);

    private OtlpBatches() {}

    static byte[] request(String prefix, long firstSequence, int size) {
        ScopeLogs.Builder scope = ScopeLogs.newBuilder()
                .setScope(InstrumentationScope.newBuilder().setName("codex_otel.log_only"));
        for (int i = 0; i < size; i++) {
            long sequence = firstSequence + i;
            scope.addLogRecords(log(prefix + "-" + sequence, sequence));
        }
        return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .setResource(Resource.newBuilder()
                        .addAttributes(kv("service.name", "codex_cli_rs"))
                        .addAttributes(kv("service.version", "0.169.0"))
                        .addAttributes(kv("host.name", "dev-laptop"))
                        .addAttributes(kv("env", "prod")))
                .addScopeLogs(scope)).build().toByteArray();
    }

    private static LogRecord log(String id, long sequence) {
        Instant at = Instant.ofEpochSecond(1_795_300_000L + sequence / 100, (sequence % 100) * 10_000_000L);
        int user = (int) (sequence % 200);
        return LogRecord.newBuilder()
                .setObservedTimeUnixNano(at.getEpochSecond() * 1_000_000_000L + at.getNano())
                .setSeverityNumberValue(9).setSeverityText("INFO")
                .addAttributes(kv("event.name", "codex.tool_result"))
                .addAttributes(kv("tool_name", "exec_command"))
                .addAttributes(kv("call_id", "call_" + id))
                .addAttributes(kv("duration_ms", "99"))
                .addAttributes(kv("success", "true"))
                .addAttributes(kv("arguments", "{\"cmd\": \"ls -la\"}"))
                .addAttributes(kv("output", OUTPUT))
                .addAttributes(kv("event.timestamp", at.toString()))
                .addAttributes(kv("conversation.id", "conv-" + (sequence / 40)))
                .addAttributes(kv("app.version", "0.169.0"))
                .addAttributes(kv("originator", "codex_cli_rs"))
                .addAttributes(kv("user.account_id", "user-" + user))
                .addAttributes(kv("user.email", "user-" + user + "@acme.example"))
                .addAttributes(kv("model", "gpt-5-codex"))
                .build();
    }

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }
}
