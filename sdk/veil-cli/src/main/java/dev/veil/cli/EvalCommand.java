package dev.veil.cli;

import dev.veil.internal.text.ControlChars;
import dev.veil.PolicyBundle;
import dev.veil.internal.policy.Documents;
import dev.veil.spi.PolicyInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil eval --bundle DIR --input FILE.json}: asks every stage question of a bundle's policy
 * for one policy input document ({@link PolicyBundle#evaluate}) and prints the six decision
 * documents as one JSON object. Exit 1 when the policy cannot answer a stage's question (that
 * stage printed as {@code {"error": "..."}}, the others as usual, the error also on standard
 * error). Exit 2 when the bundle does not load (its errors listed one per line) or the input cannot
 * be read, is not a JSON object, or has a field of the wrong type.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Print the decision documents of every stage (access, validation, monitoring, model, output, logging) "
                    + "for one policy input document, as JSON.",
            "The input document is described in docs/policy-reference.md, section 8; every part may be left out, "
                    + "e.g. {\"caller\": {\"id\": \"alice\", \"authenticated\": true, \"roles\": [\"analyst\"]}}."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the decisions were printed",
            "1:the policy could not answer a stage's question (a malformed decision document, an evaluation "
                    + "error): the other stages are printed, that one as {\"error\": \"...\"}, and the error on "
                    + "standard error",
            "2:bad usage; the bundle does not load; the input is missing, unreadable, not JSON or has a bad field"
        })
final class EvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bundle", required = true, paramLabel = "BUNDLE", description = "Bundle directory or .tar.gz.")
    Path bundle;

    @Option(names = "--input", required = true, paramLabel = "FILE.json",
            description = "Policy input document (a JSON object).")
    Path input;

    @Override
    public Integer call() {
        CliFiles.requireReadable(bundle, "--bundle");
        CliFiles.requireReadableFile(input, "--input");
        PolicyBundle b = VeilCli.loadOrReport(spec, bundle);
        if (b == null) {
            return VeilCli.EXIT_USAGE;
        }
        Map<String, Object> doc = Json.readObject(input, "--input");
        PolicyInput in;
        try {
            in = Documents.inputFromDocument(doc);
        } catch (IllegalArgumentException e) {
            throw new CliException(input + ": not a valid policy input: " + e.getMessage(), e);
        }
        // Every stage is asked, even after one fails: a stage whose question the policy cannot answer
        // (a malformed decision document, a Rego evaluation error) shows as {"error": ...} in its place.
        List<String> failures = new ArrayList<>();
        Map<String, Object> decisions = Documents.evaluateAll(b.policy(), in, (stage, e) -> {
            // The engines' own failures (VeilException, IllegalArgumentException, IllegalStateException):
            // their messages say what went wrong, without a class name. Anything else keeps its class.
            String why = (e instanceof dev.veil.VeilException || e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException) && e.getMessage() != null ? e.getMessage() : e.toString();
            if (e.getCause() instanceof dev.veil.rego.RegoException re && !why.contains(re.getMessage())) {
                // The Guard logs the error without what it may quote of the request; here the input is
                // the author's own, so the whole error is said in its place.
                String valueFree = dev.veil.rego.internal.engine.RegoErrors.valueFree(re);
                why = why.endsWith(valueFree) ? why.substring(0, why.length() - valueFree.length()) + re.getMessage()
                        : why + "; in full: " + re.getMessage();
            }
            failures.add("the " + stage + " question: " + why);
            return Map.of("error", why);
        });
        spec.commandLine().getOut().println(Json.print(decisions));
        for (String f : failures) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": the policy could not answer " + ControlChars.escaped(f));
        }
        return failures.isEmpty() ? VeilCli.EXIT_OK : VeilCli.EXIT_CHECK_FAILED;
    }
}
