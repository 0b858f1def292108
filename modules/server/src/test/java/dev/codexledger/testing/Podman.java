package dev.codexledger.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Podman as Debian 12 machines run it: as root with runc and cgroupfs (crun fails on hybrid cgroups), host networking,
 * and a containers.conf without default ulimits; its storage under the test's own folder so tests and
 * the machine's other containers stay apart. Every command is bounded in time.
 */
public final class Podman implements AutoCloseable {

    private final Path home;
    private final Path config;
    private final Path runroot;

    private Podman(Path home, Path config, Path runroot) {
        this.home = home;
        this.config = config;
        this.runroot = runroot;
    }

    /** Podman with its storage under {@code home}, or fails when podman or runc is missing. */
    public static Podman under(Path home) throws IOException {
        Files.createDirectories(home);
        Path config = home.resolve("containers.conf");
        // the default ulimits exceed the hard limits on these machines, and podman refuses to start then
        Files.writeString(config, "[containers]\ndefault_ulimits = []\n", StandardCharsets.UTF_8);
        // podman refuses a runroot (its sockets and locks) longer than 50 characters, and its database
        // remembers the runroot of the storage: a short one, the same for the same storage every run
        Path runroot = Files.createDirectories(Path.of("/tmp", "podman-run-"
                + Integer.toHexString(home.toAbsolutePath().toString().hashCode())));
        return new Podman(home, config, runroot);
    }

    /** Deletes the runroot (sockets and locks under /tmp); the storage under {@code home} stays for reuse. */
    @Override
    public void close() throws IOException {
        SharedCassandra.deleteRecursively(runroot);
    }

    /** Whether podman and runc are installed (.ci/run installs both). */
    public static boolean installed() {
        return Files.isExecutable(Path.of("/usr/bin/podman")) && Files.isExecutable(Path.of("/usr/sbin/runc"));
    }

    /** Runs {@code podman <args>}, returns its output; fails on a non-zero exit or past {@code within}. */
    public String run(Duration within, String... args) throws IOException, InterruptedException {
        Result result = attempt(within, args);
        if (result.exit() != 0) {
            throw new AssertionError("podman " + String.join(" ", args) + " exited " + result.exit() + ":\n"
                    + result.output());
        }
        return result.output();
    }

    public record Result(int exit, String output) {}

    /** Runs {@code podman <args>} and returns its exit code and output, whatever they are. */
    public Result attempt(Duration within, String... args) throws IOException, InterruptedException {
        // vfs storage: plain copies, no mounts left behind (overlay storage keeps its folder mounted, and
        // then neither `mvn clean` nor `rm -rf` can delete target/)
        List<String> command = new ArrayList<>(List.of("podman", "--root", home.resolve("root").toString(),
                "--runroot", runroot.toString(), "--storage-driver", "vfs", "--runtime", "/usr/sbin/runc",
                "--cgroup-manager=cgroupfs"));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(home, "podman-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().put("CONTAINERS_CONF", config.toString());
            Process process = builder.start();
            if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("podman " + String.join(" ", args) + " did not finish within " + within
                        + ":\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
