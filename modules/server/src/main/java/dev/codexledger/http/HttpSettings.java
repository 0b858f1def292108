package dev.codexledger.http;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code ledger.http} config block. */
public record HttpSettings(String host, int port, long maxBodyBytes, Duration bodyReadTimeout) {

    public static HttpSettings fromConfig(Config config) {
        Config block = config.getConfig("ledger.http");
        return new HttpSettings(block.getString("host"), block.getInt("port"), block.getBytes("max-body-bytes"),
                block.getDuration("body-read-timeout"));
    }
}
