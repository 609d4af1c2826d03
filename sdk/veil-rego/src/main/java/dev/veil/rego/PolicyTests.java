package dev.veil.rego;

import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.ast.Rule;
import dev.veil.rego.internal.engine.RegoProgram;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.spi.Bundle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a bundle's policy tests, like {@code opa test}: every rule whose name starts with
 * {@code test_} in the bundle's {@code .rego} modules, compiled with the bundle's data, without
 * input (tests set it with {@code with input as ...}). A test passes when its value is {@code true};
 * it fails when it is undefined, any other value, or raises an error (builtin errors are strict).
 */
public final class PolicyTests {
    private PolicyTests() {}

    /**
     * One test.
     *
     * @param name the rule's path, e.g. {@code data.veil.access_test.test_analysts}
     * @param file the module defining it
     * @param passed whether it passed
     * @param failure why it failed ({@code null} when it passed): {@code undefined}, the value it
     *     produced, or the error
     */
    public record Result(String name, String file, boolean passed, String failure) {}

    /**
     * Compiles every {@code .rego} file of the bundle with its data and runs each test once, in file
     * order then rule order.
     *
     * @throws RegoException when a module does not parse or the modules do not compile
     */
    public static List<Result> run(Bundle bundle) {
        Map<String, String> sources = new LinkedHashMap<>();
        bundle.files().stream().filter(f -> f.endsWith(".rego")).sorted()
                .forEach(f -> sources.put(f, new String(bundle.read(f), StandardCharsets.UTF_8)));
        RegoProgram program = RegoProgram.compile(sources, bundle.data());
        Map<String, String> tests = new LinkedHashMap<>();
        for (Module m : program.modules()) {
            String pkg = m.pkg().path().toString();
            Set<String> names = new LinkedHashSet<>();
            for (Rule r : m.rules()) {
                if (r.head().size() == 1 && r.args() == null && r.name().startsWith("test_")) {
                    names.add(r.name());
                }
            }
            for (String n : names) {
                tests.putIfAbsent(pkg + "." + n, m.file());
            }
        }
        List<Result> out = new ArrayList<>();
        tests.forEach((name, file) -> {
            String failure;
            try {
                Value v = program.evaluate(name.substring("data.".length()), null);
                failure = v == null ? "undefined" : v.equals(BooleanValue.TRUE) ? null : "value " + v;
            } catch (RegoException e) {
                failure = e.getMessage().replace('\n', ' ');
            }
            out.add(new Result(name, file, failure == null, failure));
        });
        return out;
    }
}
