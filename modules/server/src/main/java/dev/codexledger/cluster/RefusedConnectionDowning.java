package dev.codexledger.cluster;

import com.typesafe.config.Config;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downs a member whose process is gone, without waiting for the failure detector and the split brain
 * resolver ({@code ledger.cluster.down-when-refused}).
 *
 * <p>Each node opens a TCP connection to the remote (Artery) port of the next few members, in address
 * order, every {@code interval}, and closes it at once. A port that <em>refuses</em> the connection
 * {@code refusals} times in a row has nothing listening on it: the host answered, the process that held
 * the port is gone (SIGKILL, a crash, an OOM kill). Such a member is downed and quarantined at once, so
 * the leader removes it on its next round and its shards start elsewhere about a second after the
 * crash instead of after heartbeat pause + stable-after.
 *
 * <p>Anything else leaves the decision to the failure detector and the split brain resolver, as
 * before: a connection accepted (a frozen process: the kernel still completes the handshake), a
 * timeout or an unreachable host (a machine or network down, a partition). Safety does not rest on
 * this: a downed node exits, and the writer fences refuse anything a late writer still tries
 * (docs/architecture.md, "One writer, fenced"). A node downs another only when that member is the only
 * one it suspects, in a cluster of three or more: a node cut off from the others (which all look dead
 * from it) or several members gone at once are left to the resolver. A firewall rule that rejects
 * (rather than drops) the cluster's traffic looks like a dead process: such a partition of one node is
 * settled here as the resolver would settle it, only sooner. Only for the TCP transports ({@code tcp},
 * {@code tls-tcp}): under Aeron (UDP) a TCP port says nothing.
 */
public final class RefusedConnectionDowning {

    private static final Logger log = LoggerFactory.getLogger(RefusedConnectionDowning.class);
    private static final Set<MemberStatus> PROBED = Set.of(MemberStatus.joining(), MemberStatus.weaklyUp(),
            MemberStatus.up(), MemberStatus.leaving());

    public record Settings(boolean enabled, Duration interval, int refusals, Duration connectTimeout,
                           int probedMembers) {

        public static Settings fromConfig(Config config) {
            Config c = config.getConfig("ledger.cluster.down-when-refused");
            String transport = config.getString("pekko.remote.artery.transport");
            boolean tcp = transport.equals("tcp") || transport.equals("tls-tcp");
            Settings settings = new Settings(c.getBoolean("enabled") && tcp, c.getDuration("interval"),
                    c.getInt("refusals"), c.getDuration("connect-timeout"), c.getInt("probed-members"));
            if (settings.refusals < 1 || settings.probedMembers < 1 || settings.interval.toMillis() < 1
                    || settings.connectTimeout.toMillis() < 1) {
                throw new IllegalArgumentException("ledger.cluster.down-when-refused: refusals and probed-members"
                        + " must be at least 1, interval and connect-timeout more than 0");
            }
            return settings;
        }
    }

    enum Outcome { ACCEPTED, REFUSED, NO_ANSWER }

    interface Command {}

    private record Tick() implements Command {}

    private record Probed(UniqueAddress member, Outcome outcome) implements Command {}

    private RefusedConnectionDowning() {}

    /** Starts the prober as a system actor, if enabled and the transport is TCP. */
    public static void start(ActorSystem<?> system, Config config, MeterRegistry registry) {
        Settings settings = Settings.fromConfig(config);
        if (!settings.enabled()) {
            log.info("down-when-refused is off (ledger.cluster.down-when-refused.enabled, or a transport that is"
                    + " not TCP): dead members are downed by the split brain resolver only");
            return;
        }
        Counter downed = Counter.builder("ledger.cluster.members.downed")
                .description("members this node downed because their remote port refused connections")
                .tag("reason", "refused_connection").register(registry);
        system.systemActorOf(behavior(settings, downed), "down-when-refused", Props.empty());
    }

