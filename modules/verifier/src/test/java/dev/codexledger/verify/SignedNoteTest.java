package dev.codexledger.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The C2SP signed-note spec's example and golang.org/x/mod/sumdb/note's test key (note_test.go), as known answers. */
class SignedNoteTest {

    private static final String PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private static final String PETER_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private static final String TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    private static final String SIGNED = TEXT + "\n"
            + "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    @Test
    void signsTheGoTestVectorByteForByte() {
        NoteKey signer = NoteKey.parseSigner(PETER_SIGNER);
        assertEquals(PETER_VERIFIER, signer.verifierKey(), "the public key derived from the seed");
        assertEquals(PETER_SIGNER, signer.signerKey());
        assertEquals(SIGNED, SignedNote.sign(TEXT, signer));
        assertEquals(List.of(signer.verifierOnly()), SignedNote.open(SIGNED, List.of(NoteKey.parseVerifier(PETER_VERIFIER))).verifiedBy());
    }

    @Test
    void opensTheSpecExample() {
        NoteKey key = NoteKey.parseVerifier("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        String note = "This is an example message.\n\n\u2014 example.com/foo "
                + "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        assertEquals("This is an example message.\n", SignedNote.open(note, List.of(key)).text());
        assertEquals(0x530d903a, key.id());
    }

    @Test
    void unknownKeysAreIgnoredAndAKnownKeysBadSignatureRejectsTheNote() {
        NoteKey peter = NoteKey.parseVerifier(PETER_VERIFIER);
        NoteKey enoch = NoteKey.parseVerifier("EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop");
        String both = SIGNED + "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
        assertEquals(List.of(peter, enoch), SignedNote.open(both, List.of(peter, enoch)).verifiedBy());
        assertEquals(List.of(enoch), SignedNote.open(both, List.of(enoch)).verifiedBy());
        assertThrows(IllegalArgumentException.class, () -> SignedNote.open(SIGNED, List.of(enoch)), "no known signature");
        String changedText = SIGNED.replace("cryptography", "cryptographY");
        var rejected = assertThrows(IllegalArgumentException.class, () -> SignedNote.open(changedText, List.of(peter)));
        assertEquals("the signature of PeterNeumann+c74f20a3 does not verify", rejected.getMessage());
    }

    @Test
    void badKeysAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> NoteKey.parseVerifier("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="));
        assertThrows(IllegalArgumentException.class,
                () -> NoteKey.parseVerifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
        assertThrows(IllegalArgumentException.class,
                () -> NoteKey.parseVerifier("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
        assertThrows(IllegalArgumentException.class, () -> NoteKey.generate("has+plus"));
        assertThrows(IllegalArgumentException.class, () -> SignedNote.sign("abc", NoteKey.generate("k")));
    }

    @Test
    void checkpointsRoundTripAndASignedCheckpointOpens() {
        byte[] root = Base64.getDecoder().decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
        Checkpoint checkpoint = new Checkpoint("example.com/behind-the-sofa", 20852163, root);
        assertEquals("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", checkpoint.text());
        assertEquals(checkpoint, Checkpoint.parse(checkpoint.text()));
        NoteKey key = NoteKey.generate("example.com/behind-the-sofa");
        String note = SignedNote.sign(checkpoint.text(), key);
        Checkpoint opened = Checkpoint.parse(SignedNote.open(note, List.of(key.verifierOnly())).text());
        assertArrayEquals(root, opened.root());
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.parse("o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"));
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.parse("o\n12\nAAAA\n"));
    }
}
