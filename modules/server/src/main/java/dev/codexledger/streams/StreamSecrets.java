package dev.codexledger.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.http.BadRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secrets of stream destinations (a HEC token, an HMAC secret, a SASL password). A value given in the
 * API is stored only encrypted — AES-256-GCM under {@code ledger.streams.secrets-key}, which every node
 * has and Cassandra never sees, with the destination's field as associated data — or not stored at all: a
 * reference {@code {"env": NAME}} or {@code {"file": PATH}} is read on the node that delivers. The API
 * never returns a secret.
 */
public final class StreamSecrets {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Optional<SecretKeySpec> key;
    private final Function<String, String> environment;

    /** {@code base64Key}: 32 bytes in base64, or empty (then only references are accepted). */
    public StreamSecrets(String base64Key, Function<String, String> environment) {
        if (base64Key == null || base64Key.isBlank()) {
            this.key = Optional.empty();
        } else {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(base64Key.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ledger.streams.secrets-key is not base64", e);
            }
            if (bytes.length != 32) {
                throw new IllegalArgumentException("ledger.streams.secrets-key must be 32 bytes (base64 of 32 random"
                        + " bytes, e.g. openssl rand -base64 32), got " + bytes.length);
            }
            this.key = Optional.of(new SecretKeySpec(bytes, "AES"));
        }
        this.environment = environment;
    }

    /** The stored form of a secret from the request: encrypted, or the reference as given. */
    ObjectNode seal(JsonNode given, String field) {
        if (given == null || given.isNull()) {
            throw new BadRequest(field, "required: the secret, or {\"env\": NAME} / {\"file\": PATH} naming where each node reads it");
        }
        if (given.isObject()) {
            if (given.size() == 1 && given.path("env").isTextual() && given.get("env").asText().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                return JSON.createObjectNode().put("env", given.get("env").asText());
            }
            if (given.size() == 1 && given.path("file").isTextual() && given.get("file").asText().startsWith("/")) {
                return JSON.createObjectNode().put("file", given.get("file").asText());
            }
            throw new BadRequest(field, "a reference is {\"env\": NAME} (a variable name) or {\"file\": ABSOLUTE_PATH}");
        }
        if (!given.isTextual() || given.asText().isEmpty()) {
            throw new BadRequest(field, "expected the secret as a non-empty string, or a reference {\"env\": NAME} / {\"file\": PATH}");
        }
        if (key.isEmpty()) {
            throw new BadRequest(field, "this ledger stores no secrets: set ledger.streams.secrets-key"
                    + " (LEDGER_STREAM_SECRETS_KEY, the same on every node) or give {\"env\": NAME} / {\"file\": PATH}");
        }
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.get(), new GCMParameterSpec(128, nonce));
            cipher.updateAAD(field.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(given.asText().getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return JSON.createObjectNode().put("encrypted", Base64.getEncoder().encodeToString(out));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** The secret's value on this node (thrown as a delivery failure when it cannot be read). */
    String open(JsonNode stored, String field) {
        if (stored.has("env")) {
            String value = environment.apply(stored.get("env").asText());
            if (value == null || value.isEmpty()) {
                throw new IllegalStateException(field + ": environment variable " + stored.get("env").asText()
                        + " is not set on this node");
            }
            return value;
        }
        if (stored.has("file")) {
            try {
                return Files.readString(Path.of(stored.get("file").asText()), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalStateException(field + ": cannot read " + stored.get("file").asText() + ": " + e, e);
            }
        }
        if (key.isEmpty()) {
            throw new IllegalStateException(field + ": stored encrypted, and this node has no ledger.streams.secrets-key");
        }
        try {
            byte[] in = Base64.getDecoder().decode(stored.get("encrypted").asText());
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.get(), new GCMParameterSpec(128, in, 0, 12));
            cipher.updateAAD(field.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(field + ": cannot decrypt (is ledger.streams.secrets-key the same on every node?)", e);
        }
    }
}
