package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.PolicyBundle;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The corpus runner itself: the case-file format, its errors, and what a failing case reports. */
class DecisionCorpusTest {
    @TempDir
    Path dir;

    /** An inline policy: analysts allowed by rule, everybody else denied by default. */
    private static final String POLICY = """
            policy:
              veil: 1
              name: corpus-test
              authentication: {anonymous: true}
              access:
                default: {effect: deny}
                rules:
                  - {id: analysts, when: {roles: [analyst]}, effect: allow, rate_limit: {per_second: 2}}
              validation: {default: {shape: []}}
              output: {default: {form: top_k, top_k: 2, round: 0.05}}
            """;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private DecisionCorpus corpus(String cases) throws IOException {
        write("a.cases.yaml", POLICY + cases);
        return DecisionCorpus.load(dir);
    }

    /** Runs the only case of the corpus. */
    private static void runOnly(DecisionCorpus c, DecisionCorpus.Divergences mode) throws Throwable {
        List<DynamicTest> tests = new ArrayList<>();
        c.tests(mode).forEach(n -> collect(n, tests));
        assertThat(tests).hasSize(1);
        tests.get(0).getExecutable().execute();
    }

    private static void collect(DynamicNode n, List<DynamicTest> out) {
        if (n instanceof DynamicTest t) {
            out.add(t);
        } else {
            ((DynamicContainer) n).getChildren().forEach(c -> collect(c, out));
        }
    }

    // ---------------------------------------------------------------- running cases

    @Test
    void aMatchingPartialDecisionPasses() throws Throwable {
        DecisionCorpus c = corpus("""
                cases:
                  - name: analysts
                    input: {caller: {id: a, method: api_key, roles: [analyst]}}
                    want: {access: {allow: true, rule: analysts, rate_limit: {per_second: 2, burst: 2}}}
                """);
        assertThat(c.size()).isEqualTo(1);
        assertThat(c.fileNames()).containsExactly("a.cases.yaml");
        assertThatCode(() -> runOnly(c, DecisionCorpus.Divergences.EXPECTED)).doesNotThrowAnyException();
    }

    @Test
    void aMismatchNamesThePathTheWantedAndTheActualValue() throws IOException {
        DecisionCorpus c = corpus("""
                cases:
                  - name: wrong rule
                    input: {}
                    want: {access: {rule: analysts, rate_limit: {per_second: 2}, nonsense: 1}}
                """);
        assertThatThrownBy(() -> runOnly(c, DecisionCorpus.Divergences.EXPECTED))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("a.cases.yaml > wrong rule")
                .hasMessageContaining("access.rule: expected 'analysts', was 'default'")
                .hasMessageContaining("access.rate_limit: expected a mapping, was null")
                .hasMessageContaining("access.nonsense: expected 1, but the decision has no such field")
                .hasMessageContaining("decision access = {allow: false, rule: 'default'");
        assertThat(c.check("a.cases.yaml", "wrong rule")).hasSize(4);
    }

    @Test
    void listsMustHaveTheSameLength() throws IOException {
        DecisionCorpus c = corpus("""
                cases:
                  - name: one action too many
                    input: {}
                    want: {monitoring: {actions: [{action: alert}]}}
                """);
        assertThat(c.check("a.cases.yaml", "one action too many"))
                .contains("monitoring.actions: expected 1 element(s), was 0: []");
    }

    @Test
    void anExpectedErrorMustBeThrownWithItsMessage() throws Throwable {
        DecisionCorpus ok = corpus("""
                cases:
                  - name: bad roles
                    input: {caller: {roles: [1]}}
                    error: caller.roles must be a list of strings
                """);
        assertThatCode(() -> runOnly(ok, DecisionCorpus.Divergences.EXPECTED)).doesNotThrowAnyException();
        DecisionCorpus other = corpus("""
                cases:
                  - name: bad roles
                    input: {caller: {roles: [1]}}
                    error: roles are wrong
                """);
        assertThat(other.check("a.cases.yaml", "bad roles")).containsExactly("expected an IllegalArgumentException "
                + "containing 'roles are wrong', was 'caller.roles must be a list of strings'");
        DecisionCorpus accepted = corpus("""
                cases:
                  - name: fine input
                    input: {}
                    error: anything
                """);
        assertThat(accepted.check("a.cases.yaml", "fine input")).singleElement().asString()
                .startsWith("expected an IllegalArgumentException containing 'anything', but the input was accepted");
    }

