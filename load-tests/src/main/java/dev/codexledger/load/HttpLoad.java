package dev.codexledger.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * A closed-model load: {@code workers} clients, each sending one batch and waiting for its answer before
 * the next, as OTLP exporters do. Counts acknowledged events and each request's ack latency; 429 and 503
 * answers are counted as refused and retried after a short pause, like a real client.
 */
final class HttpLoad {

    /** Builds request {@code n} of worker {@code w}: its body, its content type and its workspace. */
    record Body(String path, byte[] bytes, String contentType, String workspace, int events) {}

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String base;
    private final String key;

    HttpLoad(String base, String key) {
        this.base = base;
        this.key = key;
    }

    Measurement run(String name, Duration duration, int workers, BiFunction<Integer, Long, Body> bodies)
            throws InterruptedException {
        return run(name, duration, workers, bodies, 0);
    }

    /**
     * As {@link #run(String, Duration, int, BiFunction)}, paced: at most {@code requestsPerSecond} requests
     * started per second over all workers (0: as fast as answers come back).
     */
    Measurement run(String name, Duration duration, int workers, BiFunction<Integer, Long, Body> bodies,
                    double requestsPerSecond) throws InterruptedException {
        return run(name, duration, workers, bodies, requestsPerSecond, Long.MAX_VALUE);
    }

    /**
     * As {@link #run(String, Duration, int, BiFunction)}, but each worker stops after sending
     * {@code requestsPerWorker} bodies, or at the end of {@code limit} if that comes first.
     */
    Measurement runRequests(String name, Duration limit, int workers, long requestsPerWorker,
                            BiFunction<Integer, Long, Body> bodies) throws InterruptedException {
        return run(name, limit, workers, bodies, 0, requestsPerWorker);
    }

    private Measurement run(String name, Duration duration, int workers, BiFunction<Integer, Long, Body> bodies,
                            double requestsPerSecond, long requestsPerWorker) throws InterruptedException {
        AtomicLong events = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        long[][] latencies = new long[workers][];
        int[] counts = new int[workers];
        CpuSampler cpu = new CpuSampler();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            latencies[w] = new long[1 << 16];
            Thread thread = new Thread(() -> {
                long n = 0;
                while (n < requestsPerWorker && System.nanoTime() < deadline) {
                    if (requestsPerSecond > 0) {
                        long due = start + (long) (n * workers * 1e9 / requestsPerSecond);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            sleep(wait / 1_000_000);
                        }
                    }
                    Body body = bodies.apply(worker, n++);
                    int status;
                    long sent = System.nanoTime();
                    do {
                        status = send(body);
                        requests.incrementAndGet();
                        if (status == 429 || status == 503) {
                            refused.incrementAndGet();
                            sleep(100);
                        }
                    } while ((status == 429 || status == 503) && System.nanoTime() < deadline);
                    if (status == 200) {
                        events.addAndGet(body.events());
                        if (counts[worker] < latencies[worker].length) {
                            latencies[worker][counts[worker]++] = System.nanoTime() - sent;
                        }
                    } else if (status != 429 && status != 503) {
                        throw new IllegalStateException(name + ": unexpected status " + status);
                    }
                }
            }, name + "-" + w);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int total = 0;
        for (int count : counts) {
            total += count;
        }
        long[] all = new long[total];
        int at = 0;
        for (int w = 0; w < workers; w++) {
            System.arraycopy(latencies[w], 0, all, at, counts[w]);
            at += counts[w];
        }
        return new Measurement(name, events.get(), seconds, Measurement.percentile(all, total, 0.50),
                Measurement.percentile(all, total, 0.99), cpu, requests.get(), refused.get());
    }

    private int send(Body body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + body.path()))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", body.contentType())
                .header("X-Ledger-Workspace", body.workspace())
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()))
                .build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 503;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 503;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
