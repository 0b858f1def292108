package dev.codexledger.auth;

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

/** The wire format of a node's lease from the cluster's bucket of a key, and of its answer. */
@ExtendWith(TestKitJUnit5Extension.class)
class RateLimitMessageSerializerTest {

    /** The golden bytes hold actor references of a system of this name. */
    @JUnit5TestKit
    public ActorTestKit testKit = new JUnit5TestKitBuilder().withName("golden").withCustomConfig(WireFormats.config())
            .build();

    private RateLimitMessageSerializer serializer() {
        return new RateLimitMessageSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    }

    private List<Sample> samples() {
        return List.of(
                new Sample(RateLimitMessageSerializer.LEASE,
                        new KeyRateLimiter.Lease(1000, 2000, 50, WireFormats.replyTo(testKit.system()))),
                new Sample(RateLimitMessageSerializer.LEASE, "fractional",
                        new KeyRateLimiter.Lease(0.5, 1, 1, WireFormats.replyTo(testKit.system()))),
                new Sample(RateLimitMessageSerializer.GRANTED, new KeyRateLimiter.Granted(50, 0)),
                new Sample(RateLimitMessageSerializer.GRANTED, "none", new KeyRateLimiter.Granted(0, 1500)));
    }

    @Test
    void everyMessageIsWrittenAsItsGoldenBytesAndReadBack() {
        WireFormats.assertGolden(serializer(), "rate-limit-messages", samples());
    }

    @Test
    void everyMessageRoundTripsThroughTheConfiguredBindings() {
        WireFormats.assertRoundTrips(testKit.system(), RateLimitMessageSerializer.class, samples());
    }

    @Test
    void everyCommandAndReplyThatLeavesTheNodeIsBound() {
        WireFormats.assertEveryMessageBound(testKit.system(), RateLimitMessageSerializer.class, samples(),
                KeyRateLimiter.Command.class, KeyRateLimiter.Granted.class);
    }

    @Test
    void unknownsAreRefused() {
        assertThrows(java.io.NotSerializableException.class, () -> serializer().fromBinary(new byte[0], "Nope.v1"));
        assertEquals(7305, serializer().identifier());
    }
}
