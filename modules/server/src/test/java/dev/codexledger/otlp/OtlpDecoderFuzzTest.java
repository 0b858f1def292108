package dev.codexledger.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.codexledger.records.InvalidRecords;
import dev.codexledger.records.RecordParser;
import java.time.Clock;

/**
 * The OTLP decoder and mapper under Jazzer: any body ends in records plus rejections, or in
 * {@link InvalidRecords} (400); any other exception is a finding. Regression inputs live under
 * {@code OtlpDecoderFuzzTestInputs/}.
 */
class OtlpDecoderFuzzTest {

    private static final OtlpDecoder DECODER = new OtlpDecoder(1 << 20, 64);
    private static final OtlpLogs LOGS = new OtlpLogs(new RecordParser(1000, 64, 1 << 20), 64 * 1024, 1000,
            Clock.systemUTC());

    @FuzzTest(maxDuration = "30m")
    void protobufBody(byte[] body) {
        decode(body, OtlpDecoder.Encoding.PROTOBUF);
    }

    @FuzzTest(maxDuration = "30m")
    void jsonBody(byte[] body) {
        decode(body, OtlpDecoder.Encoding.JSON);
    }

    private static void decode(byte[] body, OtlpDecoder.Encoding encoding) {
        try {
            var request = DECODER.decode(body, encoding);
            OtlpLogs.Batch batch = LOGS.toRecords(request);
            long logRecords = request.getResourceLogsList().stream()
                    .flatMap(r -> r.getScopeLogsList().stream()).mapToLong(s -> s.getLogRecordsCount()).sum();
            assertEquals(logRecords, batch.records().size() + batch.rejected(), "every log record accounted for");
            // the facts read with the decode are the facts of the stored content (what read-backs see)
            batch.records().forEach(record -> assertEquals(
                    dev.codexledger.workspace.RecordFacts.read(record.content().toByteArray()), record.facts()));
        } catch (InvalidRecords expected) {
            assertNotNull(expected.field());
        }
    }
}
