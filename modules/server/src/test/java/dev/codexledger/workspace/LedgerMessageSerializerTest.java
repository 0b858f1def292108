package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.codexledger.testing.WireFormats;
import dev.codexledger.testing.WireFormats.Sample;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The wire format of the ledger's commands and replies between nodes: golden bytes per message (a node of
 * the next version must read what this one sends, and the reverse), round trips through the configured
 * bindings, and no message type left without one.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class LedgerMessageSerializerTest {

    /** The golden bytes hold actor references of a system of this name. */
    @JUnit5TestKit
    public ActorTestKit testKit = new JUnit5TestKitBuilder().withName("golden").withCustomConfig(WireFormats.config())
            .build();

    private LedgerMessageSerializer serializer() {
        return new LedgerMessageSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    }

    private <T> ActorRef<T> replyTo() {
        return WireFormats.replyTo(testKit.system());
    }

    /** Facts unlike the content's (which holds none): what arrives must be what was sent, not read again. */
    static final RecordFacts FACTS = new RecordFacts("cli", "gpt-5-codex", "conv-1", "tool_decision", true,
            new Usage(1200, 200, 340, 120), "P1", "thumbs_up", "shell", "approved");

    static NewRecord recordWithFacts() {
        ByteString content = ByteString.copyFromUtf8("{\"event_id\":\"evt-1\",\"event_type\":\"CODEX_LOG\",\"ü\":\"€\"}");
        return new NewRecord("evt-1", "CODEX_LOG", 1_763_800_000_000_000L, "user-1", content, Digest.sha256(content), FACTS);
    }

    static NewRecord recordWithoutFacts() {
        ByteString content = ByteString.copyFromUtf8("{\"event_id\":\"evt-2\"}");
        return new NewRecord("evt-2", "CODEX_SECURITY_LOG", 1_763_800_001_500_000L, null, content,
                Digest.sha256(content), RecordFacts.NONE);
    }

    private List<Sample> samples() {
        return List.of(
                new Sample(LedgerMessageSerializer.APPEND,
                        new WorkspaceLedger.Append(List.of(recordWithFacts(), recordWithoutFacts()), replyTo())),
                new Sample(LedgerMessageSerializer.GET_HEAD, new WorkspaceLedger.GetHead(replyTo())),
                new Sample(LedgerMessageSerializer.FORGET,
                        new WorkspaceLedger.Forget("user_id", "user-1", 1_800_000_000_000_000L, replyTo())),
                new Sample(LedgerMessageSerializer.HAND_OVER, WorkspaceLedger.HandOver.INSTANCE),
                new Sample(LedgerMessageSerializer.ACCEPTED, new WorkspaceLedger.Accepted(3, 1, 41, 43)),
                new Sample(LedgerMessageSerializer.CONFLICT, new WorkspaceLedger.Conflict(2, "evt-9")),
                new Sample(LedgerMessageSerializer.UNAVAILABLE, new WorkspaceLedger.Unavailable("storage write failed")),
                new Sample(LedgerMessageSerializer.HEAD,
                        new WorkspaceLedger.Head(44, Digest.sha256("head"), 1000)),
                new Sample(LedgerMessageSerializer.SIGN_CHECKPOINT, new WorkspaceLedger.SignCheckpoint(replyTo())),
                new Sample(LedgerMessageSerializer.CHECKPOINT_SIGNED, new WorkspaceLedger.CheckpointSigned(650,
                        "codex-ledger.local/acme\n650\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u2014 codex-ledger.local AAAA\n",
                        null)),
                new Sample(LedgerMessageSerializer.CHECKPOINT_SIGNED, "failed",
                        new WorkspaceLedger.CheckpointSigned(0, "", "the workspace's ledger is starting; retry")),
                new Sample(LedgerMessageSerializer.FORGOTTEN, new WorkspaceLedger.Forgotten(2, null)),
                new Sample(LedgerMessageSerializer.FORGOTTEN, "failed",
                        new WorkspaceLedger.Forgotten(0, "snapshot failed: disk full")));
    }

    @Test
    void everyMessageIsWrittenAsItsGoldenBytesAndReadBack() {
        WireFormats.assertGolden(serializer(), "ledger-messages", samples());
    }

    @Test
    void everyMessageRoundTripsThroughTheConfiguredBindings() {
        WireFormats.assertRoundTrips(testKit.system(), LedgerMessageSerializer.class, samples());
    }

    @Test
    void everyCommandAndReplyThatLeavesTheNodeIsBound() {
        WireFormats.assertEveryMessageBound(testKit.system(), LedgerMessageSerializer.class, samples(),
                WorkspaceLedger.Command.class, WorkspaceLedger.AppendResult.class, WorkspaceLedger.Head.class,
                WorkspaceLedger.Forgotten.class, WorkspaceLedger.CheckpointSigned.class);
    }

    @Test
    void aRecordArrivesWithTheFactsAndHashItWasSentWith() throws Exception {
        NewRecord sent = recordWithFacts();
        assertNotEquals(RecordFacts.read(sent.content().toByteArray()), sent.facts(), "the facts are not the content's");
        var append = new WorkspaceLedger.Append(List.of(sent), replyTo());
        var back = (WorkspaceLedger.Append) serializer().fromBinary(serializer().toBinary(append),
                LedgerMessageSerializer.APPEND);
        assertEquals(1, back.records().size());
        NewRecord received = back.records().get(0);
        assertEquals(FACTS, received.facts());
        assertEquals(sent.contentHash(), received.contentHash());
        assertEquals(sent.content(), received.content(), "the UTF-8 bytes as sent");
    }

    @Test
    void aDeserializedReplyToReachesTheAsker() throws Exception {
        TestProbe<WorkspaceLedger.Head> asker = testKit.createTestProbe();
        var get = (WorkspaceLedger.GetHead) serializer().fromBinary(
                serializer().toBinary(new WorkspaceLedger.GetHead(asker.ref())), LedgerMessageSerializer.GET_HEAD);
        WorkspaceLedger.Head head = new WorkspaceLedger.Head(1, Digest.ZERO, 0);
        get.replyTo().tell(head);
        assertEquals(head, asker.receiveMessage());
    }

    @Test
    void theHandOverStaysTheOneInstanceAndUnknownsAreRefused() throws Exception {
        assertSame(WorkspaceLedger.HandOver.INSTANCE, serializer().fromBinary(new byte[0], LedgerMessageSerializer.HAND_OVER));
        assertThrows(java.io.NotSerializableException.class, () -> serializer().fromBinary(new byte[0], "Nope.v1"));
        assertThrows(IllegalArgumentException.class, () -> serializer().manifest("a string"));
        assertEquals(7303, serializer().identifier());
    }
}
