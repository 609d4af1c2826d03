package dev.veil.cli;

import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.spi.Bundle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code veil bundle}: policy bundle tools; {@code veil bundle inspect DIR} shows what a bundle holds. */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Policy bundle tools.",
        subcommands = {BundleCommand.Inspect.class, CommandLine.HelpCommand.class})
final class BundleCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil bundle inspect BUNDLE}: prints the source, revision, roots, files with their
     * sizes, the top-level keys of the data document, the policy's name and engine, and {@code ok}
     * (exit 0); or, when the bundle does not load, what could be read and then the load errors one
     * per line (exit 1).
     */
    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description = {
                "Show what a policy bundle holds: source, revision, roots, files and sizes, data keys, the policy "
                        + "name and engine, then 'ok'.",
                "When it does not load, prints 'rejected (N errors):' and one FILE:LINE:COLUMN: message line per "
                        + "error (FILE relative to the bundle)."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the bundle loads",
                "1:the bundle has load errors",
                "2:bad usage, or the path does not exist or cannot be read"
            })
    static final class Inspect implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "BUNDLE", description = "Bundle directory or .tar.gz.")
        Path path;

        @Override
        public Integer call() {
            CliFiles.requireReadable(path, "bundle");
            PrintWriter out = spec.commandLine().getOut();
            Bundle contents;
            try {
                contents = PolicyBundle.read(path);
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(out, "rejected", e);
                return VeilCli.EXIT_CHECK_FAILED;
            }
            out.println("source:   " + contents.source());
            out.println("revision: " + (contents.revision().isEmpty() ? "(none)" : contents.revision()));
            out.println("roots:    " + contents.roots().stream().map(r -> r.isEmpty() ? "\"\"" : r).toList());
            List<String> files = contents.files().stream().sorted().toList();
            out.println("files:    " + files.size());
            for (String f : files) {
                out.println("  " + f + " (" + contents.read(f).length + " bytes)");
            }
            out.println("data:     " + (contents.data().isEmpty()
                    ? "(none)" : String.join(", ", contents.data().keySet().stream().sorted().toList())));
            PolicyBundle b;
            try {
                b = PolicyBundle.of(contents);
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(out, "rejected", e);
                return VeilCli.EXIT_CHECK_FAILED;
            }
            out.println("policy:   " + b.name() + " (engine " + b.engine() + ")");
            out.println("ok");
            return VeilCli.EXIT_OK;
        }
    }
}
