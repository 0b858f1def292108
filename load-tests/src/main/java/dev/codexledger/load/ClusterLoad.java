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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;

/**
 * A closed-model load over several ledger nodes: {@code workers} clients, each sending one batch and
 * waiting for its answer before the next; request {@code n} of worker {@code w} goes to the node
 * {@code target(w, n)} names. 429 and 503 are counted as refused and the same batch is sent again after
 * 100 ms; any other answer but 200 ends the phase with an error. Counts acknowledged records and each
 * acknowledged request's latency (first attempt to its 200).
 */
final class ClusterLoad {

    /** What a phase measured. */
    record Result(String name, long events, double seconds, long requests, long refused, long[] latencyNanos) {

        double eventsPerSecond() {
            return events / seconds;
        }

        double p50Millis() {
            return Measurement.percentile(latencyNanos, latencyNanos.length, 0.50);
        }

        double p99Millis() {
            return Measurement.percentile(latencyNanos, latencyNanos.length, 0.99);
        }

        /** This result and {@code other} as one (events and time added, latencies pooled). */
        Result plus(Result other) {
            long[] all = java.util.Arrays.copyOf(latencyNanos, latencyNanos.length + other.latencyNanos.length);
            System.arraycopy(other.latencyNanos, 0, all, latencyNanos.length, other.latencyNanos.length);
            return new Result(name, events + other.events, seconds + other.seconds, requests + other.requests,
                    refused + other.refused, all);
        }
    }

    /** Chooses the node (its base URL) for request {@code n} of worker {@code w}. */
    interface Target {
        String baseUrl(int worker, long n);
    }

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String key;

    ClusterLoad(String key) {
        this.key = key;
    }

    Result run(String name, Duration duration, int workers, BiFunction<Integer, Long, HttpLoad.Body> bodies,
               Target target) throws InterruptedException {
        AtomicLong events = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        long[][] latencies = new long[workers][1 << 16];
        int[] counts = new int[workers];
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Thread thread = new Thread(() -> {
                long n = 0;
                while (System.nanoTime() < deadline && failure.get() == null) {
                    HttpLoad.Body body = bodies.apply(worker, n);
                    String base = target.baseUrl(worker, n++);
                    long sent = System.nanoTime();
                    int status;
                    do {
                        status = send(base, body);
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
                        failure.compareAndSet(null, name + ": " + base + body.path() + " answered " + status);
                    }
                }
            }, "load-" + w);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
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
        return new Result(name, events.get(), seconds, requests.get(), refused.get(), all);
    }

    private int send(String base, HttpLoad.Body body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + body.path()))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", body.contentType())
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
