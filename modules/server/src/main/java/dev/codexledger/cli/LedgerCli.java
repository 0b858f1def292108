package dev.codexledger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.build.Version;
import dev.codexledger.verify.VerifyCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bin/ledger}: the command line (the script runs this for every command it does not run itself:
 * start, build, cassandra and cluster stay in the script, their help is here too). Exit codes: 0 done
 * (valid, ready); 1 refused, invalid or not ready; 2 wrong usage; 3 the node could not be reached.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true, versionProvider = LedgerCli.Versions.class,
        description = "Codex Ledger: an audit store and governance backend for AI coding agents.",
        subcommands = {LedgerCli.Start.class, LedgerCli.Build.class, LedgerCli.CassandraRing.class,
                LedgerCli.LocalCluster.class, LedgerCli.VersionCommand.class, LedgerCli.Status.class,
                LedgerCli.Keys.class, LedgerCli.Verify.class, LedgerCli.Keygen.class, CommandLine.HelpCommand.class},
        footer = {"", "Environment: LEDGER_URL (the API, default http://127.0.0.1:8080), LEDGER_MANAGEMENT_URL (default http://127.0.0.1:8558), LEDGER_ADMIN_KEY (for keys). Exit codes: 0 done, 1 refused / invalid / not ready, 2 wrong usage, 3 the node could not be reached."})
