package dev.codexledger.otlp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.codexledger.records.InvalidRecords;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import java.io.IOException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Decodes an OTLP/HTTP logs body: {@code application/x-protobuf} with the published
 * opentelemetry-proto classes, or the OTLP JSON mapping (lowerCamelCase, int64 as strings, trace and
 * span ids as hex). Unknown fields are ignored, never a reason to reject.
 */
public final class OtlpDecoder {

    /** Bodies the decoder understands. */
    public enum Encoding { PROTOBUF, JSON }

    private final long maxDecompressedBytes;
    private final ObjectMapper json;
    private final JsonFormat.Parser jsonFormat = JsonFormat.parser().ignoringUnknownFields();

    public OtlpDecoder(long maxDecompressedBytes, int maxJsonDepth) {
        this.maxDecompressedBytes = maxDecompressedBytes;
        this.json = JsonMapper.builder(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxJsonDepth)
                        .maxStringLength((int) Math.min(Integer.MAX_VALUE, maxDecompressedBytes))
                        .build())
                .build()).build();
    }

    /** @throws InvalidRecords (400) for a body that is not a valid request in its encoding */
    public ExportLogsServiceRequest decode(byte[] body, Encoding encoding) {
        return encoding == Encoding.PROTOBUF ? fromProtobuf(body) : fromJson(body);
    }

    private ExportLogsServiceRequest fromProtobuf(byte[] body) {
        try {
            CodedInputStream input = CodedInputStream.newInstance(body);
            input.setSizeLimit(body.length);
            ExportLogsServiceRequest request = ExportLogsServiceRequest.parseFrom(input);
            input.checkLastTagWas(0);
            return request;
        } catch (IOException e) {
            throw new InvalidRecords("body", "not an OTLP ExportLogsServiceRequest: " + e.getMessage());
        }
    }

    private ExportLogsServiceRequest fromJson(byte[] body) {
        JsonNode tree;
        try {
            tree = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidRecords("body", "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidRecords("body", "unreadable JSON: " + e.getMessage());
        } catch (NumberFormatException e) {
            throw new InvalidRecords("body", "malformed JSON: a number out of range");
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidRecords("body", "expected an OTLP ExportLogsServiceRequest JSON object");
        }
        hexIdsToBase64(tree);
        ExportLogsServiceRequest.Builder builder = ExportLogsServiceRequest.newBuilder();
        try {
            jsonFormat.merge(json.writeValueAsString(tree), builder);
        } catch (InvalidProtocolBufferException | JsonProcessingException e) {
            throw new InvalidRecords("body", "not an OTLP logs request: " + e.getMessage());
        }
        return builder.build();
    }

    /**
     * OTLP JSON writes trace and span ids as hex, where the generic protobuf JSON mapping expects base64.
     * Ids that are not hex are left for the protobuf JSON parser, which takes base64 or refuses.
     */
    private static void hexIdsToBase64(JsonNode tree) {
        for (JsonNode resourceLogs : tree.path("resourceLogs")) {
            for (JsonNode scopeLogs : resourceLogs.path("scopeLogs")) {
                for (JsonNode record : scopeLogs.path("logRecords")) {
                    if (record instanceof ObjectNode object) {
                        convertId(object, "traceId");
                        convertId(object, "spanId");
                    }
                }
            }
        }
    }

    private static void convertId(ObjectNode record, String field) {
        JsonNode id = record.get(field);
        if (id == null || !id.isTextual()) {
            return;
        }
        String hex = id.textValue();
        // OTLP JSON says hex; a generic protobuf JSON writer says base64: take hex when it is hex
        if (hex.length() % 2 == 0 && hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            record.put(field, Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex)));
        }
    }
}
