package dev.codexledger.localcassandra;

/** Whether a local node runs alone or as one member of a local ring (see {@link LocalCassandraRing}). */
sealed interface Membership {

    /** The node is its own seed and the only node of its cluster. */
    record Alone() implements Membership {}

    /**
     * The node joins the ring through its seeds ({@code "127.0.0.1:7001,..."}, storage ports), as node
     * {@code index} (from 0) of {@code size}.
     */
    record RingMember(String seeds, int index, int size) implements Membership {}
}
