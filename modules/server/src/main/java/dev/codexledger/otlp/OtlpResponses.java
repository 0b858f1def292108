package dev.codexledger.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;

/** ExportLogsServiceResponse bodies, in the encoding of the request. */
final class OtlpResponses {

    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final ContentType PROTOBUF =
            ContentTypes.create(MediaTypes.applicationBinary("x-protobuf", false));

    private OtlpResponses() {}

    static HttpResponse exported(OtlpDecoder.Encoding encoding, OtlpLogs.Batch batch) {
        ExportLogsServiceResponse.Builder response = ExportLogsServiceResponse.newBuilder();
        if (batch.rejected() > 0) {
            response.setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
                    .setRejectedLogRecords(batch.rejected())
                    .setErrorMessage(batch.rejectionMessage()));
        }
        if (encoding == OtlpDecoder.Encoding.PROTOBUF) {
            return HttpResponse.create().withEntity(PROTOBUF, response.build().toByteArray());
        }
        try {
            return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, JSON.print(response));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a built response always prints", e);
        }
    }
}
