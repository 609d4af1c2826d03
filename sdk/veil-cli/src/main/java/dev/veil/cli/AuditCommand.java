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
                "Prints 'ok N records', or 'broken: line L (decision D) <what is wrong>' for the first broken "
                        + "record (an edited, removed, inserted, reordered or cut-short line).",
                "Records cut off the end of the log leave an intact chain: compare the last hash with a copy "
                        + "kept elsewhere for that."
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

        @Override
        public Integer call() {
            CliFiles.requireReadableFile(file, "audit log");
            AuditVerification v;
            try {
                v = AuditLog.verify(file);
            } catch (VeilException e) {
                throw new CliException(e.getMessage(), e);
            }
            if (v.ok()) {
                spec.commandLine().getOut().println("ok " + v.records() + " records");
                return VeilCli.EXIT_OK;
            }
            spec.commandLine().getOut().println("broken: " + v.message());
            return VeilCli.EXIT_CHECK_FAILED;
        }
    }
}
