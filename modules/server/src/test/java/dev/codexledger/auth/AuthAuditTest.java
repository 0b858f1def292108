package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class AuthAuditTest {

    @Test
    void noDenialIsLostToAFlushThatRunsWhileItIsCounted() throws Exception {
        ConcurrentLinkedQueue<ObjectNode> written = new ConcurrentLinkedQueue<>();
        AuthAudit audit = new AuthAudit((workspace, records) -> {
            written.addAll(records);
            return CompletableFuture.completedFuture(null);
        }, Clock.systemUTC(), 100);
        AuthAudit.Caller caller = new AuthAudit.Caller("00000000cafef00d", null, "127.0.0.1");
        int threads = 4;
        int perThread = 50_000;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicBoolean flushing = new AtomicBoolean(true);
        Thread flusher = new Thread(() -> {
            while (flushing.get()) {
                audit.flush().toCompletableFuture().join();
            }
        });
        flusher.start();
        for (int t = 0; t < threads; t++) {
            new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    audit.denied("acme", caller, 401, "unknown key", Endpoint.RECORDS_LIST);
                }
                done.countDown();
            }).start();
        }
        done.await();
        flushing.set(false);
        flusher.join();
        audit.flush().toCompletableFuture().join();

        long counted = written.stream().mapToLong(r -> r.get("attributes").get("count").asLong()).sum();
        assertEquals((long) threads * perThread, counted, "denials counted across " + written.size() + " records");
    }

    @Test
    void distinctKindsPastTheLimitAreCountedInOneOverflowRecord() {
        ConcurrentLinkedQueue<ObjectNode> written = new ConcurrentLinkedQueue<>();
        AuthAudit audit = new AuthAudit((workspace, records) -> {
            written.addAll(records);
            return CompletableFuture.completedFuture(null);
        }, Clock.systemUTC(), 2);
        for (int i = 0; i < 5; i++) {
            audit.denied("acme", new AuthAudit.Caller("key" + i, null, "10.0.0." + i), 401, "unknown key",
                    Endpoint.RECORDS_LIST);
        }
        audit.flush().toCompletableFuture().join();
        List<String> actions = written.stream().map(r -> r.get("action").asText()).sorted().toList();
        assertEquals(List.of("request.denied", "request.denied", "request.denied.overflow"), actions);
        long overflow = written.stream().filter(r -> r.get("action").asText().equals("request.denied.overflow"))
                .mapToLong(r -> r.get("attributes").get("count").asLong()).sum();
        assertEquals(3, overflow);
    }
}
