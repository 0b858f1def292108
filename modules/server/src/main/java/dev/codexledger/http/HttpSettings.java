package dev.codexledger.http;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The {@code ledger.http} config block. {@code tls} is present when the API serves HTTPS. */
public record HttpSettings(String host, int port, long maxBodyBytes, Duration bodyReadTimeout, Optional<Tls> tls) {

    /** A PKCS12 keystore holding the server's key and certificate chain. */
    public record Tls(Path keystore, char[] password) {}

    public static HttpSettings fromConfig(Config config) {
        Config block = config.getConfig("ledger.http");
        Optional<Tls> tls = block.getBoolean("tls.enabled")
                ? Optional.of(new Tls(Path.of(block.getString("tls.keystore")),
                        block.getString("tls.keystore-password").toCharArray()))
                : Optional.empty();
        return new HttpSettings(block.getString("host"), block.getInt("port"), block.getBytes("max-body-bytes"),
                block.getDuration("body-read-timeout"), tls);
    }

    public String scheme() {
        return tls.isPresent() ? "https" : "http";
    }
}
