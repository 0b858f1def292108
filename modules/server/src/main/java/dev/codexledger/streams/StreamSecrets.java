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
    /** Only variables with this prefix may be named by {@code {"env": NAME}}. */
    static final String ENV_PREFIX = "LEDGER_STREAM_SECRET_";
    private final Optional<SecretKeySpec> key;
    private final Function<String, String> environment;
    private final Optional<Path> filesDir;

    /** {@code base64Key}: 32 bytes in base64, or empty (then only references are accepted). */
    public StreamSecrets(String base64Key, Function<String, String> environment) {
        this(base64Key, environment, "");
    }

    /**
     * {@code filesDir}: the only directory {@code {"file": PATH}} may name (empty: no file references) — a
     * reference is read on the node and sent to the destination's host, so it must not reach anything else
     * the node can read (its environment, its own keys).
     */
    public StreamSecrets(String base64Key, Function<String, String> environment, String filesDir) {
        this.filesDir = filesDir == null || filesDir.isBlank() ? Optional.empty()
                : Optional.of(Path.of(filesDir).toAbsolutePath().normalize());
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
            if (given.size() == 1 && given.path("env").isTextual()) {
                if (!given.get("env").asText().matches(ENV_PREFIX + "[A-Za-z0-9_]+")) {
                    throw new BadRequest(field, "a variable reference must name a variable starting with " + ENV_PREFIX
                            + " (the node's other variables are not for destinations to read)");
                }
                return JSON.createObjectNode().put("env", given.get("env").asText());
            }
            if (given.size() == 1 && given.path("file").isTextual()) {
                if (allowedFile(given.get("file").asText()).isEmpty()) {
                    throw new BadRequest(field, filesDir.isEmpty()
                            ? "file references are off: set ledger.streams.secret-files-dir (LEDGER_STREAM_SECRET_FILES_DIR)"
                            : "a file reference must be a file in " + filesDir.get());
                }
                return JSON.createObjectNode().put("file", given.get("file").asText());
            }
            throw new BadRequest(field, "a reference is {\"env\": \"" + ENV_PREFIX + "…\"} or {\"file\": PATH}");
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

    /** The referenced file, if it is inside the secret files directory (after resolving links). */
    private Optional<Path> allowedFile(String name) {
        if (filesDir.isEmpty() || !name.startsWith("/")) {
            return Optional.empty();
        }
        Path path = Path.of(name).normalize();
        try {
            Path real = Files.exists(path) ? path.toRealPath() : path;
            Path dir = Files.exists(filesDir.get()) ? filesDir.get().toRealPath() : filesDir.get();
            return real.startsWith(dir) && !real.equals(dir) ? Optional.of(real) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The secret's value on this node (thrown as a delivery failure when it cannot be read). */
    String open(JsonNode stored, String field) {
        if (stored.has("env")) {
            if (!stored.get("env").asText().startsWith(ENV_PREFIX)) {
                throw new IllegalStateException(field + ": only variables starting with " + ENV_PREFIX + " are read");
            }
            String value = environment.apply(stored.get("env").asText());
            if (value == null || value.isEmpty()) {
                throw new IllegalStateException(field + ": environment variable " + stored.get("env").asText()
                        + " is not set on this node");
            }
            return value;
        }
        if (stored.has("file")) {
            Optional<Path> file = allowedFile(stored.get("file").asText());
            if (file.isEmpty()) {
                throw new IllegalStateException(field + ": " + stored.get("file").asText() + " is not in the secret files"
                        + " directory of this node");
            }
            try {
                return Files.readString(file.get(), StandardCharsets.UTF_8).strip();
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
