package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyTestsTest {

    @Test
    void runsTestRulesOfABundleDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("app"));
        Files.writeString(dir.resolve("app/policy.rego"), """
                package app
                allow if input.user in data.app.admins
                """);
        Files.writeString(dir.resolve("app/policy_test.rego"), """
                package app
                test_admin_allowed if allow with input as {"user": "ann"}
                test_other_denied if not allow with input as {"user": "bob"}
                test_wrong if allow with input as {"user": "bob"}
                test_error if 1 / 0 == 1 with input as {}
                test_type if count(input.x) with input as {"x": 1}
                """);
        Files.writeString(dir.resolve("app/data.json"), "{\"admins\": [\"ann\"]}");
        PolicyTests.Report r = PolicyTests.run(dir);
        assertThat(r.results()).extracting(PolicyTests.Result::name).containsExactly("data.app.test_admin_allowed",
                "data.app.test_error", "data.app.test_other_denied", "data.app.test_type", "data.app.test_wrong");
        // builtin errors are strict, as in a Guard: 1 / 0 and count(1) are errors, not undefined
        assertThat(r.results()).extracting(PolicyTests.Result::outcome).containsExactly(PolicyTests.Outcome.PASS,
                PolicyTests.Outcome.ERROR, PolicyTests.Outcome.PASS, PolicyTests.Outcome.ERROR,
                PolicyTests.Outcome.FAIL);
        assertThat(r.passed()).isEqualTo(2);
        assertThat(r.failed()).isEqualTo(3);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        r.print(new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(buf.toString(StandardCharsets.UTF_8)).startsWith("data.app.test_admin_allowed: PASS\n")
                .contains("data.app.test_wrong: FAIL\n").endsWith("PASS: 2/5\nFAIL: 3/5\n");
    }

    /** A test gets the time limit of a Guard's question (1s unless set): one that never finishes is an ERROR. */
    @Test
    void aTestThatNeverFinishesIsAnErrorAfterTheGuardsLimit() {
        PolicyTests.Report r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(30), () -> PolicyTests.run(Map.of("p_test.rego", """
                package p

                import rego.v1

                ids := numbers.range(1, 100000)

                test_forever if {
                    some i in ids
                    some j in ids
                    i * j == -1
                }

                test_quick if 1 + 1 == 2
                """), null));
        assertThat(r.results()).extracting(PolicyTests.Result::outcome).containsExactly(PolicyTests.Outcome.ERROR,
                PolicyTests.Outcome.PASS);
        assertThat(r.results().get(0).error()).startsWith("p_test.rego:").endsWith(": eval_cancel_error: timeout");
    }

    /**
     * In a Veil policy a test's input is the one a Guard would send: a caller without a tenant has
     * tenant "" (defined), so a test that relied on it being undefined fails here as the policy
     * would in production; a misspelt key beside a policy input's key is an error, not an input no
     * Guard sends; a helper's own input shape (no key of a policy input) stays as written.
     */
    @Test
    void aVeilPolicysTestsGetTheInputAGuardWouldSend() {
        String policy = """
                package veil.access

                import rego.v1

                deny contains "caller has no tenant" if not input.caller.tenant

                decision := {"allow": true} if count(deny) == 0 else := {"allow": false}

                staff if input.who == "staff"
                """;
        String tests = """
                package veil.access_test

                import rego.v1

                test_no_tenant_is_denied if {
                    not data.veil.access.decision.allow with input as {"caller": {"id": "eve", "authenticated": true,
                        "roles": ["analyst"]}}
                }

                test_misspelt if data.veil.access.decision with input as {"caller": {"id": "eve"}, "modle": {}}

                test_a_helpers_own_input if data.veil.access.staff with input as {"who": "staff"}

                test_partial_with if {
                    data.veil.access.decision.allow with input.caller as {"id": "eve", "authenticated": true,
                        "tenant": "acme"}
                }
                """;
        PolicyTests.Report r = PolicyTests.run(Map.of("veil/access.rego", policy, "veil/access_test.rego", tests), null);
        assertThat(r.results()).extracting(PolicyTests.Result::name).containsExactly(
                "data.veil.access_test.test_a_helpers_own_input", "data.veil.access_test.test_misspelt",
                "data.veil.access_test.test_no_tenant_is_denied", "data.veil.access_test.test_partial_with");
        assertThat(r.results()).extracting(PolicyTests.Result::outcome).containsExactly(PolicyTests.Outcome.PASS,
                PolicyTests.Outcome.ERROR, PolicyTests.Outcome.FAIL, PolicyTests.Outcome.PASS);
        assertThat(r.results().get(1).error()).contains("with input: unknown key(s) [modle] in the policy input");
    }

    @Test
    void conflictsAreReportedAsErrors() {
        PolicyTests.Report r = PolicyTests.run(
                Map.of("t.rego", "package t\ntest_conflict := x if { some x in [1, 2] }\n"), null);
        assertThat(r.results()).singleElement().satisfies(x -> {
            assertThat(x.outcome()).isEqualTo(PolicyTests.Outcome.ERROR);
            assertThat(x.error()).contains("complete rules must not produce multiple outputs");
        });
    }

    /** Data files are read as a Guard's load reads them: within its values cap, with its error. */
    @Test
    void dataFilesOverTheValuesCapAreRefusedAsTheBundleLoaderRefusesThem(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.rego"), "package t\ntest_t := true\n");
        // 1,000,001 values: the top object and a million numbers
        Files.writeString(dir.resolve("data.json"), "{\"xs\": [" + "0,".repeat(999_999) + "0]}");
        assertThatThrownBy(() -> PolicyTests.run(dir)).isInstanceOf(dev.veil.PolicyLoadException.class)
                .hasMessageContaining("data.json:1:")
                .hasMessageContaining("the data files hold more than 1,000,000 values");
    }

    /** A directory is checked as a Guard's load checks it: a module outside the manifest's roots is refused. */
    @Test
    void aModuleOutsideTheManifestRootsIsRefusedAsAGuardRefusesIt(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(".manifest"), "{\"roots\": [\"veil\"]}");
        Files.createDirectories(dir.resolve("other"));
        Files.writeString(dir.resolve("other/t.rego"), "package other\ntest_x := true\n");
        assertThatThrownBy(() -> PolicyTests.run(dir)).isInstanceOf(RegoException.class)
                .hasMessageContaining("bundle_error").hasMessageContaining("package other");
    }

    @Test
    void compileErrorsAndBadDirectoriesAreRaised(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> PolicyTests.run(dir.resolve("nope"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a directory");
        Files.writeString(dir.resolve("bad.rego"), "package t\ntest_x if { y }\n");
        assertThatThrownBy(() -> PolicyTests.run(dir)).isInstanceOf(RegoException.class)
                .hasMessageContaining("var y is unsafe");
        byte[] latin1 = "package t\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("bad.rego"), latin1);
        assertThatThrownBy(() -> PolicyTests.run(dir)).isInstanceOf(RegoException.class)
                .hasMessage("bad.rego:1:10: rego_parse_error: not valid UTF-8 (byte 0xe9 at offset 9); save the module"
                        + " as UTF-8");
    }
}