    static Behavior<Command> behavior(Settings settings, Counter downed) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), settings.interval());
            return new Prober(context, settings, downed).behavior();
        }));
    }

    /** The members after {@code self} in address order, wrapping around: the ones this node probes. */
    static List<UniqueAddress> followers(List<UniqueAddress> members, UniqueAddress self, int count) {
        List<UniqueAddress> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing((UniqueAddress m) -> m.address().toString())
                .thenComparingLong(UniqueAddress::longUid));
        int at = sorted.indexOf(self);
        List<UniqueAddress> chosen = new ArrayList<>();
        for (int step = 1; step < sorted.size() && chosen.size() < count; step++) {
            UniqueAddress next = sorted.get(Math.floorMod(at + step, sorted.size()));
            if (!next.equals(self)) {
                chosen.add(next);
            }
        }
        return chosen;
    }

    /**
     * Whether a member that refuses connections may be downed here: it is the only member this node
     * suspects (no other one unreachable, refusing, or downed and not yet removed), and the others are
     * a majority of the members counted with it. Anything bigger (several members gone at once, this
     * node cut off from others) is left to the split brain resolver, which sees the whole picture.
     */
    static boolean mayDown(int members, int otherSuspects) {
        return otherSuspects == 0 && members >= 3;
    }

    static Outcome probe(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return Outcome.ACCEPTED;
        } catch (ConnectException e) {
            String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
            return message.contains("refused") ? Outcome.REFUSED : Outcome.NO_ANSWER;
        } catch (IOException | RuntimeException e) {
            return Outcome.NO_ANSWER;
        }
    }

    private static final class Prober {
        private final ActorContext<Command> context;
        private final Settings settings;
        private final Counter downed;
        private final Cluster cluster;
        private final ExecutorService probes;
        private final Set<UniqueAddress> inFlight = new HashSet<>();
        private final Map<UniqueAddress, Integer> refusedInARow = new HashMap<>();
        private final Set<UniqueAddress> done = new HashSet<>();
        /** Members refusing while this node may not down them: logged once until they answer or leave. */
        private final Set<UniqueAddress> leftToResolver = new HashSet<>();

        Prober(ActorContext<Command> context, Settings settings, Counter downed) {
            this.context = context;
            this.settings = settings;
            this.downed = downed;
            this.cluster = Cluster.get(context.getSystem());
            this.probes = Executors.newFixedThreadPool(Math.min(settings.probedMembers(), 4), runnable -> {
                Thread thread = new Thread(runnable, "ledger-member-probe");
                thread.setDaemon(true);
                return thread;
            });
        }

        Behavior<Command> behavior() {
            return Behaviors.receive(Command.class)
                    .onMessage(Tick.class, tick -> {
                        tick();
                        return Behaviors.same();
                    })
                    .onMessage(Probed.class, probed -> {
                        probed(probed);
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, stop -> {
                        probes.shutdownNow();
                        return Behaviors.same();
                    })
                    .build();
        }

        /** Every member not yet removed, whatever its status (downed, exiting included). */
        private static List<Member> allMembers(ClusterEvent.CurrentClusterState state) {
            List<Member> members = new ArrayList<>();
            state.getMembers().forEach(members::add);
            return members;
        }

        private List<Member> probedStatusMembers(ClusterEvent.CurrentClusterState state) {
            List<Member> members = new ArrayList<>();
            state.getMembers().forEach(m -> {
                if (PROBED.contains(m.status())) {
                    members.add(m);
                }
            });
            return members;
        }

        private void tick() {
            Member self = cluster.selfMember();
            if (self.status() != MemberStatus.up()) {
                refusedInARow.clear();
                return;
            }
            List<Member> members = probedStatusMembers(cluster.state());
            Set<UniqueAddress> current = new HashSet<>();
            members.forEach(m -> current.add(m.uniqueAddress()));
            done.retainAll(current);
            leftToResolver.retainAll(current);
            List<UniqueAddress> targets = followers(List.copyOf(current), self.uniqueAddress(), settings.probedMembers());
            // "in a row" means probes of consecutive ticks: a member no longer probed here starts again at zero
            refusedInARow.keySet().retainAll(new HashSet<>(targets));
            for (UniqueAddress target : targets) {
                Optional<String> host = target.address().getHost();
                Optional<Integer> port = target.address().getPort();
                if (host.isEmpty() || port.isEmpty() || done.contains(target) || !inFlight.add(target)) {
                    continue;
                }
                CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(
                        () -> probe(host.get(), port.get(), settings.connectTimeout()), probes);
                context.pipeToSelf(outcome, (result, failure) ->
                        new Probed(target, failure == null ? result : Outcome.NO_ANSWER));
            }
        }

        private void probed(Probed probed) {
            inFlight.remove(probed.member());
            if (probed.outcome() != Outcome.REFUSED) {
                refusedInARow.remove(probed.member());
                leftToResolver.remove(probed.member());
                return;
            }
            int refused = refusedInARow.merge(probed.member(), 1, Integer::sum);
            if (refused < settings.refusals() || done.contains(probed.member())) {
                return;
            }
            ClusterEvent.CurrentClusterState state = cluster.state();
            boolean present = probedStatusMembers(state).stream()
                    .anyMatch(m -> m.uniqueAddress().equals(probed.member()));
            if (!present || cluster.selfMember().status() != MemberStatus.up()) {
                return;
            }
            List<Member> members = allMembers(state);
            Set<UniqueAddress> others = new HashSet<>();
            state.getUnreachable().forEach(m -> others.add(m.uniqueAddress()));
            members.forEach(m -> {
                if (!PROBED.contains(m.status())) { // downed or exiting, not yet removed
                    others.add(m.uniqueAddress());
                }
            });
            others.addAll(refusedInARow.keySet());
            others.remove(probed.member());
            others.remove(cluster.selfMember().uniqueAddress());
            if (!mayDown(members.size(), others.size())) {
                if (leftToResolver.add(probed.member())) {
                    log.warn("member {} refuses connections, but {} other member(s) of {} look gone or unreachable from"
                            + " here: leaving it to the split brain resolver", probed.member().address(), others.size(),
                            members.size());
                }
                return;
            }
            done.add(probed.member());
            Address address = probed.member().address();
            log.warn("downing {}: its remote port refused {} connections in a row {} apart, so its process is gone;"
                    + " not waiting for the failure detector and the split brain resolver", address, refused,
                    settings.interval());
            cluster.manager().tell(new Down(address));
            quarantine(probed.member());
            downed.increment();
        }

        /**
         * Quarantines the dead incarnation, so the cluster sees it terminated at once (a downed member is
         * removed only once it is unreachable or terminated). {@code RemoteActorRefProvider.quarantine} is
         * Pekko's internal API (it calls Artery's {@code @InternalStableApi} {@code quarantine}): pinned by
         * the Pekko version in pom.xml, and ClusterIT fails if the killed node is no longer removed this way.
         * Without it the member is still downed, and removed once the failure detector sees it unreachable.
         */
        private void quarantine(UniqueAddress member) {
            try {
                org.apache.pekko.actor.ActorRefProvider provider =
                        ((ExtendedActorSystem) context.getSystem().classicSystem()).provider();
                if (provider instanceof RemoteActorRefProvider remote) {
                    remote.quarantine(member.address(), scala.Option.apply((Object) member.longUid()),
                            "its remote port refused connections (process gone)");
                }
            } catch (RuntimeException e) {
                log.warn("could not quarantine {}: the failure detector will mark it unreachable: {}",
                        member.address(), e.toString());
            }
        }
    }
}
