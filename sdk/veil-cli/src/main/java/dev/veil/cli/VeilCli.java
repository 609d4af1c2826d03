package dev.veil.cli;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.text.ControlChars;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code veil} command line: {@code eval}, {@code audit verify}, {@code bundle inspect},
 * {@code bundle sign}, {@code bundle verify}, {@code key pair},
 * {@code key create}, {@code stats}, {@code monitor replay}, {@code calibrate}, {@code test} (Rego policy
 * tests) and {@code rego conformance} (OPA's conformance cases). Run it with
 * {@code java -jar veil.jar COMMAND ...}; {@code veil help COMMAND} (or {@code COMMAND --help}) describes each command.
 *
 * <p>Exit codes, the same for every command:
 * <ul>
 *   <li>{@value #EXIT_OK}: success;</li>
 *   <li>{@value #EXIT_CHECK_FAILED}: a check ran and failed: {@code audit verify} found a broken
 *       hash chain, {@code bundle inspect} found load errors, {@code bundle verify} (or
 *       {@code bundle inspect --trusted-keys}) found a missing or invalid signature, {@code test} found a failing test or a module that does not compile;</li>
 *   <li>{@value #EXIT_USAGE}: bad usage (unknown command or option, a missing or malformed
 *       option value, no command at all) or input the command cannot use (a path that does not
 *       exist, a file that cannot be read or does not parse, a bundle that does not load for
 *       {@code eval}, a key store that is not one). Nothing was written. Also when standard output
 *       cannot be written (a full disk, {@code > /dev/full}, a closed pipe): {@code veil: cannot
 *       write standard output} on standard error, whatever the command found, since its results
 *       are lost; {@code key create} and {@code calibrate} check standard output before they change
 *       a file and then leave it unchanged. A command whose result is the files it wrote
 *       ({@code stats}, {@code key pair}, {@code bundle sign}) and that can only not print its
 *       confirmation afterwards exits 0: its work is done, and standard error says so
 *       ({@code veil stats: wrote FILE; could not print the confirmation: standard output cannot be
 *       written}).</li>
 * </ul>
 *
 * <p>Results go to standard output; diagnostics go to standard error as
 * {@code veil COMMAND: what was wrong}, with {@code FILE:LINE:COLUMN} for JSON syntax errors and one
 * {@code FILE:LINE:COLUMN: message} line per bundle load error (file relative to the bundle; line
 * and column left out when unknown). A usage error prints {@code veil COMMAND: message}, picocli's
 * suggestions for a misspelt option or command, and {@code see 'veil COMMAND --help'} (not the
 * whole usage). The checks of {@code audit verify} and {@code bundle inspect}
 * are their results, so they print them on standard output. No command ever prints a secret except
 * {@code key create}, which prints the new key, once, on standard output.
 */
@Command(
        name = "veil",
        mixinStandardHelpOptions = true,
        version = "veil 0.1.0-SNAPSHOT",
        description = "Veil: keep deployed ML models from leaking their training data.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:a check failed (broken audit log, bundle with load errors or an invalid signature, failing policy test, "
                    + "a stage question veil eval could not answer)",
            "2:bad usage or input that cannot be read or used, or standard output cannot be written "
                    + "('veil: cannot write standard output'; stats, key pair and bundle sign exit 0 when they wrote "
                    + "their files and only their confirmation could not be printed, and say so on standard error)"
        },
        subcommands = {
            EvalCommand.class,
            AuditCommand.class,
            BundleCommand.class,
            KeyCommand.class,
            StatsCommand.class,
            MonitorCommand.class,
            CalibrateCommand.class,
            TestCommand.class,
            RegoCommand.class,
            CommandLine.HelpCommand.class
        })
public final class VeilCli implements Runnable {
    /** Exit code: success. */
    public static final int EXIT_OK = 0;
    /** Exit code: a check ran and failed (broken audit log, bundle with load errors). */
    public static final int EXIT_CHECK_FAILED = 1;
    /** Exit code: bad usage, or input that cannot be read or used, or standard output cannot be written. */
    public static final int EXIT_USAGE = 2;
    /** What standard error says when standard output cannot be written. */
    static final String CANNOT_WRITE_STDOUT = "veil: cannot write standard output";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Whether a command said on standard error that its confirmation was lost ({@link #confirm}). */
    private boolean confirmationLostReported;

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line, printing to {@link System#out} and {@link System#err}.
     *
     * @return the exit code ({@link #EXIT_OK}, {@link #EXIT_CHECK_FAILED} or {@link #EXIT_USAGE})
     */
    public static int run(String... args) {
        // UTF-8 whatever the locale: the results are JSON (RFC 8259: UTF-8), and under a C or POSIX
        // locale Java 17 would write every non-ASCII character of a caller id as '?'.
        return run(utf8(System.out), utf8(System.err), args);
    }

    /**
     * A UTF-8 writer on a print stream whose {@link PrintWriter#checkError} also reports the stream's
     * errors: a {@link PrintStream} never throws, so the writer alone would never see that a write
     * to a full disk or a closed pipe failed.
     */
    private static PrintWriter utf8(PrintStream stream) {
        return new PrintWriter(new java.io.OutputStreamWriter(stream, java.nio.charset.StandardCharsets.UTF_8), true) {
            @Override
            public boolean checkError() {
                boolean mine = super.checkError(); // flushes into the stream first
                return stream.checkError() || mine;
            }
        };
    }

    /**
     * Runs the command line in this JVM, printing results to {@code out} and diagnostics to
     * {@code err} (both flushed before returning); for tests and embedding. When {@code out} reports
     * an error ({@link PrintWriter#checkError}), the results are lost whatever the command found:
     * prints {@value #CANNOT_WRITE_STDOUT} on {@code err} and returns {@link #EXIT_USAGE}.
     *
     * @return the exit code ({@link #EXIT_OK}, {@link #EXIT_CHECK_FAILED} or {@link #EXIT_USAGE})
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = newCommandLine();
        cl.setOut(out);
        cl.setErr(err);
        int exit;
        try {
            exit = run(cl, args);
        } finally {
            out.flush();
            err.flush();
        }
        if (out.checkError() && !(exit == EXIT_OK && cl.<VeilCli>getCommand().confirmationLostReported)) {
            err.println(CANNOT_WRITE_STDOUT);
            err.flush();
            return EXIT_USAGE;
        }
        return exit;
    }

    /**
     * Flushes a command's standard output and tells whether everything written to it so far got
     * through: a command that is about to change a file calls it first, so that a result it cannot
     * show (the key {@code key create} issues) is not recorded either.
     */
    static boolean stdoutWritten(CommandLine.Model.CommandSpec spec) {
        return !spec.commandLine().getOut().checkError();
    }

    /**
     * Prints the confirmation of a command whose result is the files it has written: when standard
     * output cannot be written, the work is done all the same, so instead of failing the command
     * (exit {@link #EXIT_USAGE}, as for a result that is lost) this says on standard error
     * {@code veil COMMAND: wrote WHAT; could not print the confirmation: standard output cannot be
     * written}, and the command exits as it returns.
     *
     * @param wrote the files written, as the message names them
     */
    static void confirm(CommandLine.Model.CommandSpec spec, String wrote, java.util.function.Consumer<PrintWriter> lines) {
        PrintWriter out = spec.commandLine().getOut();
        lines.accept(out);
        if (!stdoutWritten(spec)) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": wrote " + wrote + "; could not print the "
                    + "confirmation: standard output cannot be written");
            if (spec.root().userObject() instanceof VeilCli root) {
                root.confirmationLostReported = true;
            }
        }
    }

    private static int run(CommandLine cl, String... args) {
        cl.setParameterExceptionHandler(VeilCli::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            String name = cmd.getCommandSpec().qualifiedName();
            // a message quotes paths, file contents and a file's field values: escaped, so that it
            // prints as the text it is (no line, terminal command or reordering of its own)
            if (ex instanceof CliException) {
                cmd.getErr().println(name + ": " + ControlChars.escaped(String.valueOf(ex.getMessage())));
            } else {
                // not expected: say what it was, so that it can be reported
                cmd.getErr().println(name + ": failed: " + ControlChars.escaped(String.valueOf(ex)));
            }
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /**
     * A usage error (unknown option, missing or malformed value, no command): {@code veil COMMAND:
     * message}, picocli's suggestions for a misspelt option or command, and where the help is, on
     * standard error; not the whole usage, which would bury the one line that matters.
     */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        String message = ex.getMessage();
        if (!(ex instanceof CommandLine.UnmatchedArgumentException) && !cmd.getUnmatchedArguments().isEmpty()) {
            // picocli checks required options first: for 'eval --bundel x' the misspelling is the error
            ex = new CommandLine.UnmatchedArgumentException(cmd, cmd.getUnmatchedArguments());
            message = ex.getMessage();
        }
        // picocli's message for a bad map value says "option option '--attr'"
        message = message.replace("option option '", "option '").replaceAll("\\R", " ");
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + ControlChars.escaped(message));
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched) {
            CommandLine.UnmatchedArgumentException.printSuggestions(unmatched, err);
        }
        err.println("see '" + name + " --help'");
        return EXIT_USAGE;
    }

    private static CommandLine newCommandLine() {
        return new CommandLine(new VeilCli());
    }

    /** {@code veil} alone: there is nothing to do, so it is a usage error. */
    @Override
    public void run() {
        throw missingSubcommand(spec);
    }

    /** The usage error for a command group run without a subcommand. */
    static CommandLine.ParameterException missingSubcommand(CommandLine.Model.CommandSpec spec) {
        return new CommandLine.ParameterException(spec.commandLine(), "Missing command: choose one of "
                + String.join(", ", spec.subcommands().keySet().stream().filter(s -> !s.equals("help")).toList()));
    }

    /**
     * Loads the bundle a command was given; when it does not load, prints its errors under
     * {@code <command>: bundle <path> does not load} to the command's error stream and returns null
     * (the command then exits with {@link #EXIT_USAGE}).
     */
    static PolicyBundle loadOrReport(CommandLine.Model.CommandSpec spec, Path bundle) {
        try {
            return PolicyBundle.load(bundle);
        } catch (PolicyLoadException e) {
            printBundleErrors(spec.commandLine().getErr(), spec.qualifiedName() + ": bundle " + bundle
                    + " does not load", e);
            return null;
        }
    }

    /**
     * Prints bundle load errors: a header line, then one {@code FILE:LINE:COLUMN: message} line per
     * error (any line break inside a message replaced by a space, so each error is one line; Jackson's
     * source references shortened).
     */
    static void printBundleErrors(PrintWriter w, String header, PolicyLoadException e) {
        List<PolicyError> errors = e.errors();
        w.println(header + " (" + errors.size() + " error" + (errors.size() == 1 ? "" : "s") + "):");
        for (PolicyError err : errors) {
            w.println(ControlChars.escaped(Json.stripSourceRefs(err.toString()).replaceAll("\\R", " ")));
        }
    }
}
