package dev.codexledger.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.codexledger.testing.WireFormats;
import dev.codexledger.testing.WireFormats.Sample;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The wire format of what wakes a workspace's stream lane from another node. */
@ExtendWith(TestKitJUnit5Extension.class)
class StreamMessageSerializerTest {

    @JUnit5TestKit
    public ActorTestKit testKit = new JUnit5TestKitBuilder().withName("golden").withCustomConfig(WireFormats.config())
            .build();

    private StreamMessageSerializer serializer() {
        return new StreamMessageSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    }

    private static List<Sample> samples() {
        return List.of(new Sample(StreamMessageSerializer.WAKE, new StreamLane.Wake(5000, true)),
                new Sample(StreamMessageSerializer.WAKE, "hint", new StreamLane.Wake(1_000_000, false)));
    }

    @Test
    void everyMessageIsWrittenAsItsGoldenBytesAndReadBack() {
        WireFormats.assertGolden(serializer(), "stream-messages", samples());
    }

    @Test
    void everyMessageRoundTripsThroughTheConfiguredBindings() {
        WireFormats.assertRoundTrips(testKit.system(), StreamMessageSerializer.class, samples());
    }

    @Test
    void everyCommandThatLeavesTheNodeIsBound() {
        WireFormats.assertEveryMessageBound(testKit.system(), StreamMessageSerializer.class, samples(),
                StreamLane.Command.class);
    }

    @Test
    void unknownsAreRefused() {
        assertThrows(java.io.NotSerializableException.class, () -> serializer().fromBinary(new byte[0], "Nope.v1"));
        assertEquals(7306, serializer().identifier());
    }
}
