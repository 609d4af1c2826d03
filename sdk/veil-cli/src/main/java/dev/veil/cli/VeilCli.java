package dev.veil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code veil} command. Exit codes: 0 success, 1 a check failed (a broken audit log, a bundle
 * with errors), 2 bad usage or unreadable input.
 */
@Command(
        name = "veil",
        mixinStandardHelpOptions = true,
        version = "veil 0.1.0",
        description = "Veil: keep deployed ML models from leaking their training data.",
        subcommands = {
            EvalCommand.class,
            AuditCommand.class,
            BundleCommand.class,
            KeyCommand.class,
            CommandLine.HelpCommand.class
        })
public final class VeilCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new VeilCli());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("veil: " + ex.getMessage());
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
