package dev.codexledger.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.UniqueAddress;
import org.junit.jupiter.api.Test;

class RefusedConnectionDowningTest {

    private static UniqueAddress member(int port, long uid) {
        return new UniqueAddress(new Address("pekko", "codex-ledger", "127.0.0.1", port), uid);
    }

    @Test
    void eachNodeProbesTheMembersAfterItInAddressOrderWrappingAround() {
        UniqueAddress a = member(25520, 1);
        UniqueAddress b = member(25521, 2);
        UniqueAddress c = member(25522, 3);
        UniqueAddress d = member(25523, 4);
        List<UniqueAddress> members = List.of(c, a, d, b);
        assertEquals(List.of(c, d), RefusedConnectionDowning.followers(members, b, 2));
        assertEquals(List.of(a, b), RefusedConnectionDowning.followers(members, d, 2));
        assertEquals(List.of(b, c, d), RefusedConnectionDowning.followers(members, a, 5), "never itself");
        assertEquals(List.of(), RefusedConnectionDowning.followers(List.of(a), a, 5), "alone: nobody to probe");
        // every member is probed by someone
        for (UniqueAddress probed : members) {
            assertTrue(members.stream().filter(m -> !m.equals(probed))
                    .anyMatch(m -> RefusedConnectionDowning.followers(members, m, 1).contains(probed)));
        }
    }

    @Test
    void onlyTheSoleSuspectOfAClusterOfThreeOrMoreIsDowned() {
        assertTrue(RefusedConnectionDowning.mayDown(3, 0));
        assertTrue(RefusedConnectionDowning.mayDown(5, 0));
        assertFalse(RefusedConnectionDowning.mayDown(3, 1), "another member gone too: the resolver decides");
        assertFalse(RefusedConnectionDowning.mayDown(5, 2), "several at once: the resolver decides");
        assertFalse(RefusedConnectionDowning.mayDown(2, 0), "two members: no majority without it");
    }

    @Test
    void aListeningPortAcceptsAndAClosedOneRefuses() throws Exception {
        int port;
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = server.getLocalPort();
            assertEquals(RefusedConnectionDowning.Outcome.ACCEPTED,
                    RefusedConnectionDowning.probe("127.0.0.1", port, Duration.ofSeconds(1)));
        }
        assertEquals(RefusedConnectionDowning.Outcome.REFUSED,
                RefusedConnectionDowning.probe("127.0.0.1", port, Duration.ofSeconds(1)));
        assertEquals(RefusedConnectionDowning.Outcome.NO_ANSWER,
                RefusedConnectionDowning.probe("no-such-host.invalid", port, Duration.ofSeconds(1)),
                "an unknown host is no proof of a dead process");
    }

    @Test
    void settingsComeFromTheNodeConfigAndAreOffForUdp() {
        var config = ConfigFactory.load();
        RefusedConnectionDowning.Settings settings = RefusedConnectionDowning.Settings.fromConfig(config);
        assertTrue(settings.enabled());
        assertEquals(2, settings.refusals());
        assertEquals(Duration.ofMillis(500), settings.interval());
        var udp = ConfigFactory.parseString("pekko.remote.artery.transport = aeron-udp").withFallback(config);
        assertFalse(RefusedConnectionDowning.Settings.fromConfig(udp).enabled());
        for (String wrong : List.of("refusals = 0", "probed-members = 0", "interval = 0s", "connect-timeout = 0s")) {
            var bad = ConfigFactory.parseString("ledger.cluster.down-when-refused." + wrong).withFallback(config);
            assertThrows(IllegalArgumentException.class, () -> RefusedConnectionDowning.Settings.fromConfig(bad), wrong);
        }
    }
}
