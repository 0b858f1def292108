package dev.codexledger.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The API over HTTPS from a PKCS12 keystore made with the JDK's keytool. */
@ExtendWith(SharedCassandra.class)
class TlsIT {

    private static final String PASSWORD = "test-keystore-password";

    @Test
    void theApiServesHttpsFromAPkcs12Keystore() throws Exception {
        Path keystore = makeKeystore();
        LedgerNode.Running node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("tls"), Map.of(
                "ledger.http.tls.enabled", true,
                "ledger.http.tls.keystore", keystore.toString(),
                "ledger.http.tls.keystore-password", PASSWORD));
        try {
            assertTrue(node.baseUrl().startsWith("https://"), node.baseUrl());
            HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(keystore)).build();
            LedgerClient client = new LedgerClient(node.baseUrl(), TestNodes.ADMIN_KEY, trusting);
            LedgerClient.Reply posted = client.post("/v1/workspaces/tls/records", "application/json",
                    Records.array(Records.record("tls-1", "u", Instant.now(), "over tls")));
            assertEquals(200, posted.status(), posted.raw().body());
            assertEquals(1, client.get("/v1/workspaces/tls/records").body().get("records").size());

            LedgerClient plain = new LedgerClient(node.baseUrl().replace("https://", "http://"), TestNodes.ADMIN_KEY);
            assertThrows(UncheckedIOException.class, () -> plain.get("/v1/workspaces/tls/records"),
                    "no plain HTTP on the TLS port");
            LedgerClient untrusting = new LedgerClient(node.baseUrl(), TestNodes.ADMIN_KEY);
            assertThrows(UncheckedIOException.class, () -> untrusting.get("/v1/workspaces/tls/records"),
                    "an unknown certificate is refused by a default client");
        } finally {
            node.stop();
        }
    }

    @Test
    void aWrongKeystorePasswordStopsTheStartWithAClearMessage() throws Exception {
        Path keystore = makeKeystore();
        Exception failure = assertThrows(Exception.class, () -> TestNodes.start(SharedCassandra.contactPoint(),
                TestNodes.newKeyspace("tlsbad"), Map.of(
                        "ledger.http.tls.enabled", true,
                        "ledger.http.tls.keystore", keystore.toString(),
                        "ledger.http.tls.keystore-password", "wrong")));
        String messages = chain(failure);
        assertTrue(messages.contains("ledger.http.tls.keystore"), messages);
    }

    private static String chain(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c).append('\n');
        }
        return all.toString();
    }

    private static Path makeKeystore() throws Exception {
        Path dir = Files.createDirectories(SharedCassandra.testDataDir().resolve("tls-" + System.nanoTime()));
        Path keystore = dir.resolve("ledger.p12");
        Path keytool = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("keytool");
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "ledger",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, output);
        return keystore;
    }

    private static SSLContext trusting(Path keystore) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ledger", store.getCertificate("ledger"));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
