package dev.codexledger.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.records.InvalidRecords;
import dev.codexledger.records.RecordParser;
import dev.codexledger.verify.CanonicalJson;
import dev.codexledger.verify.EcmaNumbers;
import dev.codexledger.workspace.NewRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stored canonical content against an independent RFC 8785 implementation: the npm package
 * {@code canonicalize} 4.0.0 run by node (installed from the npm registry into target/ on first use).
 * Whatever we store, JavaScript's {@code canonicalize(JSON.parse(text))} must give back byte for byte: over
 * the real Codex captures, the fuzz corpus, random doubles and random strings.
 */
class CanonicalFormAgainstNodeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path NPM = Path.of("target", "jcs-npm").toAbsolutePath();
    private static final RecordParser PARSER = new RecordParser(1000, 64, 1 << 20);

    @BeforeAll
    static void installCanonicalize() throws Exception {
        if (!Files.exists(NPM.resolve("node_modules/canonicalize/package.json"))) {
            Files.createDirectories(NPM);
            run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", NPM.toString(), "canonicalize@4.0.0"), "");
        }
        Files.writeString(NPM.resolve("canon.mjs"), """
                import canonicalize from 'canonicalize';
                import { readFileSync } from 'node:fs';
                const texts = JSON.parse(readFileSync(0, 'utf8'));
                process.stdout.write(JSON.stringify(texts.map(t => canonicalize(JSON.parse(t)))));
                """);
    }

    private static String run(List<String> command, String stdin) throws Exception {
        Path out = Files.createTempFile(NPM, "out", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), command + " did not finish");
        assertEquals(0, process.exitValue(), command + " failed");
        String result = Files.readString(out);
        Files.delete(out);
        return result;
    }

    /** node's canonical form of each JSON text. */
    private static List<String> byNode(List<String> texts) throws Exception {
        String output = run(List.of("node", NPM.resolve("canon.mjs").toString()), JSON.writeValueAsString(texts));
        List<String> canonical = new ArrayList<>();
        JSON.readTree(output).forEach(node -> canonical.add(node.textValue()));
        assertEquals(texts.size(), canonical.size());
        return canonical;
    }

    private static void assertNodeAgrees(List<String> ours) throws Exception {
        assertTrue(ours.size() > 0);
        List<String> theirs = byNode(ours);
        for (int i = 0; i < ours.size(); i++) {
            assertEquals(theirs.get(i), ours.get(i), "text " + i);
        }
    }

    @Test
    void everyCodexCaptureIsStoredAsJavaScriptCanonicalizesIt() throws Exception {
        OtlpDecoder decoder = new OtlpDecoder(64 << 20, 64);
        OtlpLogs logs = new OtlpLogs(PARSER, 1 << 20, 100_000, Clock.systemUTC());
        List<String> contents = new ArrayList<>();
        for (String name : List.of("json-003.json", "json-005.json", "optin-004.json")) {
            logs.toRecords(decoder.decode(Fixtures.bytes(name), OtlpDecoder.Encoding.JSON)).records()
                    .forEach(record -> contents.add(record.contentText()));
        }
        logs.toRecords(decoder.decode(Fixtures.bytes("protobuf-004.bin"), OtlpDecoder.Encoding.PROTOBUF)).records()
                .forEach(record -> contents.add(record.contentText()));
        assertTrue(contents.size() >= 20, contents.size() + " records");
        assertNodeAgrees(contents);
    }

    @Test
    void everyAcceptedFuzzCorpusRecordIsStoredAsJavaScriptCanonicalizesIt() throws Exception {
        List<String> contents = new ArrayList<>();
        Path corpus = Path.of("src/test/resources/dev/codexledger/records/RecordParserFuzzTestInputs");
        try (Stream<Path> files = Files.walk(corpus)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] body = Files.readAllBytes(file);
                try {
                    List<NewRecord> records = file.getParent().getFileName().toString().startsWith("ndjson")
                            ? PARSER.parseNdjson(body) : PARSER.parseJson(body);
                    records.forEach(record -> contents.add(record.contentText()));
                } catch (InvalidRecords refused) {
                    // refused inputs store nothing
                }
            }
        }
        assertNodeAgrees(contents);
    }

    @Test
    void randomDoublesAreWrittenAsJavaScriptWritesThem() throws Exception {
        SplittableRandom random = new SplittableRandom(20261207);
        List<String> literals = new ArrayList<>();
        List<String> ours = new ArrayList<>();
        while (literals.size() < 20_000) {
            double value = switch (literals.size() % 4) {
                case 0 -> Double.longBitsToDouble(random.nextLong());
                case 1 -> random.nextDouble() * Math.pow(10, random.nextInt(-8, 23));
                case 2 -> Math.round(random.nextDouble() * 1e6) / 100.0;
                default -> (double) random.nextLong(-(1L << 60), 1L << 60);
            };
            if (!Double.isFinite(value)) {
                continue;
            }
            literals.add(Double.toString(value));
            ours.add(EcmaNumbers.format(value));
        }
        assertEquals(byNode(literals), ours);
    }

    @Test
    void randomStringsAndKeysAreEscapedAndSortedAsJavaScriptDoes() throws Exception {
        SplittableRandom random = new SplittableRandom(8785);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            ObjectNode object = JSON.createObjectNode();
            for (int k = 0; k < 6; k++) {
                ArrayNode values = object.putArray(randomString(random));
                values.add(randomString(random)).add(random.nextInt(-1000, 1000));
            }
            texts.add(CanonicalJson.canonicalize(object));
        }
        assertNodeAgrees(texts);
    }

    /** Code points from every range that escaping and UTF-16 ordering treat differently. */
    private static String randomString(SplittableRandom random) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(0, 8);
        for (int i = 0; i < length; i++) {
            int codePoint = switch (random.nextInt(7)) {
                case 0 -> random.nextInt(0, 0x20);
                case 1 -> "\"\\/\u007f\u2028\u2029".codePointAt(random.nextInt(6));
                case 2 -> random.nextInt(0x20, 0x7f);
                case 3 -> random.nextInt(0x80, 0x800);
                case 4 -> random.nextInt(0xe000, 0x10000);
                case 5 -> random.nextInt(0x10000, 0x110000);
                default -> random.nextInt(0x800, 0xd800);
            };
            text.appendCodePoint(codePoint);
        }
        return text.toString();
    }

    @Test
    void whatNodeWouldChangeSilentlyTheLedgerRefusesNamingTheField() throws IOException {
        String body = "[{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-12-07T10:00:00Z\",\"attributes\":{\"n\":[1,9007199254740993]}}]";
        InvalidRecords refused = org.junit.jupiter.api.Assertions.assertThrows(InvalidRecords.class,
                () -> PARSER.parseJson(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals("records[0].attributes.n[1]", refused.field());
        String lossless = "[{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-12-07T10:00:00Z\",\"attributes\":{\"n\":100.0,\"m\":1e3,\"z\":-0.0,\"s\":1.5e-7}}]";
        String content = PARSER.parseJson(lossless.getBytes(StandardCharsets.UTF_8)).get(0).contentText();
        assertTrue(content.startsWith("{\"attributes\":{\"m\":1000,\"n\":100,\"s\":1.5e-7,\"z\":0},"), content);
    }
}
