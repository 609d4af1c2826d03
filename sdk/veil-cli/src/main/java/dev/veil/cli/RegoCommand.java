package dev.veil.cli;

import dev.veil.internal.text.ControlChars;
import dev.veil.rego.Conformance;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code veil rego ...}: tools for the Rego engine. */
@Command(
        name = "rego",
        mixinStandardHelpOptions = true,
        description = "Tools for Veil's Rego engine.",
        subcommands = {RegoCommand.ConformanceCommand.class})
final class RegoCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil rego conformance DIR [--verbose] [--write-passing FILE]}: runs every case of OPA's
     * conformance test files under DIR ({@link Conformance#run}) and prints one line per directory
     * ({@code <dir> <passed>/<total>}), with {@code --verbose} each failing case's note and reason, then
     * {@code N passed, M failed}. Exits 0 whatever the cases gave; 2 only for bad usage or a directory
     * that cannot be read.
     */
    @Command(
            name = "conformance",
            mixinStandardHelpOptions = true,
            description = {
                "Run OPA's Rego conformance test cases (*.yaml/*.yml under DIR) against Veil's Rego engine: one line "
                        + "per directory '<dir> <passed>/<total>', then 'N passed, M failed'."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the cases ran (whether they passed or not)",
                "2:bad usage; DIR is not a readable directory; a file is not in OPA's test-case format"
            })
    static final class ConformanceCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Directory holding OPA's test-case files.")
        Path dir;

        @Option(names = "--verbose", description = "Also print the note of every failing case and why it failed.")
        boolean verbose;

        @Option(names = "--write-passing", paramLabel = "FILE",
                description = "Write the sorted notes of the passing cases to FILE, one per line.")
        Path writePassing;

        @Override
        public Integer call() {
            CliFiles.requireReadable(dir, "DIR");
            PrintWriter out = spec.commandLine().getOut();
            Conformance.Report report;
            try (PrintStream ps = new PrintStream(new LineForwarder(out), true, StandardCharsets.UTF_8)) {
                report = Conformance.run(dir, verbose, ps);
            } catch (IllegalArgumentException | UncheckedIOException e) {
                throw new CliException(e.getMessage(), e);
            }
            if (writePassing != null) {
                try {
                    report.writePassing(writePassing);
                } catch (UncheckedIOException e) {
                    throw new CliException(e.getMessage(), e);
                }
            }
            return VeilCli.EXIT_OK;
        }
    }

    /**
     * Forwards UTF-8 bytes to a writer, line by line (so that output appears as the cases run), each
     * line's characters that hide or reorder text escaped ({@link ControlChars#escaped}; its line
     * break kept): what the Rego tools print quotes the bundle's file names, Rego {@code print()}
     * output and builtin errors that quote data, which a hostile bundle fills with terminal commands
     * (ESC, C1 controls) or U+202E. A lone surrogate reaches this class already as {@code ?}: the
     * PrintStream that encodes the text to UTF-8 writes it so.
     */
    static final class LineForwarder extends OutputStream {
        private final PrintWriter out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineForwarder(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public void flush() {
            String text = line.toString(StandardCharsets.UTF_8);
            String end = text.endsWith(System.lineSeparator()) ? System.lineSeparator() : text.endsWith("\n") ? "\n" : "";
            out.write(ControlChars.escaped(text.substring(0, text.length() - end.length())) + end);
            out.flush();
            line.reset();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
