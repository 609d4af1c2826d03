package dev.veil.cli;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.VeilException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code veil audit}: audit log tools; {@code veil audit verify FILE} checks a log's hash chain. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Audit log tools.",
        subcommands = {AuditCommand.Verify.class, CommandLine.HelpCommand.class})
final class AuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil audit verify FILE}: prints {@code ok N records} (exit 0) or
     * {@code broken: <where and what>} for the first broken record (exit 1), see
     * {@link AuditLog#verify}.
     */
    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = {
                "Check the hash chain of a JSON-lines audit log written by a Guard.",
                "Prints 'ok N records' and 'last hash: H', or 'broken: ...' naming the first broken line (an "
                        + "edited, removed, inserted, reordered or cut-short one) or saying that no record has the "
                        + "--last-hash.",
                "The chain is not keyed: records cut off the end leave an intact chain, and whoever can write the "
                        + "file can recompute every hash from an edit on. So an intact log also prints its last hash: "
                        + "keep a copy elsewhere (another system, a signed ticket) and check it later with "
                        + "--last-hash."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the chain is intact",
                "1:the chain is broken",
                "2:bad usage, or the file is missing or unreadable"
            })
    static final class Verify implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The JSON-lines audit log.")
        Path file;

        @CommandLine.Option(names = "--last-hash", paramLabel = "HASH",
                description = "A hash kept from an earlier verify (its 'last hash:'): the check fails unless some "
                        + "record of the log has it as its own hash (the log may have grown since); 64 zeros, the "
                        + "empty log's, always matches.")
        String lastHash;

        @Override
        public Integer call() {
            CliFiles.requireReadableFile(file, "audit log");
            if (lastHash != null && !lastHash.matches("[0-9a-fA-F]{64}")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--last-hash must be 64 hexadecimal "
                        + "digits, as 'veil audit verify' prints after 'last hash:', was '" + lastHash + "'");
            }
            AuditVerification v;
            try {
                v = lastHash == null ? AuditLog.verify(file)
                        : AuditLog.verify(file, lastHash.toLowerCase(java.util.Locale.ROOT));
            } catch (VeilException e) {
                throw new CliException(e.getMessage(), e);
            }
            if (v.ok()) {
                spec.commandLine().getOut().println("ok " + v.records() + " records");
                spec.commandLine().getOut().println("last hash: " + v.lastHash());
                return VeilCli.EXIT_OK;
            }
            spec.commandLine().getOut().println("broken: " + v.message());
            return VeilCli.EXIT_CHECK_FAILED;
        }
    }
}
