package dev.codexledger.verify;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * An Ed25519 key of the C2SP signed-note format: a name, the key ID SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]
 * and the 32-byte public key; written as the verifier key {@code name+hex(id)+base64(0x01 ‖ public key)}.
 * A signing key also holds the 32-byte seed, written {@code PRIVATE+KEY+name+hex(id)+base64(0x01 ‖ seed)}
 * (the golang.org/x/mod/sumdb/note encoding). Ed25519 comes from the JDK (RFC 8032).
 */
public final class NoteKey {

    static final byte ED25519 = 0x01;
    // DER prefixes of a raw Ed25519 key in X.509 SubjectPublicKeyInfo and in PKCS#8 (RFC 8410)
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");

    private final String name;
    private final byte[] publicKey;
    private final byte[] seed; // null for a verifier key
    private final int id;

    private NoteKey(String name, byte[] publicKey, byte[] seed) {
        checkName(name);
        if (publicKey.length != 32) {
            throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + publicKey.length);
        }
        this.name = name;
        this.publicKey = publicKey.clone();
        this.seed = seed == null ? null : seed.clone();
        this.id = keyId(name, publicKey);
    }

    public static void checkName(String name) {
        if (name == null || name.isEmpty() || name.chars().anyMatch(c -> c == '+' || Character.isWhitespace(c)
                || Character.isSpaceChar(c) || c < 0x20)) {
            throw new IllegalArgumentException("a key name is non-empty, without spaces or '+': " + name);
        }
    }

    /** The key ID of an Ed25519 key: the first 4 bytes of SHA-256(name ‖ '\n' ‖ 0x01 ‖ key), big-endian. */
    public static int keyId(String name, byte[] publicKey) {
        var sha = Merkle.sha256();
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
        sha.update(ED25519);
        sha.update(publicKey);
        return ByteBuffer.wrap(sha.digest()).getInt();
    }

    /** A new signing key from a fresh random seed. */
    public static NoteKey generate(String name) {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        return fromSeed(name, seed);
    }

    public static NoteKey fromSeed(String name, byte[] seed) {
        if (seed.length != 32) {
            throw new IllegalArgumentException("an Ed25519 seed has 32 bytes, not " + seed.length);
        }
        return new NoteKey(name, derivePublic(seed), seed);
    }

    /** A verifier key {@code name+hex(id)+base64(0x01 ‖ key)}; the ID must match the key. */
    public static NoteKey parseVerifier(String text) {
        // base64 has '+' too: the key is everything after the second '+'
        String[] parts = text.trim().split("\\+", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("a verifier key is name+id+key");
        }
        return parse(parts[0], parts[1], parts[2], false);
    }

    /** A signing key {@code PRIVATE+KEY+name+hex(id)+base64(0x01 ‖ seed)}; the ID must match. */
    public static NoteKey parseSigner(String text) {
        String[] parts = text.trim().split("\\+", 5);
        if (parts.length != 5 || !parts[0].equals("PRIVATE") || !parts[1].equals("KEY")) {
            throw new IllegalArgumentException("a signing key is PRIVATE+KEY+name+id+key");
        }
        return parse(parts[2], parts[3], parts[4], true);
    }

    private static NoteKey parse(String name, String idHex, String keyBase64, boolean signer) {
        byte[] data;
        try {
            data = Base64.getDecoder().decode(keyBase64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key is not base64", e);
        }
        if (data.length != 33 || data[0] != ED25519) {
            throw new IllegalArgumentException("not an Ed25519 key (type 0x01 and 32 bytes)");
        }
        byte[] key = Arrays.copyOfRange(data, 1, 33);
        NoteKey parsed = signer ? fromSeed(name, key) : new NoteKey(name, key, null);
        if (idHex.length() != 8 || !idHex.toLowerCase(Locale.ROOT).equals(idHex)
                || (int) Long.parseLong(idHex, 16) != parsed.id) {
            throw new IllegalArgumentException("the key ID " + idHex + " does not match the key (" + parsed.idHex() + ")");
        }
        return parsed;
    }

    public String name() {
        return name;
    }

    public int id() {
        return id;
    }

    public String idHex() {
        return String.format("%08x", id);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public boolean canSign() {
        return seed != null;
    }

    /** This key's verifier key text (what is published). */
    public String verifierKey() {
        return name + "+" + idHex() + "+" + Base64.getEncoder().encodeToString(typed(publicKey));
    }

    /** This key's signing key text (a secret). */
    public String signerKey() {
        if (seed == null) {
            throw new IllegalStateException("a verifier key cannot sign");
        }
        return "PRIVATE+KEY+" + name + "+" + idHex() + "+" + Base64.getEncoder().encodeToString(typed(seed));
    }

    public NoteKey verifierOnly() {
        return new NoteKey(name, publicKey, null);
    }

    private static byte[] typed(byte[] key) {
        byte[] out = new byte[33];
        out[0] = ED25519;
        System.arraycopy(key, 0, out, 1, 32);
        return out;
    }

    byte[] sign(byte[] message) {
        if (seed == null) {
            throw new IllegalStateException("a verifier key cannot sign");
        }
        try {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initSign(privateOf(seed));
            ed.update(message);
            return ed.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    boolean verify(byte[] message, byte[] signature) {
        try {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initVerify(publicKeyOf(publicKey));
            ed.update(message);
            return ed.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static PrivateKey privateOf(byte[] seed) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, seed)));
    }

    private static PublicKey publicKeyOf(byte[] raw) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(SPKI_PREFIX, raw)));
    }

    /**
     * The public key of a seed. Java 17 has no call for it, but its Ed25519 key pair generator takes the
     * 32-byte private key straight from the random source it is given (RFC 8032 section 5.1.5), so a source
     * that yields exactly the seed gives that seed's pair; the result is checked by a signature.
     */
    private static byte[] derivePublic(byte[] seed) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
            generator.initialize(NamedParameterSpec.ED25519, new SeedSource(seed));
            KeyPair pair = generator.generateKeyPair();
            byte[] encoded = pair.getPublic().getEncoded();
            byte[] raw = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
            Signature ed = Signature.getInstance("Ed25519");
            ed.initSign(privateOf(seed));
            ed.update(SELF_TEST);
            byte[] signature = ed.sign();
            ed.initVerify(publicKeyOf(raw));
            ed.update(SELF_TEST);
            if (!ed.verify(signature)) {
                throw new IllegalStateException("this Java runtime did not derive the Ed25519 public key from the seed");
            }
            return raw;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every Java 15+ runtime", e);
        }
    }

    private static final byte[] SELF_TEST = "codex-ledger key check".getBytes(StandardCharsets.UTF_8);

    /** A "random" source that yields one seed: only for deriving that seed's key pair. */
    private static final class SeedSource extends SecureRandom {
        private final byte[] seed;

        SeedSource(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
                throw new IllegalStateException("expected a request for " + seed.length + " bytes, got " + bytes.length);
            }
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NoteKey that && name.equals(that.name) && Arrays.equals(publicKey, that.publicKey);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return verifierKey();
    }
}
