package dev.veil.cli;

import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.spi.Bundle;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code veil bundle}: bundle tools. */
@Command(name = "bundle", description = "Policy bundle tools.", subcommands = BundleCommand.Inspect.class)
final class BundleCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code veil bundle inspect DIR}. */
    @Command(name = "inspect", description = "List what a bundle holds and its load errors; exits 1 if it does not load.")
    static final class Inspect implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "BUNDLE", description = "Bundle directory or .tar.gz.")
        Path path;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            Bundle contents;
            try {
                contents = PolicyBundle.read(path);
            } catch (PolicyLoadException e) {
                EvalCommand.printErrors(spec, e);
                return 1;
            }
            out.println("source:   " + contents.source());
            out.println("revision: " + (contents.revision().isEmpty() ? "(none)" : contents.revision()));
            out.println("roots:    " + contents.roots());
            out.println("files:");
            contents.files().stream().sorted().forEach(f -> out.println("  " + f + " (" + contents.read(f).length + " bytes)"));
            out.println("data:     " + (contents.data().isEmpty() ? "(none)" : String.join(", ", contents.data().keySet())));
            try {
                PolicyBundle b = PolicyBundle.of(contents);
                out.println("policy:   " + b.name() + " (engine " + b.engine() + ")");
                out.println("ok");
                return 0;
            } catch (PolicyLoadException e) {
                EvalCommand.printErrors(spec, e);
                return 1;
            }
        }
    }
}