public final class LedgerCli implements Callable<Integer> {

    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int UNREACHABLE = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine line = new CommandLine(new LedgerCli());
        line.setUsageHelpWidth(100);
        line.setExitCodeExceptionMapper(e -> e instanceof Unreachable ? UNREACHABLE
                : e instanceof CommandLine.ParameterException ? USAGE : REFUSED);
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText(e.getMessage() == null ? e.toString() : e.getMessage()));
            return cmd.getExitCodeExceptionMapper().getExitCode(e);
        });
        return line;
    }

    @Override
    public Integer call() {
        return missingCommand(spec, "name a command");
    }

    /** A command of commands called without one: its usage, and exit 2. */
    static int missingCommand(CommandLine.Model.CommandSpec spec, String message) {
        spec.commandLine().getErr().println(message);
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    static final class Versions implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"codex-ledger " + Version.current() + " (Java " + System.getProperty("java.runtime.version") + ")"};
        }
    }

    /** The node did not answer at all. */
    static final class Unreachable extends RuntimeException {
        Unreachable(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ commands the script runs

    /** Documented here, run by bin/ledger (which needs no JVM to start them). */
    abstract static class ScriptCommand implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("run it as: bin/ledger " + spec.qualifiedName(" ").replaceFirst("^ledger ", ""));
            return USAGE;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Build what is missing, then run one node in the foreground (Ctrl-C or SIGTERM stops it). Without LEDGER_CASSANDRA_CONTACT_POINTS it starts a local Cassandra with its data under LEDGER_DATA_DIR (default ./data), kept across restarts, and shows its progress. With it (and LEDGER_REMOTE_PORT, LEDGER_MANAGEMENT_PORT, LEDGER_HTTP_PORT, LEDGER_SEED_NODES or LEDGER_DISCOVERY) the node joins a cluster. Prints the API URL and, at the very first start, the admin key.")
    static final class Start extends ScriptCommand {}

    @Command(name = "build", mixinStandardHelpOptions = true, description = "(Re)build the node and the local Cassandra runtime with Maven, showing each module as it builds (the first build downloads the dependencies from Maven Central). The container image is not built here: mvn -B -DskipTests package writes it.")
    static final class Build extends ScriptCommand {}

    @Command(name = "cassandra", mixinStandardHelpOptions = true, description = "cassandra start [--nodes N]: a local Cassandra ring of N nodes (default 3) in the background, data under LEDGER_DATA_DIR/cassandra-ring; prints LEDGER_CASSANDRA_CONTACT_POINTS. cassandra stop: stops that ring (by the PIDs in its folder).")
    static final class CassandraRing extends ScriptCommand {}

    @Command(name = "cluster", mixinStandardHelpOptions = true, description = "cluster start [--nodes N] [--cassandra-nodes M]: a whole local cluster in the background, a ring of M (default 3) and N Ledger nodes (default 3) on HTTP 8080.., management 8558.., remote 25520..; logs and PIDs under LEDGER_DATA_DIR/cluster. cluster stop: stops the Ledger nodes (SIGTERM), then the ring.")
    static final class LocalCluster extends ScriptCommand {}

    // ------------------------------------------------------------------ version and status

    abstract static class NodeCommand implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--url", description = "the node's API (default: $LEDGER_URL or http://127.0.0.1:8080)")
        String url = System.getenv().getOrDefault("LEDGER_URL", "http://127.0.0.1:8080");

        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        HttpResponse<String> get(String base, String path) {
            String target = base.replaceAll("/+$", "") + path;
            try {
                return http.send(HttpRequest.newBuilder(URI.create(target)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new Unreachable("no answer from " + target + ": " + e);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "not a URL: " + target);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unreachable("interrupted");
            }
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true,
            description = "This command line's version and, when it answers, the node's (GET /version).")
    static final class VersionCommand extends NodeCommand {
        @Override
        public Integer call() throws IOException {
            out().println("client: codex-ledger " + Version.current());
            try {
                HttpResponse<String> answer = get(url, "/version");
                JsonNode node = JSON.readTree(answer.body());
                out().println("node:   codex-ledger " + node.path("version").asText() + " (app-version "
                        + node.path("app_version").asText() + ", Java " + node.path("java").asText() + ") at " + url);
            } catch (Unreachable e) {
                out().println("node:   none at " + url);
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Is the node ready (joined, shards registered, Cassandra answering), which members does its cluster have, which version runs. Exit 0 ready, 1 not ready, 3 unreachable.")
    static final class Status extends NodeCommand {
        @Option(names = "--management", description = "the node's management port (default: $LEDGER_MANAGEMENT_URL or http://127.0.0.1:8558)")
        String management = System.getenv().getOrDefault("LEDGER_MANAGEMENT_URL", "http://127.0.0.1:8558");

        @Option(names = "--json", description = "one JSON object instead of text")
        boolean json;

        @Override
        public Integer call() throws IOException {
            HttpResponse<String> ready = get(management, "/ready");
            JsonNode members = JSON.readTree(get(management, "/cluster/members").body());
            JsonNode version = null;
            try {
                version = JSON.readTree(get(url, "/version").body());
            } catch (Unreachable | IOException e) {
                // the API may listen elsewhere; the management port answered
            }
            boolean isReady = ready.statusCode() == 200;
            if (json) {
                out().println(JSON.createObjectNode().put("ready", isReady).put("self", members.path("selfNode").asText())
                        .put("version", version == null ? null : version.path("version").asText())
                        .set("members", members.path("members")).toString());
                return isReady ? 0 : REFUSED;
            }
            out().println("node:      " + members.path("selfNode").asText() + (version == null ? ""
                    : " (codex-ledger " + version.path("version").asText() + ", app-version " + version.path("app_version").asText() + ")"));
            out().println("ready:     " + (isReady ? "yes" : "no (" + ready.statusCode() + ": " + ready.body().trim() + ")"));
            List<String> lines = new ArrayList<>();
            for (JsonNode member : members.path("members")) {
                lines.add(member.path("node").asText() + " " + member.path("status").asText());
            }
            out().println("members:   " + (lines.isEmpty() ? "none (not joined)" : String.join("\n           ", lines)));
            if (members.path("unreachable").size() > 0) {
                out().println("unreachable: " + members.path("unreachable"));
            }
            out().println("cassandra: " + (isReady ? "answering" : "see ready"));
            return isReady ? 0 : REFUSED;
        }
    }

    // ------------------------------------------------------------------ keys

    @Command(name = "keys", mixinStandardHelpOptions = true, description = "API keys on a running node (LEDGER_URL), with an admin key in LEDGER_ADMIN_KEY. Prints the API's JSON; the secret of a new or rotated key is shown only in that answer.",
            subcommands = {Keys.Create.class, Keys.ListKeys.class, Keys.Revoke.class, Keys.Rotate.class})
    static final class Keys implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return missingCommand(spec, "name a keys command: create, list, revoke, rotate");
        }

        abstract static class KeysAction implements Callable<Integer> {
            @Spec
            CommandLine.Model.CommandSpec spec;

            int run(List<String> args) {
                String key = System.getenv().getOrDefault("LEDGER_ADMIN_KEY", "");
                return new KeysCommand(System.getenv().getOrDefault("LEDGER_URL", "http://127.0.0.1:8080"), key,
                        stream(spec.commandLine().getOut()),
                        stream(spec.commandLine().getErr())).run(args);
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "A new key for a workspace (or * for all) with scopes.")
        static final class Create extends KeysAction {
            @Option(names = "--workspace", required = true, description = "the workspace, or * for every workspace")
            String workspace;
            @Option(names = "--scope", required = true, description = "ingest, compliance.read, compliance.delete,"
                    + " analytics.read, budget.check, budget.admin, policy.admin, admin (repeat for several)")
            List<String> scopes;
            @Option(names = "--name", description = "a name to recognise it by")
            String name;

            @Override
            public Integer call() {
                List<String> args = new ArrayList<>(List.of("create", "--workspace", workspace));
                scopes.forEach(scope -> args.addAll(List.of("--scope", scope)));
                if (name != null) {
                    args.addAll(List.of("--name", name));
                }
                return run(args);
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "The keys (ids, scopes, names; never secrets).")
        static final class ListKeys extends KeysAction {
            @Option(names = "--workspace", description = "only this workspace's")
            String workspace;

            @Override
            public Integer call() {
                return run(workspace == null ? List.of("list") : List.of("list", "--workspace", workspace));
            }
        }

        @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key at once.")
        static final class Revoke extends KeysAction {
            @Parameters(paramLabel = "<key-id>")
            String id;

            @Override
            public Integer call() {
                return run(List.of("revoke", id));
            }
        }

        @Command(name = "rotate", mixinStandardHelpOptions = true,
                description = "A new secret for a key; the old one works for the grace period.")
        static final class Rotate extends KeysAction {
            @Parameters(paramLabel = "<key-id>")
            String id;
            @Option(names = "--grace-seconds", description = "how long the old secret keeps working")
            Long grace;

            @Override
            public Integer call() {
                return run(grace == null ? List.of("rotate", id) : List.of("rotate", id, "--grace-seconds", grace.toString()));
            }
        }
    }

    // ------------------------------------------------------------------ the offline verifier

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "The offline verifier (needs no node): a workspace export, or one record with its inclusion proof, against signed checkpoints and public keys. Exit 0 valid, 1 invalid (the first wrong seq and why), 2 wrong usage or unreadable input. docs/verifying.md",
            subcommands = {Verify.Export.class, Verify.Record.class})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return missingCommand(spec, "name what to verify: export or record");
        }

        abstract static class Checked implements Callable<Integer> {
            @Spec
            CommandLine.Model.CommandSpec spec;
            @Option(names = "--checkpoints", required = true, arity = "1..*",
                    description = "a signed note, or the JSON of GET …/log/checkpoints")
            List<String> checkpoints;
            @Option(names = "--keys", required = true, arity = "1..*",
                    description = "a verifier key, a file of them, or the JSON of GET …/log/keys")
            List<String> keys;
            @Option(names = "--origin", description = "the log the checkpoints must be of (e.g. codex-ledger.local/acme)")
            String origin;

            int verify(List<String> args) {
                checkpoints.forEach(c -> args.addAll(List.of("--checkpoints", c)));
                keys.forEach(k -> args.addAll(List.of("--keys", k)));
                if (origin != null) {
                    args.addAll(List.of("--origin", origin));
                }
                return VerifyCommand.run(args.toArray(String[]::new),
                        stream(spec.commandLine().getOut()),
                        stream(spec.commandLine().getErr()));
            }
        }

        @Command(name = "export", mixinStandardHelpOptions = true, description = "Every record of an export (GET /v1/workspaces/{ws}/records/export) in order: seqs without a gap, the hash chain, the Merkle root at each signed checkpoint; the newest checkpoint must cover the export.")
        static final class Export extends Checked {
            @Parameters(paramLabel = "<export.jsonl>")
            String export;
            @Option(names = "--to-newest-checkpoint", description = "verify up to the newest checkpoint given, ignore later records")
            boolean toNewest;

            @Override
            public Integer call() {
                List<String> args = new ArrayList<>(List.of("export", export));
                if (toNewest) {
                    args.add("--to-newest-checkpoint");
                }
                return verify(args);
            }
        }

        @Command(name = "record", mixinStandardHelpOptions = true,
                description = "One record (as the records API returns it) with its inclusion proof against a signed checkpoint.")
        static final class Record extends Checked {
            @Parameters(paramLabel = "<record.json>")
            String record;
            @Option(names = "--proof", required = true, description = "GET …/log/proofs/inclusion?seq=N, saved")
            String proof;

            @Override
            public Integer call() {
                return verify(new ArrayList<>(List.of("record", record, "--proof", proof)));
            }
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true, description = "A new Ed25519 checkpoint signing key for LEDGER_CHECKPOINT_SIGNING_KEY (name = the origin), and its verifier key.")
    static final class Keygen implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "<name>")
        String name;

        @Override
        public Integer call() {
            return VerifyCommand.run(new String[] {"keygen", name},
                    stream(spec.commandLine().getOut()),
                    stream(spec.commandLine().getErr()));
        }
    }

    /** A PrintStream over picocli's writer, for the older commands (tests capture picocli's writers). */
    static java.io.PrintStream stream(PrintWriter writer) {
        return new java.io.PrintStream(new WriterStream(writer), true, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The older commands print to PrintStreams; picocli writes to PrintWriters (tests capture those). */
    static final class WriterStream extends java.io.OutputStream {
        private final PrintWriter writer;

        WriterStream(PrintWriter writer) {
            this.writer = writer;
        }

        @Override
        public void write(int b) {
            writer.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            writer.write(new String(bytes, offset, length, java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        public void flush() {
            writer.flush();
        }
    }
}
