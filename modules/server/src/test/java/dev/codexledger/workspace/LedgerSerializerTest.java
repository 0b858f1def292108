package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The persisted forms of the ledger's events and snapshots. The golden files hold bytes written by
 * released versions: they must always still read back the same. Never edit one; add a new version.
 */
class LedgerSerializerTest {

    private final LedgerSerializer serializer = new LedgerSerializer(1000);

    static RecordsAppended sampleEvent() {
        NewRecord first = new NewRecord("evt-1", "CODEX_LOG", 1_763_800_000_000_000L, "user-1",
                "{\"event_id\":\"evt-1\",\"event_type\":\"CODEX_LOG\",\"prompt\":\"hello\"}");
        NewRecord second = new NewRecord("evt-2", "CODEX_SECURITY_LOG", 1_763_800_001_500_000L, "",
                "{\"action\":\"tool_decision\",\"event_id\":\"evt-2\",\"event_type\":\"CODEX_SECURITY_LOG\"}");
        LedgerRecord a = LedgerRecord.append(first, 41, Digest.sha256("previous head"));
        LedgerRecord b = LedgerRecord.append(second, 42, a.chainHash());
        return new RecordsAppended(1_763_800_002_000_000L, List.of(a, b));
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = LedgerSerializerTest.class.getResourceAsStream("/golden/" + name + ".hex")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }

    @Test
    void recordsAppendedV1ReadsFromItsGoldenBytes() throws Exception {
        byte[] bytes = HexFormat.of().parseHex(golden("RecordsAppended.v1"));
        assertEquals(sampleEvent(), serializer.fromBinary(bytes, LedgerSerializer.RECORDS_APPENDED_V1));
    }

    @Test
    void recordsAppendedV2IsWrittenTodayAndReadsFromItsGoldenBytes() throws Exception {
        RecordsAppended event = sampleEvent();
        assertEquals(LedgerSerializer.RECORDS_APPENDED_V2, serializer.manifest(event));
        byte[] today = serializer.toBinary(event);
        assertEquals(event, serializer.fromBinary(today, LedgerSerializer.RECORDS_APPENDED_V2));
        // LZ4 implementations may compress differently, so the golden check is on reading, not writing
        byte[] golden = HexFormat.of().parseHex(golden("RecordsAppended.v2"));
        assertEquals(event, serializer.fromBinary(golden, LedgerSerializer.RECORDS_APPENDED_V2));
    }

    @Test
    void aTruncatedCompressedEventIsRefused() {
        byte[] today = serializer.toBinary(sampleEvent());
        byte[] truncated = java.util.Arrays.copyOf(today, today.length - 20);
        assertThrows(RuntimeException.class,
                () -> serializer.fromBinary(truncated, LedgerSerializer.RECORDS_APPENDED_V2));
    }

    @Test
    void snapshotV1ReadsFromItsGoldenBytesWithAConservativeWindow() throws Exception {
        RecordsAppended event = sampleEvent();
        LedgerState state = LedgerState.empty(1000).apply(event);
        assertEquals(LedgerSerializer.SNAPSHOT_V1, serializer.manifest(state));
        byte[] bytes = HexFormat.of().parseHex(golden("WorkspaceLedgerSnapshot.v1"));
        LedgerState restored = (LedgerState) serializer.fromBinary(bytes, LedgerSerializer.SNAPSHOT_V1);
        assertEquals(43, restored.nextSeq());
        assertEquals(event.records().get(1).chainHash(), restored.headHash());
        assertEquals(event, restored.lastBatch());
        assertEquals(0, restored.window().size(), "a snapshot carries no ids");
        assertEquals(1_763_800_001_500_001L, restored.window().horizonMicros(),
                "everything accepted before the snapshot is below the horizon");
        assertEquals(golden("WorkspaceLedgerSnapshot.v1"), HexFormat.of().formatHex(serializer.toBinary(state)));
    }

    /** A snapshot with the Merkle tree's right edge (and the edge before its last batch): same manifest, more fields. */
    @Test
    void snapshotV1WithTheTreeIsWrittenAndReadAsItsGoldenBytes() throws Exception {
        RecordsAppended first = new RecordsAppended(1_763_800_000_000_000L, List.of(
                LedgerRecord.append(new NewRecord("t-1", "CODEX_LOG", 1L, "u", "{\"event_id\":\"t-1\"}"), 1, Digest.ZERO)));
        LedgerState one = LedgerState.empty(1000).apply(first);
        List<LedgerRecord> next = new java.util.ArrayList<>();
        Digest previous = first.records().get(0).chainHash();
        for (int seq = 2; seq <= 6; seq++) {
            LedgerRecord record = LedgerRecord.append(new NewRecord("t-" + seq, "CODEX_LOG", seq, "u",
                    "{\"event_id\":\"t-" + seq + "\"}"), seq, previous);
            next.add(record);
            previous = record.chainHash();
        }
        LedgerState state = one.apply(new RecordsAppended(1_763_800_000_000_001L, next));
        assertEquals(6, state.tree().size());
        assertEquals(1, state.treeBeforeLastBatch().size());
        String today = HexFormat.of().formatHex(serializer.toBinary(state));
        String golden = golden("WorkspaceLedgerSnapshot.v1-tree");
        assertEquals(golden, today, "written as released");
        LedgerState restored = (LedgerState) serializer.fromBinary(HexFormat.of().parseHex(golden), LedgerSerializer.SNAPSHOT_V1);
        assertEquals(state.tree(), restored.tree());
        assertEquals(state.treeBeforeLastBatch(), restored.treeBeforeLastBatch());
        assertEquals(state.lastBatchTreeWrites().entries().size(), restored.lastBatchTreeWrites().entries().size());
    }

    @Test
    void recordsForgottenV1IsWrittenAndReadAsItsGoldenBytes() throws Exception {
        RecordsForgotten event = new RecordsForgotten(1_800_000_000_000_000L, List.of(3L, 7L));
        assertEquals(LedgerSerializer.RECORDS_FORGOTTEN_V1, serializer.manifest(event));
        assertEquals(golden("RecordsForgotten.v1"), HexFormat.of().formatHex(serializer.toBinary(event)));
        assertEquals(event, serializer.fromBinary(HexFormat.of().parseHex(golden("RecordsForgotten.v1")),
                LedgerSerializer.RECORDS_FORGOTTEN_V1));
    }

    @Test
    void anErasedRecordWithoutUserIdSerializes() throws Exception {
        RecordsAppended erased = sampleEvent().forget(List.of(sampleEvent().records().get(0).seq()),
                1_800_000_000_000_000L);
        RecordsAppended back = (RecordsAppended) serializer.fromBinary(serializer.toBinary(erased),
                LedgerSerializer.RECORDS_APPENDED_V2);
        assertEquals("", back.records().get(0).userId(), "no user id: the proto default");
        assertEquals(erased.records().get(0).content(), back.records().get(0).content());
    }

    @Test
    void unknownManifestsAndTypesAreRefused() {
        assertThrows(java.io.NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Nope.v9"));
        assertThrows(IllegalArgumentException.class, () -> serializer.manifest("a string"));
        assertEquals(7301, serializer.identifier());
    }
}