    @Test
    void aDivergenceThatStillFailsIsSkippedAndOneThatPassesFails() throws IOException {
        DecisionCorpus failing = corpus("""
                cases:
                  - name: known
                    input: {}
                    want: {access: {rule: analysts}}
                    divergence: the engine answers default here
                """);
        assertThatThrownBy(() -> runOnly(failing, DecisionCorpus.Divergences.EXPECTED))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("known divergence: the engine answers default here")
                .hasMessageContaining("access.rule: expected 'analysts', was 'default'");
        assertThatThrownBy(() -> runOnly(failing, DecisionCorpus.Divergences.CHECKED))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("access.rule: expected 'analysts', was 'default'");
        DecisionCorpus passing = corpus("""
                divergence: marked for the whole file
                cases:
                  - name: fixed
                    input: {}
                    want: {access: {rule: default}}
                """);
        assertThatThrownBy(() -> runOnly(passing, DecisionCorpus.Divergences.EXPECTED))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("marked as a known divergence from docs/policy-reference.md (marked for the "
                        + "whole file) but the engine now answers as documented: remove the 'divergence' mark");
        assertThatCode(() -> runOnly(passing, DecisionCorpus.Divergences.CHECKED)).doesNotThrowAnyException();
    }

    @Test
    void aBundleThatDoesNotLoadFailsEachCaseWithTheLoadError() throws IOException {
        write("a.cases.yaml", """
                policy: {veil: 2, name: x}
                cases:
                  - {name: one, want: {access: {rule: default}}}
                  - {name: two, want: {access: {rule: default}}}
                """);
        DecisionCorpus c = DecisionCorpus.load(dir);
        assertThat(c.check("a.cases.yaml", "one")).singleElement().asString()
                .startsWith("the policy bundle did not load: PolicyLoadException: policy bundle rejected:");
        assertThat(c.check("a.cases.yaml", "two")).singleElement().asString().contains("veil");
    }

