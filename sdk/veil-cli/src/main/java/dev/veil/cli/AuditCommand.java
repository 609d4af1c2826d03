package dev.veil.cli;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code veil audit}: audit log tools. */
@Command(name = "audit", description = "Audit log tools.", subcommands = AuditCommand.Verify.class)
final class AuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code veil audit verify FILE}. */
    @Command(name = "verify", description = "Check the hash chain of an audit log: prints 'ok N records' or the first "
            + "broken record and exits 1.")
    static final class Verify implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The JSON-lines audit log.")
        Path file;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                spec.commandLine().getErr().println("veil audit verify: no such file: " + file);
                return 2;
            }
            AuditVerification v = AuditLog.verify(file);
            if (v.ok()) {
                spec.commandLine().getOut().println("ok " + v.records() + " records");
                return 0;
            }
            spec.commandLine().getOut().println("broken: " + v.message());
            return 1;
        }
    }
}
