package dev.codexledger.analytics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KnownThreadsTest {

    @Test
    void boundedForTheWholeNodeHowEverManyWorkspacesCount() {
        KnownThreads known = new KnownThreads(1600);
        for (int workspace = 0; workspace < 1000; workspace++) {
            known.addAll("ws-" + workspace, IntStream.range(0, 100).mapToObj(i -> "conversation-" + i).toList());
        }
        assertTrue(known.size() <= 1600, "held " + known.size());
        assertTrue(known.size() >= 1500, "each stripe fills to its share: " + known.size());
        assertTrue(known.contains("ws-999", "conversation-99"), "the most recent stay");
        assertFalse(known.contains("ws-0", "conversation-0"), "the least recently used go");
    }

    @Test
    void aConversationIsKnownPerWorkspaceOnly() {
        KnownThreads known = new KnownThreads(100);
        known.addAll("a", List.of("c1"));
        assertTrue(known.contains("a", "c1"));
        assertFalse(known.contains("b", "c1"), "the same conversation id in another workspace is another thread");
        assertFalse(known.contains("a", "c2"));
    }
}
