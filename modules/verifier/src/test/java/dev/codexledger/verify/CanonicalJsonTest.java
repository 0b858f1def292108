package dev.codexledger.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 8785's worked example and the test data of its author's reference implementation (cyberphone/json-canonicalization). */
class CanonicalJsonTest {

    private static JsonNode read(String json) throws Exception {
        return CanonicalJson.reader().readTree(json);
    }

    @Test
    void theRfcWorkedExampleByteForByte() throws Exception {
        String input = """
                {
                  "numbers": [333333333.33333329, 1E30, 4.50,
                              2e-3, 0.000000000000000000000000001],
                  "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
                  "literals": [null, true, false]
                }""";
        byte[] expected = HexFormat.of().parseHex((""
                + "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a"
                + "5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d3237"
                + "5d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d"));
        assertArrayEquals(expected, CanonicalJson.canonicalizeAsDoubles(read(input)).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theLedgerRefusesTheExamplesExtraDigitsNamingWhere() throws Exception {
        var refused = assertThrows(CanonicalJson.NotCanonical.class, () -> CanonicalJson.canonicalize(read(
                "{\"numbers\": [333333333.33333329, 1E30]}")));
        assertEquals("numbers[0]", refused.path());
    }

    @Test
    void arrays() throws Exception {
        assertEquals("[56,{\"1\":[],\"10\":null,\"d\":true}]",
                CanonicalJson.canonicalize(read("[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]")));
    }

    @Test
    void structures() throws Exception {
        String input = "{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n"
                + "  \"a\": { },\n  \"111\": [ {\"e\": \"yes\",\"E\": \"no\" } ],\n  \"A\": { }\n}";
        assertEquals("{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},\"111\":[{\"E\":\"no\",\"e\":\"yes\"}],\"A\":{},\"a\":{}}",
                CanonicalJson.canonicalize(read(input)));
    }

    @Test
    void unicodeIsNotNormalized() throws Exception {
        assertEquals("{\"Unnormalized Unicode\":\"A\u030a\"}",
                CanonicalJson.canonicalize(read("{\n  \"Unnormalized Unicode\":  \"A\\u030a\"\n}")));
    }

    @Test
    void frenchSortsByCodeUnitsNotLocale() throws Exception {
        String input = "{\"peach\": \"This sorting order\", \"p\u00e9ch\u00e9\": \"is wrong according to French\","
                + " \"p\u00eache\": \"but canonicalization MUST\", \"sin\": \"ignore locale\"}";
        assertEquals("{\"peach\":\"This sorting order\",\"p\u00e9ch\u00e9\":\"is wrong according to French\","
                + "\"p\u00eache\":\"but canonicalization MUST\",\"sin\":\"ignore locale\"}", CanonicalJson.canonicalize(read(input)));
    }

    @Test
    void weirdByteForByte() throws Exception {
        String input = "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n  \"\\u000a\": \"Newline\",\n"
                + "  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n"
                + "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
                + "  \"</script>\": \"Browser Challenge\"\n}";
        byte[] expected = HexFormat.of().parseHex(("7b 22 5c 6e 22 3a 22 4e 65 77 6c 69 6e 65 22 2c 22 5c 72 22 3a 22 43 61 72 72 69 61 67 65 20 52"
                + " 65 74 75 72 6e 22 2c 22 31 22 3a 22 4f 6e 65 22 2c 22 3c 2f 73 63 72 69 70 74 3e 22 3a 22 42 72"
                + " 6f 77 73 65 72 20 43 68 61 6c 6c 65 6e 67 65 22 2c 22 c2 80 22 3a 22 43 6f 6e 74 72 6f 6c 7f 22"
                + " 2c 22 c3 b6 22 3a 22 4c 61 74 69 6e 20 53 6d 61 6c 6c 20 4c 65 74 74 65 72 20 4f 20 57 69 74 68"
                + " 20 44 69 61 65 72 65 73 69 73 22 2c 22 e2 82 ac 22 3a 22 45 75 72 6f 20 53 69 67 6e 22 2c 22 f0"
                + " 9f 98 82 22 3a 22 53 6d 69 6c 65 79 22 2c 22 ef ac b3 22 3a 22 48 65 62 72 65 77 20 4c 65 74 74"
                + " 65 72 20 44 61 6c 65 74 20 57 69 74 68 20 44 61 67 65 73 68 22 7d").replace(" ", ""));
        assertArrayEquals(expected, CanonicalJson.canonicalUtf8(read(input)));
    }

    /** The examples of what Jackson's BigDecimal notation did to numbers. */
    @Test
    void numbersAsAnyJsonLibraryWritesThem() throws Exception {
        assertEquals("{\"a\":100,\"b\":1000,\"c\":0,\"d\":1.5e-7,\"e\":-12.25,\"f\":1e+30}",
                CanonicalJson.canonicalize(read("{\"a\":100.0,\"b\":1e3,\"c\":-0.0,\"d\":1.5e-7,\"e\":-12.250,\"f\":1E30}")));
    }

    @Test
    void numbersADoubleCannotHoldAreRefusedWithTheirPath() throws Exception {
        for (String number : new String[] {"9007199254740993", "1e400", "-1e400", "0.10000000000000000001", "18446744073709551616",
                "-9223372036854775808"}) {
            var refused = assertThrows(CanonicalJson.NotCanonical.class,
                    () -> CanonicalJson.canonicalize(read("{\"attributes\":{\"ids\":[1," + number + "]}}")), number);
            assertEquals("attributes.ids[1]", refused.path(), number);
        }
    }

    @Test
    void asDoublesTheSmallestLongIsWrittenAsJavaScriptWritesIt() throws Exception {
        assertEquals("[-9223372036854776000]", CanonicalJson.canonicalizeAsDoubles(read("[-9223372036854775808]")));
    }

    @Test
    void loneSurrogatesAreRefused() throws Exception {
        var refused = assertThrows(CanonicalJson.NotCanonical.class,
                () -> CanonicalJson.canonicalize(read("{\"prompt\":\"half an emoji \\ud83d\"}")));
        assertEquals("prompt", refused.path());
        var inName = CanonicalJson.reader().createObjectNode();
        inName.putObject("user").put("\udc00", 1);
        assertEquals("user.\udc00", assertThrows(CanonicalJson.NotCanonical.class, () -> CanonicalJson.canonicalize(inName)).path());
    }

    @Test
    void controlCharactersUseShortEscapesOrLowercaseHex() throws Exception {
        assertEquals("\"\\b\\t\\n\\f\\r\\u0000\\u001f\\u000b\u007f\u2028/\"",
                CanonicalJson.canonicalize(read("\"\\b\\t\\n\\f\\r\\u0000\\u001F\\u000B\\u007f\\u2028\\/\"")));
    }
}
