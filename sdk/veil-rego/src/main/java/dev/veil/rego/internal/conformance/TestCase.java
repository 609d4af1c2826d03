package dev.veil.rego.internal.conformance;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * One case of OPA's conformance suite ({@code v1/test/cases/cases.go}, {@code TestCase}), as read from a
 * YAML file.
 */
public record TestCase(String file, String note, String query, List<String> modules, Map<String, Object> data,
                       boolean hasInput, Object input, String inputTerm, List<Map<String, Object>> wantResult,
                       Boolean wantDefined, String wantError, String wantErrorCode, boolean strictError,
                       boolean sortBindings, boolean ignoreGeneratedVars, Map<String, Object> env) {

    /**
     * Reads every case of one file.
     *
     * @throws IOException              when the file cannot be read
     * @throws IllegalArgumentException when it is not in the test-case format
     */
    @SuppressWarnings("unchecked")
    public static List<TestCase> read(Path file) throws IOException {
        LoaderOptions lo = new LoaderOptions();
        lo.setCodePointLimit(64 * 1024 * 1024);
        Yaml yaml = new Yaml(new SafeConstructor(lo));
        Object doc;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            doc = yaml.load(r);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage().replace('\n', ' '), e);
        }
        if (!(doc instanceof Map<?, ?> top) || !(top.get("cases") instanceof List<?> cases)) {
            throw new IllegalArgumentException(file + ": expected a top-level 'cases:' list");
        }
        List<TestCase> out = new ArrayList<>();
        for (Object o : cases) {
            if (!(o instanceof Map<?, ?> c)) {
                throw new IllegalArgumentException(file + ": each case must be a mapping");
            }
            Map<String, Object> m = (Map<String, Object>) c;
            List<String> modules = new ArrayList<>();
            if (m.get("modules") instanceof List<?> ms) {
                for (Object x : ms) {
                    modules.add(String.valueOf(x));
                }
            }
            List<Map<String, Object>> want = null;
            if (m.get("want_result") instanceof List<?> wr) {
                want = new ArrayList<>();
                for (Object x : wr) {
                    want.add(x instanceof Map<?, ?> xm ? (Map<String, Object>) xm : Map.of());
                }
            }
            out.add(new TestCase(file.toString(), String.valueOf(m.get("note")), (String) m.get("query"), modules,
                    m.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : null,
                    m.containsKey("input"), m.get("input"), (String) m.get("input_term"), want,
                    (Boolean) m.get("want_defined"), (String) m.get("want_error"),
                    (String) m.get("want_error_code"), Boolean.TRUE.equals(m.get("strict_error")),
                    Boolean.TRUE.equals(m.get("sort_bindings")), Boolean.TRUE.equals(m.get("ignore_generated_vars")),
                    m.get("env") instanceof Map<?, ?> e ? (Map<String, Object>) e : Map.of()));
        }
        return out;
    }
}
