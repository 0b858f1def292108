package dev.codexledger.auth;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Key secrets: {@code clk_<id>_<secret>}, where the id is 16 hex digits (it names the key in lists and
 * logs) and the secret 256 random bits. The id lets a check find the one stored hash to compare with, in
 * constant time, instead of looking a hash up in a table. A token of any other form can only be the
 * operator-configured admin key.
 */
final class KeyTokens {

    static final String PREFIX = "clk_";
    static final String CONFIGURED_ADMIN_ID = "configured-admin";
    private static final int ID_HEX_DIGITS = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyTokens() {}

    record Token(String id, String secret) {}

    static Token generate() {
        byte[] id = new byte[ID_HEX_DIGITS / 2];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        String idHex = HexFormat.of().formatHex(id);
        return new Token(idHex, PREFIX + idHex + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** The key id a presented token claims: its embedded id, or the configured admin key's. */
    static String claimedId(String token) {
        return embeddedId(token).orElse(CONFIGURED_ADMIN_ID);
    }

    static Optional<String> embeddedId(String token) {
        int idEnd = PREFIX.length() + ID_HEX_DIGITS;
        if (!token.startsWith(PREFIX) || token.length() <= idEnd + 1 || token.charAt(idEnd) != '_') {
            return Optional.empty();
        }
        String id = token.substring(PREFIX.length(), idEnd);
        return id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                ? Optional.of(id) : Optional.empty();
    }

    static boolean isKeyId(String value) {
        return value.equals(CONFIGURED_ADMIN_ID)
                || (value.length() == ID_HEX_DIGITS && embeddedId(PREFIX + value + "_x").isPresent());
    }
}
