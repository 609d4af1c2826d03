package dev.veil.cli;

import dev.veil.internal.text.ControlChars;
import dev.veil.PolicyBundle;
import dev.veil.rego.PolicyTests;
import dev.veil.rego.RegoError;
import dev.veil.rego.RegoException;
import dev.veil.spi.Bundle;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code veil test BUNDLE}: runs every {@code test_*} rule of the bundle's {@code .rego} modules, like
 * {@code opa test} ({@link PolicyTests}: a test passes when it is defined and not false), and prints
 * one line per test ({@code data.pkg.test_x: PASS}, {@code FAIL}, or {@code ERROR: message}), a rule
 * of dashes, then {@code PASS: n/m} (and {@code FAIL: k/m} when some did not pass). The modules are
 * compiled and run as a Guard runs them ({@link PolicyTests}: the same builtins, strict builtin
 * errors). Exit 1 when a test fails, a module does not parse or the modules do not compile (each
 * error on standard output as {@code FILE:LINE:COLUMN: code: message}).
 */
@Command(
        name = "test",
        mixinStandardHelpOptions = true,
        description = {
            "Run the policy tests of a Rego bundle: every rule named test_* in its .rego files, evaluated with the "
                    + "bundle's data (like opa test). A test passes when it is defined and not false.",
            "The modules compile and run as a Guard runs them: http.send and net.lookup_ip_addr are not available, "
                    + "and a builtin that fails (e.g. to_number(\"abc\")) is an error, not an undefined expression.",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every test passed",
            "1:a test failed, or a module does not parse or compile",
            "2:bad usage; the bundle cannot be read; it has no .rego file"
        })
final class TestCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BUNDLE", description = "Bundle directory or .tar.gz holding .rego files.")
    Path bundle;

    @Override
    public Integer call() {
        CliFiles.requireReadable(bundle, "BUNDLE");
        Bundle contents;
        try {
            contents = PolicyBundle.read(bundle);
        } catch (RuntimeException e) {
            throw new CliException("bundle " + bundle + " cannot be read: " + e.getMessage(), e);
        }
        if (contents.files().stream().noneMatch(f -> f.endsWith(".rego"))) {
            throw new CliException("bundle " + bundle + " holds no .rego file: nothing to test");
        }
        PrintWriter out = spec.commandLine().getOut();
        PolicyTests.Report report;
        try {
            report = PolicyTests.run(contents);
        } catch (RegoException e) {
            out.println("bundle " + ControlChars.escaped(bundle.toString()) + " does not compile (" + e.errors().size() + " error"
                    + (e.errors().size() == 1 ? "" : "s") + "):");
            for (RegoError err : e.errors()) {
                out.println(ControlChars.escaped(err.toString().replaceAll("\\R", " ")));
            }
            return VeilCli.EXIT_CHECK_FAILED;
        }
        if (report.results().isEmpty()) {
            out.println("no test_* rule in " + ControlChars.escaped(bundle.toString()));
        }
        // each line escaped there: a test's error names its module and may quote data, and a failing
        // test's print() output is the bundle's own text
        try (PrintStream ps = new PrintStream(new RegoCommand.LineForwarder(out), true, StandardCharsets.UTF_8)) {
            report.print(ps);
        }
        return report.failed() > 0 ? VeilCli.EXIT_CHECK_FAILED : VeilCli.EXIT_OK;
    }
}
