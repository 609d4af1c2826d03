package dev.veil.rego.internal.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Parses every module and query of OPA's conformance cases in {@code ../shared/opa-conformance}
 * (read in place, never copied into this repository). Every one must parse, except in cases whose
 * expected error is a parse error.
 */
class ConformanceParseTest {
    /** Where the suite lives; overridable with -Dveil.opa.conformance=DIR. */
    static final Path SUITE = Path.of(System.getProperty("veil.opa.conformance", "/work/shared/opa-conformance"));

    record Source(String where, String text, boolean query, boolean parseErrorExpected) {
    }

    private static List<Source> cached;

    /** Every module and query of the suite, read once per test run. */
    static synchronized List<Source> sources() throws IOException {
        if (cached == null) {
            cached = read();
        }
        return cached;
    }

    private static List<Source> read() throws IOException {
        List<Source> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(SUITE)) {
            files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        for (Path f : files) {
            Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
            try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                for (Object doc : yaml.loadAll(r)) {
                    if (!(doc instanceof Map<?, ?> m) || !(m.get("cases") instanceof List<?> cases)) {
                        continue;
                    }
                    for (Object c : cases) {
                        Map<?, ?> kase = (Map<?, ?>) c;
                        String note = String.valueOf(kase.get("note"));
                        boolean parseError = String.valueOf(kase.get("want_error")).contains("rego_parse_error");
                        if (kase.get("modules") instanceof List<?> modules) {
                            for (int i = 0; i < modules.size(); i++) {
                                out.add(new Source(SUITE.relativize(f) + " " + note + " module " + i,
                                        String.valueOf(modules.get(i)), false, parseError));
                            }
                        }
                        if (kase.get("query") instanceof String q) {
                            out.add(new Source(SUITE.relativize(f) + " " + note + " query", q, true, parseError));
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyConformanceModuleAndQueryParses() throws IOException {
        assumeTrue(Files.isDirectory(SUITE), "OPA conformance cases not found at " + SUITE
                + " (set -Dveil.opa.conformance=DIR to run this test)");
        List<Source> all = sources();
        List<String> failures = new ArrayList<>();
        int parsed = 0;
        int modules = 0;
        for (Source s : all) {
            modules += s.query() ? 0 : 1;
            try {
                if (s.query()) {
                    Parser.parseQuery(s.text());
                } else {
                    Parser.parseModule("test.rego", s.text());
                }
                parsed++;
            } catch (RegoParseException e) {
                if (!s.parseErrorExpected()) {
                    failures.add(s.where() + ": " + e.getMessage());
                }
            }
        }
        System.out.printf("OPA conformance: %d of %d modules and queries parse (%d modules)%n", parsed, all.size(),
                modules);
        assertThat(failures).as("sources that do not parse").isEmpty();
        assertThat(all.size()).as("sources found").isGreaterThan(1000);
    }

    /**
     * Printing a parsed module and parsing the print gives the same tree (compared through a second
     * print): the printer writes valid Rego and the parser reads back precedence, refs, rule kinds,
     * else chains, some/every, with and template strings as it built them.
     */
    @Test
    void printedModulesParseBackToTheSameTree() throws IOException {
        assumeTrue(Files.isDirectory(SUITE), "OPA conformance cases not found at " + SUITE);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Source s : sources()) {
            if (s.parseErrorExpected()) {
                continue;
            }
            String once = s.query() ? Parser.parseQuery(s.text()).toString()
                    : Parser.parseModule("test.rego", s.text()).toString();
            String twice;
            try {
                twice = s.query() ? Parser.parseQuery(once).toString()
                        : Parser.parseModule("test.rego", once).toString();
            } catch (RegoParseException e) {
                failures.add(s.where() + ": " + e.getMessage() + "\n" + once);
                continue;
            }
            if (!once.equals(twice)) {
                failures.add(s.where() + ":\n" + once + "\n---\n" + twice);
            }
            checked++;
        }
        assertThat(failures).as("modules whose print does not parse back to the same tree").isEmpty();
        assertThat(checked).isGreaterThan(3000);
    }
}
