package dev.veil.cli;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil eval}: the decision document of every stage for one policy input. */
@Command(name = "eval", description = "Print the decision documents of every stage for one policy input document.")
final class EvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bundle", required = true, description = "Bundle directory or .tar.gz.")
    Path bundle;

    @Option(names = "--input", required = true, description = "Policy input document (JSON), see docs/policy-reference.md.")
    Path input;

    @Override
    public Integer call() {
        PolicyBundle b;
        try {
            b = PolicyBundle.load(bundle);
        } catch (PolicyLoadException e) {
            printErrors(spec, e);
            return 2;
        }
        Map<String, Object> doc;
        try {
            doc = Json.readObject(input);
            spec.commandLine().getOut().println(Json.print(b.evaluate(doc)));
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("veil eval: " + e.getMessage());
            return 2;
        }
        return 0;
    }

    static void printErrors(CommandLine.Model.CommandSpec spec, PolicyLoadException e) {
        spec.commandLine().getErr().println("bundle rejected (" + e.errors().size() + " error"
                + (e.errors().size() == 1 ? "" : "s") + "):");
        for (PolicyError err : e.errors()) {
            spec.commandLine().getErr().println("  " + err);
        }
    }
}
