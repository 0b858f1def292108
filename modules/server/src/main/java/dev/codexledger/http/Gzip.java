package dev.codexledger.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Inflates gzip bodies within a size limit and the request's memory reservation (bombs stop early). */
public final class Gzip {

    /** The body inflates past the configured limit. */
    public static final class TooLarge extends RuntimeException {
        TooLarge(long limit) {
            super("decompressed body exceeds the limit of " + limit + " bytes", null, false, false);
        }
    }

    /** Not gzip, or a damaged stream. */
    public static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super("Content-Encoding is gzip but the body is not valid gzip: " + message, null, false, false);
        }
    }

    private static final int CHUNK = 64 * 1024;

    private Gzip() {}

    public static byte[] inflate(byte[] body, long maxBytes, MemoryBudget.Reservation reservation) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(body.length * 4, 1 << 20));
            byte[] buffer = new byte[CHUNK];
            long total = 0;
            int read;
            while ((read = in.readNBytes(buffer, 0, CHUNK)) > 0) {
                total += read;
                if (total > maxBytes) {
                    throw new TooLarge(maxBytes);
                }
                reservation.grow(read);
                out.write(buffer, 0, read);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new Invalid(String.valueOf(e.getMessage()));
        }
    }
}
