package dev.codexledger.verify;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * A C2SP signed note: a text ending in a newline, a blank line, then signature lines
 * {@code — <key name> base64(key ID (4 bytes, big-endian) ‖ Ed25519 signature)}. The text is what is signed.
 */
public final class SignedNote {

    private static final String DASH = "\u2014 ";
    private static final int MAX_SIGNATURES = 64;

    /** One signature line. */
    public record Signature(String keyName, int keyId, byte[] signature) {
        String line() {
            byte[] data = ByteBuffer.allocate(4 + signature.length).putInt(keyId).put(signature).array();
            return DASH + keyName + " " + Base64.getEncoder().encodeToString(data) + "\n";
        }
    }

    /** The result of {@link #open}: the text, and which known keys' signatures verified on it. */
    public record Opened(String text, List<NoteKey> verifiedBy) {
    }

    private SignedNote() {
    }

    /** Signs {@code text} (which must end in a newline) with every key given, in order. */
    public static String sign(String text, NoteKey... keys) {
        checkText(text);
        StringBuilder note = new StringBuilder(text).append('\n');
        for (NoteKey key : keys) {
            byte[] signature = key.sign(text.getBytes(StandardCharsets.UTF_8));
            note.append(new Signature(key.name(), key.id(), signature).line());
        }
        return note.toString();
    }

    /** Adds signatures to an already signed note (e.g. a cosignature), keeping the ones it has. */
    public static String addSignature(String note, NoteKey key) {
        Parsed parsed = parse(note);
        return note + new Signature(key.name(), key.id(),
                key.sign(parsed.text.getBytes(StandardCharsets.UTF_8))).line();
    }

    private static void checkText(String text) {
        if (text.isEmpty() || !text.endsWith("\n")) {
            throw new IllegalArgumentException("a note text ends with a newline");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\n') {
                throw new IllegalArgumentException("a note has no control characters but newlines (character " + i + ")");
            }
        }
    }

    private record Parsed(String text, List<Signature> signatures) {
    }

    private static Parsed parse(String note) {
        if (!note.endsWith("\n")) {
            throw new IllegalArgumentException("malformed note: it ends with a newline");
        }
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            throw new IllegalArgumentException("malformed note: no blank line before the signatures");
        }
        String text = note.substring(0, split + 1);
        checkText(text);
        String[] lines = note.substring(split + 2).split("\n", -1);
        List<Signature> signatures = new ArrayList<>();
        // split leaves one empty string after the final newline
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            if (!line.startsWith(DASH)) {
                throw new IllegalArgumentException("malformed note: a signature line starts with an em dash and a space");
            }
            String[] parts = line.substring(DASH.length()).split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty()) {
                throw new IllegalArgumentException("malformed note: a signature line is \u2014 name signature");
            }
            byte[] data;
            try {
                data = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("malformed note: a signature is not base64");
            }
            if (data.length < 5) {
                throw new IllegalArgumentException("malformed note: a signature too short for a key ID");
            }
            signatures.add(new Signature(parts[0], ByteBuffer.wrap(data).getInt(), Arrays.copyOfRange(data, 4, data.length)));
            if (signatures.size() > MAX_SIGNATURES) {
                throw new IllegalArgumentException("malformed note: more than " + MAX_SIGNATURES + " signatures");
            }
        }
        if (signatures.isEmpty()) {
            throw new IllegalArgumentException("malformed note: no signature");
        }
        return new Parsed(text, signatures);
    }

    /**
     * Opens a note with the known keys, as the spec says: signatures of unknown keys (name and ID not both
     * known) are ignored; a known key's signature that fails makes the whole note invalid; at least one known
     * key must have signed.
     *
     * @throws IllegalArgumentException naming why the note is not accepted
     */
    public static Opened open(String note, Collection<NoteKey> known) {
        Parsed parsed = parse(note);
        byte[] message = parsed.text.getBytes(StandardCharsets.UTF_8);
        List<NoteKey> verified = new ArrayList<>();
        for (Signature signature : parsed.signatures) {
            for (NoteKey key : known) {
                if (key.name().equals(signature.keyName()) && key.id() == signature.keyId()) {
                    if (!key.verify(message, signature.signature())) {
                        throw new IllegalArgumentException("the signature of " + key.name() + "+" + key.idHex()
                                + " does not verify");
                    }
                    if (!verified.contains(key)) {
                        verified.add(key);
                    }
                }
            }
        }
        if (verified.isEmpty()) {
            throw new IllegalArgumentException("no signature of a known key");
        }
        return new Opened(parsed.text, List.copyOf(verified));
    }

    /** The text of a note, signatures not checked (to show it; {@link #open} to trust it). */
    public static String textOf(String note) {
        return parse(note).text;
    }
}
