package dev.codexledger.testing;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.function.Executable;

/**
 * Checks of what crosses nodes: golden bytes per message, round trips through the system's bindings, and
 * that every message type of a protocol has a serializer of ours. Golden files live under
 * {@code src/test/resources/golden/<folder>/<manifest>[.<variant>].hex}; they hold the bytes released
 * versions send: never edit one, add a new manifest version.
 */
public final class WireFormats {

    /** An example message; {@code variant} tells two examples of one manifest apart (empty for one). */
    public record Sample(String manifest, String variant, Object message) {

        public Sample(String manifest, Object message) {
            this(manifest, "", message);
        }

        String file() {
            return manifest + (variant.isEmpty() ? "" : "." + variant) + ".hex";
        }
    }

    private WireFormats() {}

    /**
     * The node's serialization settings (Java serialization off) on a local provider, so actor references
     * print as {@code pekko://<system name>/…} with no host or port, the same on every run.
     */
    public static Config config() {
        return ConfigFactory.parseString("pekko.actor.provider = local\npekko.actor.allow-java-serialization = off")
                .withFallback(ConfigFactory.parseResources("ledger-workspace.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-records.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-budget.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-auth.conf"))
                .withFallback(ConfigFactory.parseResources("ledger-streams.conf"))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    /**
     * A reference as another node would send one (an ask's temporary actor), of {@code system}: without a
     * uid, so the same bytes on every run.
     */
    public static <T> ActorRef<T> replyTo(ActorSystem<?> system) {
        return ActorRefResolver.get(system).resolveActorRef("pekko://" + system.name() + "/temp/$a");
    }

    /** Each sample is written as its golden bytes, and its golden bytes read back equal to it. */
    public static void assertGolden(SerializerWithStringManifest serializer, String folder, List<Sample> samples) {
        assertAll(samples.stream().map(sample -> (Executable) () -> {
            assertEquals(sample.manifest(), serializer.manifest(sample.message()), sample.file());
            String today = HexFormat.of().formatHex(serializer.toBinary(sample.message()));
            String golden = golden(folder + "/" + sample.file());
            assertNotNull(golden, "no golden file " + folder + "/" + sample.file() + "; written today: " + today);
            assertEquals(golden, today, sample.file() + " is written as released");
            assertEquals(sample.message(), serializer.fromBinary(HexFormat.of().parseHex(golden), sample.manifest()),
                    sample.file() + " reads back");
        }));
    }

    /** Each sample goes through the system's serialization (as to another node) and comes back equal. */
    public static void assertRoundTrips(ActorSystem<?> system, Class<? extends Serializer> expected, List<Sample> samples) {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
        assertAll(samples.stream().map(sample -> (Executable) () -> {
            Serializer serializer = serialization.findSerializerFor(sample.message());
            assertEquals(expected, serializer.getClass(), sample.file());
            byte[] bytes = serialization.serialize(sample.message()).get();
            Object back = serialization.deserialize(bytes, serializer.identifier(),
                    Serializers.manifestFor(serializer, sample.message())).get();
            assertEquals(sample.message(), back, sample.file());
        }));
    }

    /**
     * Fails when a message type of {@code protocol} (the permitted subclasses of sealed interfaces, or the
     * classes themselves) that is not {@link NoSerializationVerificationNeeded} has no sample, or is not
     * bound to {@code expected}: a message added without a wire format is found here, not in production.
     */
    public static void assertEveryMessageBound(ActorSystem<?> system, Class<? extends Serializer> expected,
                                               List<Sample> samples, Class<?>... protocol) {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
        Set<Class<?>> sampled = samples.stream().map(s -> s.message().getClass()).collect(Collectors.toSet());
        List<Class<?>> crossing = crossingTypes(protocol);
        assertTrue(crossing.size() >= protocol.length, "found the message types: " + crossing);
        assertAll(crossing.stream().map(type -> (Executable) () -> {
            assertTrue(sampled.contains(type), type.getName() + " has no sample (and so no golden bytes)");
            assertEquals(expected, serialization.serializerFor(type).getClass(), type.getName() + " is bound");
        }));
    }

    /** The concrete message types below {@code protocol}, but those that never leave their node. */
    static List<Class<?>> crossingTypes(Class<?>... protocol) {
        List<Class<?>> types = new ArrayList<>();
        Arrays.stream(protocol).forEach(type -> collect(type, types));
        types.removeIf(NoSerializationVerificationNeeded.class::isAssignableFrom);
        return types;
    }

    private static void collect(Class<?> type, List<Class<?>> into) {
        if (type.isSealed()) {
            Arrays.stream(type.getPermittedSubclasses()).forEach(sub -> collect(sub, into));
        } else {
            into.add(type);
        }
    }

    private static String golden(String path) throws IOException {
        try (InputStream in = WireFormats.class.getResourceAsStream("/golden/" + path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }
}
