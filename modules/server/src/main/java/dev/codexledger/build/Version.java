package dev.codexledger.build;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This build's version (ledger-version.properties, written by the build). */
public final class Version {

    private Version() {}

    public static String current() {
        try (InputStream in = Version.class.getResourceAsStream("/ledger-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
