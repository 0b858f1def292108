package dev.codexledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.build.Version;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line: help on every command, its version, and exit codes that tell what happened. */
public class LedgerCliTest {

    public record Run(int exit, String out, String err) {}

    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine line = LedgerCli.commandLine();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        int exit = line.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void everyCommandHasHelp() {
        Run top = run("--help");
        assertEquals(0, top.exit());
        for (String command : List.of("start", "build", "cassandra", "cluster", "version", "status", "keys", "verify", "keygen")) {
            assertTrue(top.out().contains("\n  " + command + " "), "listed: " + command);
        }
        for (List<String> command : List.of(List.of("start"), List.of("build"), List.of("cassandra"), List.of("cluster"),
                List.of("version"), List.of("status"), List.of("keys"), List.of("keys", "create"), List.of("keys", "list"),
                List.of("keys", "revoke"), List.of("keys", "rotate"), List.of("verify"), List.of("verify", "export"),
                List.of("verify", "record"), List.of("keygen"))) {
            String[] args = new java.util.ArrayList<>(command) {{ add("--help"); }}.toArray(String[]::new);
            Run help = run(args);
            assertEquals(0, help.exit(), String.join(" ", args));
            assertTrue(help.out().startsWith("Usage: ledger " + String.join(" ", command)), help.out());
        }
    }

    @Test
    void versionNamesThisBuild() {
        Run version = run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("codex-ledger " + Version.current() + " (Java "), version.out());
        Run withoutNode = run("version", "--url", "http://127.0.0.1:1");
        assertEquals(0, withoutNode.exit());
        assertTrue(withoutNode.out().contains("client: codex-ledger " + Version.current()));
        assertTrue(withoutNode.out().contains("node:   none at http://127.0.0.1:1"));
    }

    @Test
    void exitCodesTellWhatHappened() {
        Run unknown = run("bogus");
        assertEquals(2, unknown.exit(), "usage");
        assertTrue(unknown.err().contains("Unmatched argument"), unknown.err());
        assertEquals(2, run("keys").exit(), "a command of commands without one");
        assertEquals(2, run("keys", "create", "--workspace", "acme").exit(), "a required option missing");
        assertEquals(2, run("start").exit(), "run by bin/ledger, not here");
        assertTrue(run("start").err().contains("run it as: bin/ledger start"));

        Run unreachable = run("status", "--management", "http://127.0.0.1:1");
        assertEquals(3, unreachable.exit(), unreachable.err());
        assertTrue(unreachable.err().contains("no answer from http://127.0.0.1:1/ready"), unreachable.err());

        Run unreadable = run("verify", "export", "/nonexistent/export.jsonl", "--checkpoints", "/nonexistent/c",
                "--keys", "/nonexistent/k");
        assertEquals(2, unreadable.exit(), unreadable.out() + unreadable.err());
    }

    @Test
    void keygenWritesAKeyPair() {
        Run keygen = run("keygen", "codex-ledger.example/acme");
        assertEquals(0, keygen.exit(), keygen.err());
        assertTrue(keygen.out().contains("signing key (secret): PRIVATE+KEY+codex-ledger.example/acme+"), keygen.out());
        assertTrue(keygen.out().contains("verifier key:         codex-ledger.example/acme+"), keygen.out());
    }
}
