package dev.codexledger.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) over a Jackson tree: object members sorted by their names'
 * UTF-16 code units, no whitespace, strings with the minimal escaping of ECMAScript's {@code JSON.stringify},
 * numbers as ECMAScript writes doubles ({@link EcmaNumbers}).
 *
 * <p>Two things JCS cannot carry are refused with a {@link NotCanonical} naming where they are, instead of
 * being changed silently:
 * <ul>
 *   <li>a number whose exact value is not kept by the double it reads as (integers beyond 2^53 that are not
 *       doubles, decimals with more precision than a double, values beyond ±1.8e308): send it as a string;</li>
 *   <li>a string holding a lone UTF-16 surrogate (I-JSON, RFC 7493, forbids them; UTF-8 cannot carry them).</li>
 * </ul>
 * Numbers read from text should be parsed as {@link BigDecimal} ({@link #reader()} does), so that the check
 * sees the value that was sent, not a double it was already rounded to.
 */
public final class CanonicalJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final ObjectMapper READER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private CanonicalJson() {
    }

    /** A value JCS cannot represent; {@code path} is where (e.g. {@code attributes.size[2]}, empty for the root). */
    public static final class NotCanonical extends RuntimeException {
        private final String path;
        private final String reason;

        public NotCanonical(String path, String reason) {
            super((path.isEmpty() ? "the value" : path) + ": " + reason);
            this.path = path;
            this.reason = reason;
        }

        public String path() {
            return path;
        }

        public String reason() {
            return reason;
        }
    }

    /** A mapper that reads JSON text keeping every number's exact value (for {@link #canonicalize(JsonNode)}). */
    public static ObjectMapper reader() {
        return READER;
    }

    /** The canonical form of a JSON text. */
    public static String canonicalize(String json) {
        try {
            return canonicalize(READER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The canonical form of a tree; numbers must survive exactly ({@link NotCanonical} otherwise). This is
     * what the ledger applies to records.
     */
    public static String canonicalize(JsonNode node) {
        return canonicalize(node, true);
    }

    /**
     * RFC 8785 as written: every number is first read as the nearest double, as ECMAScript does, so
     * {@code 333333333.33333329} becomes {@code 333333333.3333333} (the RFC's own example). Only NaN,
     * infinities and lone surrogates are refused.
     */
    public static String canonicalizeAsDoubles(JsonNode node) {
        return canonicalize(node, false);
    }

    private static String canonicalize(JsonNode node, boolean exactNumbers) {
        StringBuilder out = new StringBuilder(256);
        write(node, out, new StringBuilder(), exactNumbers);
        return out.toString();
    }

    public static byte[] canonicalUtf8(JsonNode node) {
        return canonicalize(node).getBytes(StandardCharsets.UTF_8);
    }

    private static void write(JsonNode node, StringBuilder out, StringBuilder path, boolean exact) {
        switch (node.getNodeType()) {
            case OBJECT -> writeObject(node, out, path, exact);
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    int mark = path.length();
                    path.append('[').append(i).append(']');
                    write(node.get(i), out, path, exact);
                    path.setLength(mark);
                }
                out.append(']');
            }
            case STRING -> writeString(node.textValue(), out, path);
            case NUMBER -> out.append(number(node, path, exact));
            case BOOLEAN -> out.append(node.booleanValue() ? "true" : "false");
            case NULL -> out.append("null");
            default -> throw new NotCanonical(path.toString(), "not a JSON value (" + node.getNodeType() + ")");
        }
    }

    private static void writeObject(JsonNode node, StringBuilder out, StringBuilder path, boolean exact) {
        List<Map.Entry<String, JsonNode>> members = new ArrayList<>(node.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            members.add(it.next());
        }
        // String.compareTo compares UTF-16 code units, which is exactly the order RFC 8785 section 3.2.3 asks for
        members.sort(Map.Entry.comparingByKey());
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, JsonNode> member : members) {
            if (!first) {
                out.append(',');
            }
            first = false;
            int mark = path.length();
            if (mark > 0) {
                path.append('.');
            }
            path.append(member.getKey());
            writeString(member.getKey(), out, path);
            out.append(':');
            write(member.getValue(), out, path, exact);
            path.setLength(mark);
        }
        out.append('}');
    }

    private static String number(JsonNode node, StringBuilder path, boolean exactNumbers) {
        if (node.isDouble() || node.isFloat() || !exactNumbers) {
            // already a binary floating point value: nothing to lose, only NaN and infinities to refuse
            double value = node.isBigDecimal() || node.isBigInteger()
                    ? Double.parseDouble(node.asText()) : node.doubleValue();
            if (!Double.isFinite(value)) {
                throw new NotCanonical(path.toString(), "JSON has no " + value);
            }
            return EcmaNumbers.format(value);
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            long value = node.longValue();
            if (value >= -(1L << 53) && value <= (1L << 53)) {
                return Long.toString(value);
            }
        }
        BigDecimal exact = node.isBigDecimal() ? node.decimalValue() : new BigDecimal(node.bigIntegerValue());
        if (!EcmaNumbers.survives(exact)) {
            throw new NotCanonical(path.toString(), "the number " + abbreviated(exact.toString())
                    + " is not exactly an IEEE 754 double, so RFC 8785 canonical JSON would change it; send it as a string");
        }
        return EcmaNumbers.format(exact.doubleValue());
    }

    private static String abbreviated(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    private static void writeString(String text, StringBuilder out, StringBuilder path) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(i + 1))) {
                        out.append(c).append(text.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        throw new NotCanonical(path.toString(), "a lone UTF-16 surrogate (\\u"
                                + Integer.toHexString(c) + ") at character " + i + ": not valid in I-JSON or UTF-8");
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
