package dev.codexledger.verify;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/ledger verify} and {@code bin/ledger keygen}: the offline verifier, with nothing of the server.
 * Exit status 0: valid; 1: invalid (the first wrong seq and why on stdout); 2: wrong usage or unreadable input.
 */
public final class VerifyCommand {

    static final String USAGE = """
            usage:
              bin/ledger verify export <export.jsonl> --checkpoints <file>... --keys <file or verifier key>...
                  [--origin <log>] [--to-newest-checkpoint]
                  every record of a workspace export (GET /v1/workspaces/{ws}/records/export) in order: seqs without
                  a gap, the hash chain, and the Merkle root at each signed checkpoint; the newest checkpoint must
                  cover the export.
              bin/ledger verify record <record.json> --proof <proof.json> --checkpoints <file> --keys <file or key>...
                  one record (as the records API returns it) with its inclusion proof
                  (GET …/log/proofs/inclusion?seq=N) against a signed checkpoint.
              bin/ledger keygen <name>
                  a new Ed25519 signing key for ledger.checkpoints.signing-key (name = the origin), and its verifier key.

              --checkpoints: a signed note, or the JSON of GET …/log/checkpoints (every note in it is used).
              --keys: a verifier key (name+id+base64), or a file of them (one per line), or the JSON of GET …/log/keys.
              --origin: the log the checkpoints must be of (e.g. codex-ledger.local/acme); the verdict names it anyway.
              --to-newest-checkpoint: verify the export's records up to the newest checkpoint given and ignore later ones
                  (a live workspace's export runs past it). Without it, records after the newest checkpoint are INVALID
                  ("not covered"), which is how an old checkpoint presented as the newest is caught.
            """;

    private VerifyCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 2 && args[0].equals("keygen")) {
                NoteKey key = NoteKey.generate(args[1]);
                out.println("signing key (secret): " + key.signerKey());
                out.println("verifier key:         " + key.verifierKey());
                return 0;
            }
            if (args.length < 2 || !(args[0].equals("export") || args[0].equals("record"))) {
                err.print(USAGE);
                return 2;
            }
            Path subject = Path.of(args[1]);
            List<String> notes = new ArrayList<>();
            List<NoteKey> keys = new ArrayList<>();
            Path proof = null;
            String origin = null;
            boolean toNewest = false;
            for (int i = 2; i < args.length; i++) {
                String option = args[i];
                if (option.equals("--to-newest-checkpoint")) {
                    toNewest = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    err.println(option + " needs a value");
                    return 2;
                }
                String value = args[++i];
                switch (option) {
                    case "--checkpoints" -> notes.addAll(notesIn(value));
                    case "--keys" -> keys.addAll(keysIn(value));
                    case "--proof" -> proof = Path.of(value);
                    case "--origin" -> origin = value;
                    default -> {
                        err.println("unknown option " + option);
                        err.print(USAGE);
                        return 2;
                    }
                }
            }
            if (keys.isEmpty() || notes.isEmpty()) {
                err.println("give at least one --checkpoints and one --keys");
                return 2;
            }
            if (args[0].equals("export")) {
                try (BufferedReader reader = Files.newBufferedReader(subject, StandardCharsets.UTF_8)) {
                    ExportVerifier.Result result = toNewest ? ExportVerifier.verifyToNewestCheckpoint(reader, notes, keys)
                            : ExportVerifier.verify(reader, notes, keys);
                    if (result.valid() && origin != null && !origin.equals(result.origin())) {
                        out.println("INVALID: the checkpoints are of log " + result.origin() + ", not " + origin);
                        return 1;
                    }
                    out.println(result);
                    return result.valid() ? 0 : 1;
                }
            }
            if (proof == null || notes.size() != 1) {
                err.println("verify record needs --proof and exactly one checkpoint");
                return 2;
            }
            JsonNode record = CanonicalJson.reader().readTree(Files.readString(subject));
            JsonNode proofJson = CanonicalJson.reader().readTree(Files.readString(proof));
            String verdict = ExportVerifier.verifyRecord(record, proofJson, notes.get(0), keys);
            out.println(verdict);
            return verdict.startsWith("valid") ? 0 : 1;
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot verify: " + e.getMessage());
            return 2;
        }
    }

    private static List<String> notesIn(String file) throws IOException {
        String text = Files.readString(Path.of(file));
        if (text.stripLeading().startsWith("{")) {
            JsonNode json = CanonicalJson.reader().readTree(text);
            List<String> notes = new ArrayList<>();
            json.path("checkpoints").forEach(c -> notes.add(c.path("note").asText()));
            if (json.has("note")) {
                notes.add(json.get("note").asText());
            }
            return notes;
        }
        return List.of(text);
    }

    private static List<NoteKey> keysIn(String value) throws IOException {
        Path file = Path.of(value);
        if (!Files.isRegularFile(file)) {
            return List.of(NoteKey.parseVerifier(value));
        }
        String text = Files.readString(file);
        List<NoteKey> keys = new ArrayList<>();
        if (text.stripLeading().startsWith("{")) {
            CanonicalJson.reader().readTree(text).path("keys")
                    .forEach(k -> keys.add(NoteKey.parseVerifier(k.path("verifier_key").asText())));
            return keys;
        }
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                keys.add(NoteKey.parseVerifier(line.trim()));
            }
        }
        return keys;
    }
}
