package dev.codexledger.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline verifier over an export built here as the ledger writes one, clean and tampered. */
class ExportVerifierTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final NoteKey KEY = NoteKey.generate("test.local");
    private static final String ORIGIN = "test.local/acme";

    /** An export of {@code n} records: canonical content, chain hash, as the records API writes lines. */
    static List<String> export(int n, String salt) {
        List<String> lines = new ArrayList<>();
        byte[] previous = new byte[32];
        for (int seq = 1; seq <= n; seq++) {
            ObjectNode content = CanonicalJson.reader().createObjectNode()
                    .put("event_id", salt + "-" + seq).put("event_type", "CODEX_LOG")
                    .put("prompt", "prompt " + seq + " " + salt).put("timestamp", "2026-12-07T10:00:00Z");
            content.putObject("usage").put("input_tokens", seq).put("output_tokens", 1.5 * seq);
            String canonical = CanonicalJson.canonicalize(content);
            byte[] hash = ExportVerifier.chain(previous, seq, canonical.getBytes(StandardCharsets.UTF_8));
            lines.add("{\"seq\":" + seq + ",\"hash\":\"" + HEX.formatHex(hash) + "\"," + canonical.substring(1));
            previous = hash;
        }
        return lines;
    }

    /** A signed checkpoint over the first {@code size} lines, computed independently of the verifier's loop. */
    static String checkpoint(List<String> lines, int size, NoteKey key) {
        List<byte[]> leaves = new ArrayList<>();
        for (String line : lines.subList(0, size)) {
            ObjectNode content = (ObjectNode) read(line);
            content.remove("seq");
            content.remove("hash");
            leaves.add(Merkle.leafHash(CanonicalJson.canonicalUtf8(content)));
        }
        return SignedNote.sign(new Checkpoint(ORIGIN, size, Merkle.root(Merkle.overLeaves(leaves), size)).text(), key);
    }

    private static com.fasterxml.jackson.databind.JsonNode read(String line) {
        try {
            return CanonicalJson.reader().readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ExportVerifier.Result verify(List<String> lines, List<String> notes) throws Exception {
        return ExportVerifier.verify(new BufferedReader(new StringReader(String.join("\n", lines) + "\n")), notes,
                List.of(KEY.verifierOnly()));
    }

    @Test
    void aCleanExportVerifies() throws Exception {
        List<String> lines = export(1000, "a");
        ExportVerifier.Result result = verify(lines, List.of(checkpoint(lines, 300, KEY), checkpoint(lines, 1000, KEY)));
        assertTrue(result.valid(), result.toString());
        assertEquals(1000, result.records());
        assertEquals(List.of(300L, 1000L), result.checkpointSizes());
    }

    @Test
    void everyTamperingIsFoundAtItsSeq() throws Exception {
        List<String> clean = export(200, "a");
        List<String> notes = List.of(checkpoint(clean, 100, KEY), checkpoint(clean, 200, KEY));

        List<String> content = new ArrayList<>(clean);
        content.set(41, content.get(41).replace("prompt 42 a", "prompt 42 b"));
        assertInvalidAt(verify(content, notes), 42, "chain");

        List<String> hash = new ArrayList<>(clean);
        String line = hash.get(9);
        int at = line.indexOf("\"hash\":\"") + 8;
        hash.set(9, line.substring(0, at) + (line.charAt(at) == '0' ? '1' : '0') + line.substring(at + 1));
        assertInvalidAt(verify(hash, notes), 10, "chain");

        List<String> deleted = new ArrayList<>(clean);
        deleted.remove(49);
        assertInvalidAt(verify(deleted, notes), 50, "missing");

        List<String> inserted = new ArrayList<>(clean);
        inserted.add(60, clean.get(60));
        assertInvalidAt(verify(inserted, notes), 62, "again");

        List<String> swapped = new ArrayList<>(clean);
        Collections.swap(swapped, 70, 71);
        assertInvalidAt(verify(swapped, notes), 71, "out of order");

        List<String> truncated = new ArrayList<>(clean.subList(0, 150));
        assertInvalidAt(verify(truncated, notes), 151, "removed from its end");

        // rewritten consistently: a new chain and a new tree over other content, so only the signatures tell
        List<String> rewritten = export(200, "forged");
        ExportVerifier.Result forgedWithOldCheckpoints = verify(rewritten, notes);
        assertFalse(forgedWithOldCheckpoints.valid());
        assertTrue(forgedWithOldCheckpoints.reason().contains("rewritten"), forgedWithOldCheckpoints.reason());
        NoteKey forger = NoteKey.generate("test.local");
        ExportVerifier.Result forgedAndSigned = verify(rewritten, List.of(checkpoint(rewritten, 200, forger)));
        assertFalse(forgedAndSigned.valid(), "signed by a key that is not the log's");
        assertTrue(forgedAndSigned.reason().contains("not validly signed"), forgedAndSigned.reason());

        // an old checkpoint presented as the newest: the records after it are not covered
        ExportVerifier.Result replayed = verify(clean, List.of(checkpoint(clean, 100, KEY)));
        assertInvalidAt(replayed, 101, "not covered");

        // a log that signed two different trees of one size has forked
        List<String> other = export(200, "b");
        ExportVerifier.Result forked = verify(clean, List.of(checkpoint(clean, 100, KEY), checkpoint(other, 100, KEY)));
        assertFalse(forked.valid());
        assertTrue(forked.reason().contains("forked"), forked.reason());
    }

    private static void assertInvalidAt(ExportVerifier.Result result, long seq, String why) {
        assertFalse(result.valid(), result.toString());
        assertEquals(seq, result.firstWrongSeq(), result.toString());
        assertTrue(result.reason().contains(why), result.toString());
    }

    @Test
    void theCommandLineSaysValidOrTheFirstWrongSeq(@TempDir Path dir) throws Exception {
        List<String> lines = export(50, "c");
        Path export = Files.writeString(dir.resolve("export.jsonl"), String.join("\n", lines) + "\n");
        Path note = Files.writeString(dir.resolve("checkpoint.txt"), checkpoint(lines, 50, KEY));
        Path keys = Files.writeString(dir.resolve("keys.json"),
                "{\"keys\":[{\"verifier_key\":\"" + KEY.verifierKey() + "\"}]}");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = VerifyCommand.run(new String[] {"export", export.toString(), "--checkpoints", note.toString(),
                "--keys", keys.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, status, out.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("valid: 50 records"));

        List<String> tampered = new ArrayList<>(lines);
        tampered.set(20, tampered.get(20).replace("prompt 21", "prompt 99"));
        Files.writeString(export, String.join("\n", tampered) + "\n");
        out.reset();
        status = VerifyCommand.run(new String[] {"export", export.toString(), "--checkpoints", note.toString(),
                "--keys", KEY.verifierKey()}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(1, status);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("INVALID at seq 21"), out.toString(StandardCharsets.UTF_8));

        assertEquals(2, VerifyCommand.run(new String[] {"export"}, new PrintStream(out), new PrintStream(new ByteArrayOutputStream())));
    }
}
