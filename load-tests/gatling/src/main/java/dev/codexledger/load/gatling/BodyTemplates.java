package dev.codexledger.load.gatling;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request bodies made by the runner before the run (JSON record batches, OTLP protobuf exports), each
 * holding {@link #MARKER} in every record id. {@link #next()} copies the next template round robin and
 * writes a fresh 16-character token over every marker, so each request carries records the ledger has
 * never seen (it would store a repeated id once) while making a body costs one array copy, not the
 * serialising of 500 records during the measurement. The token has the marker's length, so a protobuf
 * body stays valid.
 *
 * <p>The folder holds {@code index.tsv}: one line per template, {@code file}, {@code path} (the request
 * path), {@code content type}, {@code workspace} (for the {@code X-Ledger-Workspace} header) and the
 * number of records, tab-separated.
 */
final class BodyTemplates {

    /** Written by the runner into every record id of a template; 16 ASCII bytes. */
    static final String MARKER = "@@LEDGER-TOKEN@@";
    private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.US_ASCII);

    record Template(byte[] bytes, int[] markers, String path, String contentType, String workspace, int records) {}

    /** A body ready to send: the request path, its headers' values and the bytes. */
    record Body(String path, String contentType, String workspace, int records, byte[] bytes) {}

    private final List<Template> templates;
    private final String tokenPrefix;
    private final AtomicLong sent = new AtomicLong();

    private BodyTemplates(List<Template> templates, String tokenPrefix) {
        this.templates = templates;
        this.tokenPrefix = tokenPrefix;
    }

    /**
     * The templates in {@code folder}; {@code tokenPrefix} (4 characters) keeps the tokens of two runs
     * over one ledger apart.
     */
    static BodyTemplates load(Path folder, String tokenPrefix) {
        if (tokenPrefix.length() != 4) {
            throw new IllegalArgumentException("token prefix must be 4 characters: " + tokenPrefix);
        }
        try {
            List<Template> templates = new ArrayList<>();
            for (String line : Files.readAllLines(folder.resolve("index.tsv"), StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split("\t");
                byte[] bytes = Files.readAllBytes(folder.resolve(fields[0]));
                int[] markers = markers(bytes);
                if (markers.length == 0) {
                    throw new IllegalArgumentException(fields[0] + " has no " + MARKER);
                }
                templates.add(new Template(bytes, markers, fields[1], fields[2], fields[3], Integer.parseInt(fields[4])));
            }
            if (templates.isEmpty()) {
                throw new IllegalArgumentException("no templates in " + folder);
            }
            return new BodyTemplates(templates, tokenPrefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next template's bytes with a token never used before in place of each marker. */
    Body next() {
        long n = sent.getAndIncrement();
        Template template = templates.get((int) (n % templates.size()));
        byte[] token = (tokenPrefix + String.format("%012d", n)).getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = template.bytes().clone();
        for (int at : template.markers()) {
            System.arraycopy(token, 0, bytes, at, token.length);
        }
        return new Body(template.path(), template.contentType(), template.workspace(), template.records(), bytes);
    }

    static int[] markers(byte[] bytes) {
        List<Integer> found = new ArrayList<>();
        outer:
        for (int i = 0; i + MARKER_BYTES.length <= bytes.length; i++) {
            for (int j = 0; j < MARKER_BYTES.length; j++) {
                if (bytes[i + j] != MARKER_BYTES[j]) {
                    continue outer;
                }
            }
            found.add(i);
            i += MARKER_BYTES.length - 1;
        }
        return found.stream().mapToInt(Integer::intValue).toArray();
    }
}
