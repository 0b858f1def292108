package dev.codexledger.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Verifies a workspace's export (the JSON lines of {@code GET …/records/export}: each record's canonical
 * content plus {@code seq} and {@code hash}) against signed checkpoints, offline. In order:
 * <ol>
 *   <li>every checkpoint note is signed by one of the given keys, and all name the same log;</li>
 *   <li>the records run 1, 2, 3, … without a gap;</li>
 *   <li>each record's chain hash is SHA-256(previous hash ‖ seq as 8 bytes big-endian ‖ canonical content)
 *       (an erased record's stored hash is taken as it is);</li>
 *   <li>the Merkle root of the first N records equals the root of each checkpoint of size N
 *       (an erased record's leaf is the {@code leaf_hash} its marker kept);</li>
 *   <li>the newest checkpoint covers the whole export.</li>
 * </ol>
 * The first failure is reported with the seq where it was found and why.
 */
public final class ExportVerifier {

    private static final HexFormat HEX = HexFormat.of();

    /** What verification found: valid, or the first wrong seq (0 when no single record is to blame) and why. */
    public record Result(boolean valid, long records, long firstWrongSeq, String reason, List<Long> checkpointSizes,
                         String origin) {

        public Result(boolean valid, long records, long firstWrongSeq, String reason, List<Long> checkpointSizes) {
            this(valid, records, firstWrongSeq, reason, checkpointSizes, "");
        }

        static Result valid(long records, List<Long> sizes, String origin) {
            return new Result(true, records, 0, "", sizes, origin);
        }

        static Result invalid(long records, long seq, String reason, List<Long> sizes) {
            return new Result(false, records, seq, reason, sizes, "");
        }

        @Override
        public String toString() {
            return valid ? "valid: " + records + " records of log " + origin + ", chain intact, checkpoints "
                    + checkpointSizes + " verified"
                    : "INVALID" + (firstWrongSeq > 0 ? " at seq " + firstWrongSeq : "") + ": " + reason;
        }
    }

    /** The export line's shape ({@code StoredRecord.toJson}): seq and hash first, then the stored content's members. */
    private static final java.util.regex.Pattern LINE = java.util.regex.Pattern.compile(
            "^\\{\"seq\":[0-9]+,\"hash\":\"[0-9a-f]{64}\",(.*)$", java.util.regex.Pattern.DOTALL);

    /**
     * The content bytes the ledger hashed: cut from the line as the API wrote it (so records stored before the
     * canonical form was RFC 8785 verify too), or canonicalized when the line was written otherwise.
     */
    static byte[] contentOf(String line, ObjectNode content) {
        java.util.regex.Matcher matcher = LINE.matcher(line);
        if (matcher.matches()) {
            return ("{" + matcher.group(1)).getBytes(StandardCharsets.UTF_8);
        }
        return CanonicalJson.canonicalUtf8(content);
    }

    private record Signed(Checkpoint checkpoint, List<NoteKey> signers) {
    }

    private ExportVerifier() {
    }

    /**
     * @param export      the export's lines
     * @param notes       checkpoint notes (any order)
     * @param keys        the log's public keys (verifier keys)
     */
    public static Result verify(BufferedReader export, Collection<String> notes, Collection<NoteKey> keys) throws IOException {
        return verify(export.lines().iterator(), java.util.Collections.emptyIterator(), notes, keys, checked -> { });
    }

    /**
     * As {@link #verify(BufferedReader, Collection, Collection)}, but records after the newest checkpoint are
     * not read (a live workspace's export runs past it): what is verified is the log up to that checkpoint.
     */
    public static Result verifyToNewestCheckpoint(BufferedReader export, Collection<String> notes, Collection<NoteKey> keys)
            throws IOException {
        long newest = 0;
        for (String note : notes) {
            try {
                newest = Math.max(newest, Checkpoint.parse(SignedNote.textOf(note)).size());
            } catch (IllegalArgumentException e) {
                // reported by verify, which opens every note
            }
        }
        long limit = newest;
        java.util.Iterator<String> lines = export.lines().filter(line -> !line.isBlank()).limit(limit).iterator();
        return verify(lines, java.util.Collections.emptyIterator(), notes, keys, checked -> { });
    }

    /**
     * As {@link #verify(BufferedReader, Collection, Collection)}, over lines from anywhere, telling {@code progress}
     * every 1,000 records.
     *
     * @param expired the leaf hashes of the records before the first line (those past retention, known only by
     *                their leaf hashes), from seq 1; none when the lines start at seq 1. The first line's link to
     *                its predecessor cannot be checked then: its stored hash starts the chain.
     */
    public static Result verify(java.util.Iterator<String> export, java.util.Iterator<byte[]> expired,
                                Collection<String> notes, Collection<NoteKey> keys,
                                java.util.function.LongConsumer progress) throws IOException {
        List<Signed> checkpoints = new ArrayList<>();
        for (String note : notes) {
            SignedNote.Opened opened;
            try {
                opened = SignedNote.open(note, keys);
            } catch (IllegalArgumentException e) {
                return Result.invalid(0, 0, "a checkpoint is not validly signed by the given keys: " + e.getMessage(), List.of());
            }
            checkpoints.add(new Signed(Checkpoint.parse(opened.text()), opened.verifiedBy()));
        }
        checkpoints.sort(Comparator.comparingLong(s -> s.checkpoint().size()));
        List<Long> sizes = checkpoints.stream().map(s -> s.checkpoint().size()).toList();
        if (checkpoints.stream().map(s -> s.checkpoint().origin()).distinct().count() > 1) {
            return Result.invalid(0, 0, "the checkpoints name different logs: "
                    + checkpoints.stream().map(s -> s.checkpoint().origin()).distinct().toList(), sizes);
        }
        for (int i = 1; i < checkpoints.size(); i++) {
            Checkpoint a = checkpoints.get(i - 1).checkpoint();
            Checkpoint b = checkpoints.get(i).checkpoint();
            if (a.size() == b.size() && !Arrays.equals(a.root(), b.root())) {
                return Result.invalid(0, 0, "two signed checkpoints of size " + a.size() + " have different roots: the log forked", sizes);
            }
        }

        MerkleFrontier tree = MerkleFrontier.EMPTY;
        int nextCheckpoint = 0;
        while (expired.hasNext()) {
            tree = tree.append(expired.next());
            while (nextCheckpoint < checkpoints.size() && checkpoints.get(nextCheckpoint).checkpoint().size() == tree.size()) {
                if (!Arrays.equals(tree.root(), checkpoints.get(nextCheckpoint).checkpoint().root())) {
                    return Result.invalid(tree.size(), 0, "the leaf hashes of the first " + tree.size() + " (expired) records"
                            + " do not have the root of the checkpoint signed at that size", sizes);
                }
                nextCheckpoint++;
            }
            if (tree.size() % 100_000 == 0) {
                progress.accept(tree.size());
            }
        }
        byte[] previous = tree.size() == 0 ? new byte[32] : null;
        long seq = tree.size();
        while (export.hasNext()) {
            String line = export.next();
            if (line.isBlank()) {
                continue;
            }
            if (seq % 1000 == 0) {
                progress.accept(seq);
            }
            JsonNode record;
            try {
                record = CanonicalJson.reader().readTree(line);
            } catch (IOException e) {
                return Result.invalid(seq, seq + 1, "line " + (seq + 1) + " is not JSON", sizes);
            }
            long expected = seq + 1;
            long found = record.path("seq").asLong(-1);
            if (found != expected) {
                return Result.invalid(seq, expected, found < 0 ? "a record without a seq"
                        : found > expected ? "record " + expected + " is missing or out of order (found " + found + " where it belongs)"
                        : "record " + found + " again, or out of order (expected " + expected + ")", sizes);
            }
            seq = expected;
            byte[] stored;
            try {
                stored = HEX.parseHex(record.path("hash").asText(""));
            } catch (IllegalArgumentException e) {
                stored = new byte[0];
            }
            if (stored.length != 32) {
                return Result.invalid(seq, seq, "its hash is not 64 hex digits", sizes);
            }
            ObjectNode content = record.deepCopy();
            content.remove("seq");
            content.remove("hash");
            byte[] leaf;
            if (content.path("erased").asBoolean(false)) {
                try {
                    leaf = HEX.parseHex(content.path("leaf_hash").asText(""));
                } catch (IllegalArgumentException e) {
                    leaf = new byte[0];
                }
                if (leaf.length != 32) {
                    return Result.invalid(seq, seq, "an erased record without its leaf_hash", sizes);
                }
            } else {
                byte[] canonical;
                try {
                    canonical = contentOf(line.strip(), content);
                } catch (CanonicalJson.NotCanonical e) {
                    return Result.invalid(seq, seq, "its content is not canonical JSON: " + e.getMessage(), sizes);
                }
                byte[] chained = previous == null ? stored : chain(previous, seq, canonical);
                if (!Arrays.equals(chained, stored)) {
                    return Result.invalid(seq, seq, "its content and hash do not match the chain (content changed, "
                            + "or a record before it was removed, inserted or swapped)", sizes);
                }
                leaf = Merkle.leafHash(canonical);
            }
            previous = stored;
            tree = tree.append(leaf);
            while (nextCheckpoint < checkpoints.size() && checkpoints.get(nextCheckpoint).checkpoint().size() == seq) {
                Checkpoint checkpoint = checkpoints.get(nextCheckpoint).checkpoint();
                if (!Arrays.equals(tree.root(), checkpoint.root())) {
                    return Result.invalid(seq, 0, "the first " + seq + " records do not have the root of the checkpoint"
                            + " signed at that size: the records were rewritten after it was signed", sizes);
                }
                nextCheckpoint++;
            }
        }
        if (nextCheckpoint < checkpoints.size()) {
            long size = checkpoints.get(nextCheckpoint).checkpoint().size();
            return Result.invalid(seq, seq + 1, "a checkpoint was signed at " + size + " records but the export ends at "
                    + seq + ": records were removed from its end", sizes);
        }
        if (checkpoints.isEmpty()) {
            return Result.invalid(seq, 0, "no checkpoint given: the chain alone proves nothing against a consistent rewrite", sizes);
        }
        long newest = checkpoints.get(checkpoints.size() - 1).checkpoint().size();
        if (seq > newest) {
            return Result.invalid(seq, newest + 1, "records after " + newest + " are not covered by a checkpoint given "
                    + "(fetch a newer one; an old checkpoint presented as the latest is caught here)", sizes);
        }
        return Result.valid(seq, sizes, checkpoints.get(0).checkpoint().origin());
    }

    /** SHA-256(previous ‖ seq as 8 bytes big-endian ‖ content). */
    static byte[] chain(byte[] previous, long seq, byte[] content) {
        MessageDigest sha = Merkle.sha256();
        sha.update(previous);
        sha.update(ByteBuffer.allocate(8).putLong(seq).array());
        sha.update(content);
        return sha.digest();
    }

    /** Checks one record's inclusion proof (as {@code …/log/proofs/inclusion} gives it) against a signed checkpoint. */
    public static String verifyRecord(JsonNode record, JsonNode proof, String note, Collection<NoteKey> keys) {
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.parse(SignedNote.open(note, keys).text());
        } catch (IllegalArgumentException e) {
            return "INVALID: the checkpoint is not validly signed by the given keys: " + e.getMessage();
        }
        long seq = record.path("seq").asLong(-1);
        if (seq != proof.path("seq").asLong(-2)) {
            return "INVALID: the proof is for seq " + proof.path("seq") + ", the record is seq " + seq;
        }
        if (proof.path("tree_size").asLong(-1) != checkpoint.size()) {
            return "INVALID: the proof is for a tree of " + proof.path("tree_size") + ", the checkpoint has " + checkpoint.size();
        }
        ObjectNode content = record.deepCopy();
        content.remove("seq");
        content.remove("hash");
        byte[] leaf;
        try {
            leaf = content.path("erased").asBoolean(false) ? HEX.parseHex(content.path("leaf_hash").asText())
                    : Merkle.leafHash(CanonicalJson.canonicalUtf8(content));
        } catch (CanonicalJson.NotCanonical | IllegalArgumentException e) {
            return "INVALID at seq " + seq + ": the record's content cannot be hashed: " + e.getMessage();
        }
        List<byte[]> path = new ArrayList<>();
        proof.path("proof").forEach(h -> path.add(HEX.parseHex(h.asText())));
        if (!Merkle.verifyInclusion(seq - 1, checkpoint.size(), leaf, path, checkpoint.root())) {
            return "INVALID at seq " + seq + ": the record is not in the tree the checkpoint signed";
        }
        return "valid: record " + seq + " is in " + checkpoint.origin() + " at size " + checkpoint.size();
    }

    static String decode(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