    @Test
    void aBundleDirectoryIsResolvedAgainstTheCaseFileAndInlineBundlesGoThroughTheLoader() throws IOException {
        write("bundles/b/p.veil.yaml", POLICY.replace("policy:\n", "").replaceAll("(?m)^  ", ""));
        write("sub/b.cases.yaml", """
                bundle: ../bundles/b
                cases:
                  - {name: default denies, input: {}, want: {access: {allow: false}}}
                """);
        write("c.cases.yaml", POLICY + """
                files: {keys/k.json: {keys: []}, notes.txt: plain text}
                cases:
                  - {name: inline, input: {}, want: {access: {allow: false}}}
                """);
        List<Path> seen = new ArrayList<>();
        List<List<String>> filesSeen = new ArrayList<>();
        DecisionCorpus c = DecisionCorpus.load(dir, d -> {
            seen.add(d);
            try (Stream<Path> s = Files.walk(d)) {
                filesSeen.add(s.filter(Files::isRegularFile).map(p -> d.relativize(p).toString()).sorted().toList());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return PolicyBundle.load(d);
        });
        assertThat(c.fileNames()).containsExactly("c.cases.yaml", "sub/b.cases.yaml");
        assertThat(seen.get(1)).isEqualTo(dir.resolve("bundles/b").toAbsolutePath().normalize());
        assertThat(filesSeen.get(0)).containsExactly("keys/k.json", "notes.txt", "policy.veil.yaml");
        assertThat(seen.get(0)).doesNotExist();
        assertThat(c.check("c.cases.yaml", "inline")).isEmpty();
        assertThat(c.check("sub/b.cases.yaml", "default denies")).isEmpty();
    }

    @Test
    void aCorpusLoadsFromAJarOnTheClassPath() throws Exception {
        Path jar = dir.resolve("corpus.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            // Directory entries as jar tools write them: a resource directory is found through its entry.
            out.putNextEntry(new JarEntry("kit/"));
            out.closeEntry();
            out.putNextEntry(new JarEntry("kit/corpus/"));
            out.closeEntry();
            put(out, "kit/corpus/x.cases.yaml", POLICY + """
                    cases:
                      - {name: from a jar, input: {}, want: {access: {rule: default}}}
                    """);
        }
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Thread.currentThread().setContextClassLoader(cl);
            DecisionCorpus c = DecisionCorpus.classpath("kit/corpus");
            assertThat(c.check("x.cases.yaml", "from a jar")).isEmpty();
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    private static void put(JarOutputStream out, String name, String text) throws IOException {
        out.putNextEntry(new JarEntry(name));
        OutputStream o = out;
        o.write(text.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }

    // ---------------------------------------------------------------- malformed corpora

    private void assertRejected(String text, String message) throws IOException {
        write("bad.cases.yaml", text);
        assertThatThrownBy(() -> DecisionCorpus.load(dir.resolve("bad.cases.yaml")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bad.cases.yaml: ")
                .hasMessageContaining(message);
    }

    @Test
    void malformedCaseFilesAreRejectedWithTheirPath() throws IOException {
        String ok = "\ncases: [{name: n, want: {access: {}}}]\n";
        assertRejected(POLICY + "case: 1" + ok,
                "unknown key 'case' (known keys: bundle, cases, description, divergence, files, policy)");
        assertRejected("bundle: x\n" + POLICY + ok, "give either 'bundle' (a directory) or an inline bundle");
        assertRejected("description: no policy" + ok, "missing the policy: give 'bundle'");
        assertRejected(POLICY + "cases: []", "cases: must be a non-empty list");
        assertRejected(POLICY, "cases: must be a non-empty list");
        assertRejected(POLICY + "cases: [{name: n, wants: {}}]",
                "cases[0]: unknown key 'wants' (known keys: divergence, error, input, name, want)");
        assertRejected(POLICY + "cases: [{want: {access: {}}}]", "cases[0].name: is required");
        assertRejected(POLICY + "cases: [{name: n, want: {access: {}}}, {name: n, want: {access: {}}}]",
                "cases[1].name: duplicate case name 'n'");
        assertRejected(POLICY + "cases: [{name: n}]", "cases[0]: give exactly one of 'want'");
        assertRejected(POLICY + "cases: [{name: n, want: {access: {}}, error: x}]", "cases[0]: give exactly one of");
        assertRejected(POLICY + "cases: [{name: n, want: {acess: {}}}]",
                "cases[0].want: unknown stage 'acess' (known: access, validation, monitoring, model, output, logging)");
        assertRejected(POLICY + "cases: [{name: n, want: {}}]", "cases[0].want: must map at least one stage");
        assertRejected(POLICY + "cases: [{name: n, want: {access: true}}]",
                "cases[0].want.access: must be a mapping (a decision document, possibly partial)");
        assertRejected(POLICY + "cases: [{name: n, input: [1], want: {access: {}}}]",
                "cases[0].input: must be a mapping (a policy input document), was array");
        assertRejected(POLICY + "cases: [{name: n, error: ' '}]", "cases[0].error: must not be blank");
        assertRejected(POLICY + "cases: [{name: 3, want: {access: {}}}]", "cases[0].name: must be a string");
        assertRejected(POLICY + "files: {../keys.json: x}" + ok,
                "files: '../keys.json' must be a relative path with '/' separators and no '.', '..' or empty steps");
        assertRejected(POLICY + "files: {policy.veil.yaml: x}" + ok,
                "files: 'policy.veil.yaml' is where 'policy' goes");
        assertRejected(POLICY + "files: {k.json: 3}" + ok,
                "files.k.json: must be a string (the file's text) or a mapping");
        assertRejected("bundle: nowhere" + ok, "bundle: no bundle at ");
        assertRejected("bundle: [1]" + ok, "bundle: must be a directory path relative to this file");
        assertRejected("- a list", "a case file is a mapping with 'cases' and 'bundle' or 'policy'");
        assertRejected(POLICY + "cases: [{name: n, name: m}]", "not valid YAML: Duplicate field 'name'");
        assertRejected(POLICY + "cases: [{name: n", "not valid YAML");
    }

    @Test
    void aCorpusWithoutCaseFilesOrAtAMissingPathIsRejected() throws IOException {
        write("policy.veil.yaml", "veil: 1");
        assertThatThrownBy(() -> DecisionCorpus.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no case files (*.cases.yaml) under " + dir);
        assertThatThrownBy(() -> DecisionCorpus.load(dir.resolve("missing")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no corpus at " + dir.resolve("missing"));
        assertThatThrownBy(() -> DecisionCorpus.classpath("no/such/corpus"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no resource 'no/such/corpus' on the class path");
    }
}
