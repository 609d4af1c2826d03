package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil test} and {@code veil rego conformance}, run in-process on real files. */
class RegoCommandsTest {
    /** The Rego bundle shipped in policies/, from this module's directory. */
    static final Path SHIPPED = Path.of("../../policies/bundles/image-classifier-rego");

    @TempDir
    Path tmp;

    private Path write(String file, String text) throws IOException {
        Path p = tmp.resolve(file);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void theShippedRegoBundlesTestsAllPass() {
        Result r = veil("test", s(SHIPPED));
        assertThat(r.exit()).as(r.toString()).isEqualTo(0);
        assertThat(r.outLines()).contains("data.veil.access_test.test_everybody_else_is_refused: PASS");
        String last = r.outLines().get(r.outLines().size() - 1);
        assertThat(last).matches("PASS: (\\d+)/\\1");
        assertThat(r.outLines()).noneMatch(l -> l.contains("FAIL"));
        assertThat(r.err()).isEmpty();
    }

    @Test
    void evalPrintsTheSameDecisionsForTheRegoAndTheYamlBundle() throws IOException {
        Path input = write("input.json", """
                {"caller": {"id": "p", "method": "jwt", "roles": ["partner"], "tenant": "northwind",
                            "attributes": {"contract": "active", "region": "eu"}},
                 "model": {"age_days": 91}, "signals": {"rate": {"level": "medium", "score": 130}},
                 "prediction": {"top_label": "coat", "top_score": 0.5, "margin": 0.1, "entropy": 1.2, "classes": 10}}
                """);
        Result rego = veil("eval", "--bundle", s(SHIPPED), "--input", s(input));
        Result yaml = veil("eval", "--bundle", s(SHIPPED.resolveSibling("image-classifier")), "--input", s(input));
        assertThat(rego.exit()).as(rego.toString()).isEqualTo(0);
        assertThat(rego.out()).isEqualTo(yaml.out()).contains("\"rule\" : \"partner-noisy\"");
    }

    /**
     * A bundle whose output decision is malformed for every input loads (Rego decisions are data,
     * checked when asked), so inspect asks the six questions for a sample input and says which fail.
     */
    @Test
    void inspectWarnsOfAQuestionThatFailsForASampleInput() throws IOException {
        Result shipped = veil("bundle", "inspect", s(SHIPPED));
        assertThat(shipped.exit()).as(shipped.toString()).isZero();
        // a published example sets no seeds (docs/policy-reference.md, 'Seeds are keys') and publishes its keys
        assertThat(shipped.outLines()).filteredOn(l -> l.startsWith("warning")).satisfiesExactly(
                l -> assertThat(l).startsWith("warning:  the bundle holds DEMO-KEYS.md: it carries published demo"
                        + " credentials"),
                l -> assertThat(l).startsWith("warning:  detector(s) [").contains("run on their published default seed"));
        assertThat(otherWarnings(shipped)).isEmpty();

        Path broken = shippedWith("veil/output.rego", """
                package veil.output

                # computed (a rule's value), so read per request: a constant decision is checked at load
                decision := {"rule": "default", "release": release}

                release := {"form": "top_k", "top_k": 0}
                """);
        // access lets everybody in, so that the sample caller reaches the output question
        Files.writeString(broken.resolve("veil/access.rego"), """
                package veil.access

                decision := {"allow": true, "rule": "everybody", "message": "allowed", "rate_limit": null,
                    "daily_quota": 0}
                """);
        Result r = veil("bundle", "inspect", s(broken));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).anySatisfy(l -> assertThat(l).startsWith("warning:  the output question fails for "
                + "the sample input of 'veil bundle inspect' (").contains("output decision: release").endsWith(
                "; requests that reach it are denied (or degraded) if it fails for them too: check it with veil eval"));
        assertThat(otherWarnings(r)).hasSize(1);
        assertThat(r.outLines().get(r.outLines().size() - 1)).isEqualTo("ok");
        assertThat(r.outLines()).as("the sample caller was let in").noneMatch(l -> l.startsWith("note:"));
        assertThat(shipped.outLines()).as("the shipped bundle refuses callers without roles").contains(
                "note:     access refuses the sample caller (authenticated, no roles, no tenant), so the monitoring, "
                        + "model and output questions were not asked: check them with veil eval and the input of a "
                        + "caller the policy allows");

        // a logging question that fails is not a refusal: the record gets the most protective treatment
        Files.writeString(broken.resolve("veil/logging.rego"), """
                package veil.logging

                decision := {"rule": "default", "input": "digest", "output": "keep", "raw": raw, "caller": "keep"}

                raw := "never"
                """);
        assertThat(veil("bundle", "inspect", s(broken)).outLines()).anySatisfy(l -> assertThat(l).startsWith(
                "warning:  the logging question fails for the sample input").endsWith("; if it fails for requests too, "
                + "their records get the most protective treatment and the rule logging:error "
                + "(docs/policy-reference.md, 6.3): check it with veil eval"));
    }

    /**
     * A release with noise that no budget can pay loads from Rego (the Guard denies it per request),
     * so inspect says so when the sample input gets one.
     */
    @Test
    void inspectWarnsOfASampleReleaseWithNoiseThatCanNeverBeCharged() throws IOException {
        Path noisy = shippedWith("veil/output.rego", """
                package veil.output

                decision := {"rule": "noisy", "release": {"form": "top_k", "top_k": 1, "round": 0,
                    "min_confidence": 0, "reverse_sigmoid": null, "allow_label_change": false,
                    "noise": {"mechanism": "laplace", "epsilon": 1000, "delta": 0, "sensitivity": 0}}}
                """);
        Files.writeString(noisy.resolve("veil/access.rego"), """
                package veil.access

                decision := {"allow": true, "rule": "everybody", "message": "allowed", "rate_limit": null,
                    "daily_quota": 0}
                """);
        Result r = veil("bundle", "inspect", s(noisy));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(otherWarnings(r)).singleElement().satisfies(l -> assertThat(l)
                .startsWith("warning:  the release of output rule 'noisy' for the sample input of 'veil bundle "
                        + "inspect' can never be charged: its epsilon 1000.0 exceeds privacy.per_caller_epsilon ")
                .endsWith("; requests that get it are denied (docs/policy-reference.md section 13)"));
    }

    /**
     * A caller that access refuses never reaches the later questions: a bundle whose output rule
     * only answers the roles access lets in gets no warning for the sample (a caller without roles).
     */
    @Test
    void inspectDoesNotWarnOfQuestionsTheSampleCallerNeverReaches() throws IOException {
        Path analystsOnly = shippedWith("veil/output.rego", """
                package veil.output

                import rego.v1

                decision := {"rule": "analysts", "release": {"form": "top_k", "top_k": 3, "round": 0.05,
                    "min_confidence": 0, "reverse_sigmoid": null, "noise": null, "allow_label_change": false}} if {
                    "analyst" in input.caller.roles
                }
                """);
        Result r = veil("bundle", "inspect", s(analystsOnly));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(otherWarnings(r)).isEmpty();
    }

    /** inspect's warnings but the shipped bundle's: its detectors' published default seeds, its demo keys. */
    private static java.util.List<String> otherWarnings(Result r) {
        return r.outLines().stream().filter(l -> l.startsWith("warning")
                && !l.contains("run on their published default seed")
                && !l.contains("carries published demo credentials")).toList();
    }

    /** A copy of the shipped Rego bundle with one module replaced. */
    private Path shippedWith(String module, String text) throws IOException {
        Path copy = tmp.resolve("copy");
        try (var files = Files.walk(SHIPPED)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = copy.resolve(SHIPPED.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        Files.writeString(copy.resolve(module), text);
        return copy;
    }

    @Test
    void evalPrintsEveryStageAndNamesTheOneThePolicyCannotAnswer() throws IOException {
        Path bundle = shippedWith("veil/logging.rego", """
                package veil.logging

                import rego.v1

                # computed (a rule's value), so read per request: a constant decision is checked at load
                decision := {"rule": "default", "input": "digest", "output": "keep", "raw": raw}

                raw := "mask"
                """);
        Path input = write("input.json", "{}");
        Result r = veil("eval", "--bundle", s(bundle), "--input", s(input));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("\"access\" : {", "\"output\" : {")
                .contains("\"logging\" : {\n    \"error\" : \"logging decision: missing field 'caller'");
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("veil eval: the policy could not answer the logging question: "
                + "logging decision: missing field 'caller'").doesNotContain("Exception");
    }

    /** A decision's value with U+202E, quoted by the error 'veil eval' prints on standard error, was printed raw. */
    @Test
    void evalPrintsTheQuestionsFailureEscaped() throws IOException {
        Path bundle = shippedWith("veil/logging.rego", """
                package veil.logging

                import rego.v1

                decision := {"rule": "default", "input": "digest", "output": out, "raw": "mask", "caller": "keep"}

                out := "\\u202ex\\u001b[2J"
                """);
        Path input = write("input.json", "{}");
        Result r = veil("eval", "--bundle", s(bundle), "--input", s(input));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("veil eval: the policy could not answer the logging question: ")
                .contains("\\u202ex\\u001b[2J").doesNotContain("\u202e", "\u001b");
    }

    /**
     * 'veil eval' printed a decision's message with ESC[2J, U+202E and the C1 CSI U+009B raw (Jackson
     * escapes only characters below U+0020, and ESC, which it escapes, was one of three).
     */
    @Test
    void evalPrintsTheDecisionsEscapedAsJsonOfTheSameValue() throws Exception {
        Path bundle = shippedWith("veil/access.rego", """
                package veil.access

                import rego.v1

                decision := {"allow": false, "rule": "suspended", "message": msg, "rate_limit": null, "daily_quota": 0}

                msg := "\\u001b[2J\\u202eSUSPENDED\\u009b1A \ud83d\ude00 \udb40\udc01end"
                """);
        Path input = write("input.json", "{}");
        Result r = veil("eval", "--bundle", s(bundle), "--input", s(input));
        assertThat(r.exit()).as(r.toString()).isEqualTo(0);
        assertThat(r.out()).contains("\"message\" : \"\\u001B[2J\\u202eSUSPENDED\\u009b1A \ud83d\ude00 \\udb40\\udc01end\"")
                .doesNotContain("\u001b", "\u202e", "\u009b", "\udb40");
        Map<?, ?> printed = Json.MAPPER.readValue(r.out(), Map.class);
        assertThat(((Map<?, ?>) printed.get("access")).get("message"))
                .isEqualTo("\u001b[2J\u202eSUSPENDED\u009b1A \ud83d\ude00 \udb40\udc01end");
    }

    /** A conflict's whole error is the message already: said once, not again after "in full". */
    @Test
    void evalSaysAnErrorOnceWhenItsMessageIsAlreadyWhole() throws IOException {
        Path bundle = shippedWith("veil/access.rego", """
                package veil.access

                import rego.v1

                decision := {"allow": true, "rule": "a", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    count(input.caller.id) >= 0
                }

                decision := {"allow": false, "rule": "b", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    count(input.caller.id) >= 0
                }
                """);
        Path input = write("input.json", "{}");
        Result r = veil("eval", "--bundle", s(bundle), "--input", s(input));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.errLines().get(0)).startsWith("veil eval: the policy could not answer the access question: ")
                .contains("eval_conflict_error").doesNotContain("in full");
    }

    /**
     * A builtin's error, which the Guard logs without the operand it quotes, is said whole by
     * veil eval (the input is the author's own), in its place: before, the line said the message
     * was left out and then gave it after "in full" (an adversarial review).
     */
    @Test
    void evalSaysABuiltinsErrorWholeInItsPlace() throws IOException {
        Path bundle = shippedWith("veil/access.rego", """
                package veil.access

                import rego.v1

                decision := {"allow": true, "rule": "a", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    to_number(input.caller.id) > 3
                }
                """);
        Path input = write("input.json", "{\"caller\": {\"id\": \"sneaker\"}}");
        Result r = veil("eval", "--bundle", s(bundle), "--input", s(input));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.errLines().get(0)).startsWith("veil eval: the policy could not answer the access question: "
                + "data.veil.access.decision failed: ").contains("to_number: ", "sneaker")
                .doesNotContain("left out", "in full");
    }

    @Test
    void evalStopsAQuestionThatNeverFinishesAtTheLimitAndSaysSo() throws IOException {
        Path bundle = shippedWith("veil/access.rego", """
                package veil.access

                import rego.v1

                ids := numbers.range(1, 100000 + count(input.caller.id))

                decision := {"allow": false, "rule": "never", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    some i in ids
                    some j in ids
                    i * j == -1
                } else := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
                """);
        Path input = write("input.json", "{}");
        Result r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> veil("eval", "--bundle", s(bundle), "--input", s(input)));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("\"access\" : {\n    \"error\" : \"data.veil.access.decision could not be "
                + "evaluated: evaluation took longer than its limit of 1s (system property veil.rego.timeout");
        assertThat(r.errLines().get(0)).startsWith("veil eval: the policy could not answer the access question: "
                + "data.veil.access.decision could not be evaluated: evaluation took longer than its limit of 1s");
    }

    @Test
    void replayGivesThePolicyTheFeatureNamesOfANamedTrace() throws IOException {
        Path bundle = shippedWith("veil/access.rego", """
                package veil.access

                import rego.v1

                decision := {"allow": true, "rule": "named", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    count(input.request.names) > 0
                } else := {"allow": false, "rule": "unnamed", "message": sprintf("names: %v", [input.request.names]),
                    "rate_limit": null, "daily_quota": 0}
                """);
        Path trace = write("trace.jsonl", """
                {"caller": "a", "ts_ms": 1000, "features": {"income": 1.0, "age": 2.0}}
                {"caller": "b", "ts_ms": 2000, "features": [1.0, 2.0]}
                """);
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace));
        // a passes access (its names reach the policy) and then fails the shipped 784-feature contract;
        // b, unnamed, is denied
        assertThat(r.out() + r.err()).contains("(access_denied 1, invalid_input 1; first: line 1 (caller a): "
                + "default:shape:").doesNotContain("caller a): access rule");
    }

    @Test
    void aModuleCallingABuiltinAGuardWithholdsDoesNotCompileForTests() throws IOException {
        write("b/p.rego", """
                package p

                import rego.v1

                registry := http.send({"method": "GET", "url": "http://127.0.0.1:9/models"}).body

                retired if registry.retired
                """);
        write("b/p_test.rego", """
                package p_test

                import rego.v1

                import data.p

                mock_send(_) := {"body": {"retired": true}}

                test_retired if p.retired with http.send as mock_send
                """);
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("does not compile").contains("p.rego:5:")
                .contains("builtin http.send is not available here");
    }

    @Test
    void builtinErrorsAreErrorsInTestsAsInAGuardAndPrintedLinesShowForFailures() throws IOException {
        write("b/p_test.rego", """
                package p_test

                import rego.v1

                test_not_a_number_is_not_undefined if not to_number("abc")

                test_prints_when_failing if {
                    print("looked at", 41)
                    1 == 2
                }

                test_prints_when_passing if {
                    print("not shown")
                }

                todo_test_later if false
                """);
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly(
                "data.p_test.test_not_a_number_is_not_undefined: ERROR: p_test.rego:5: eval_builtin_error: "
                        + "to_number: strconv.ParseFloat: parsing \"abc\": invalid syntax",
                "data.p_test.test_prints_when_failing: FAIL",
                "  looked at 41",
                "data.p_test.test_prints_when_passing: PASS",
                "data.p_test.todo_test_later: SKIP",
                "-".repeat(80),
                "PASS: 1/4",
                "FAIL: 2/4",
                "SKIPPED: 1/4");
    }

    @Test
    void aFailingTestIsReportedAndExitsOne() throws IOException {
        write("b/p.rego", """
                package p

                import rego.v1

                allow if input.role == "admin"
                """);
        write("b/p_test.rego", """
                package p_test

                import rego.v1

                import data.p

                test_admin_allowed if p.allow with input as {"role": "admin"}

                test_guest_allowed if p.allow with input as {"role": "guest"}

                test_false if p.allow == false with input as {"role": "admin"}

                c := 1 if input.x

                c := 2 if input.x

                test_conflict if c with input as {"x": true}
                """);
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly(
                "data.p_test.test_admin_allowed: PASS",
                "data.p_test.test_conflict: ERROR: p_test.rego:15: eval_conflict_error: complete rules must not "
                        + "produce multiple outputs",
                "data.p_test.test_false: FAIL",
                "data.p_test.test_guest_allowed: FAIL",
                "-".repeat(80),
                "PASS: 1/4",
                "FAIL: 3/4");
    }

    @Test
    void aBundleAGuardWouldNotLoadDoesNotPassItsTests() throws IOException {
        write("b/.manifest", "{\"revision\": \"r\", \"roots\": [\"p\"]}");
        write("b/p/p.rego", """
                package p

                import rego.v1

                admins := {"ann"}

                allow if input.user in admins
                """);
        write("b/p/p_test.rego", """
                package p

                import rego.v1

                test_ann if allow with input as {"user": "ann"}
                """);
        assertThat(veil("test", s(tmp.resolve("b"))).exit()).isZero();
        write("b/p/data.json", "{\"admins\": [\"ann\", \"eve\"]}"); // would replace the rule
        write("b/other/o.rego", "package other\n\nimport rego.v1\n\ntest_o := true\n");
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("does not compile (2 errors)")
                .contains("other/o.rego:1:1: bundle_error: manifest roots [\"p\"] do not permit 'package other'")
                .contains("p/p.rego:5:1: bundle_error: conflicting rule for data path p/admins found");
    }

    @Test
    void dataFilesOverTheValuesCapAreRefusedAsAGuardsLoadRefusesThem() throws IOException {
        write("b/p.rego", "package p\n\nimport rego.v1\n\ntest_t := true\n");
        // 1,000,001 values: the top object and a million numbers
        write("b/data.json", "{\"xs\": [" + "0,".repeat(999_999) + "0]}");
        Result r = veil("test", s(tmp.resolve("b")));
        assertFails(r, 2, "bundle " + tmp.resolve("b") + " cannot be read: ");
        assertThat(r.err()).contains("data.json:1:").contains("the data files hold more than 1,000,000 values");
        assertThat(r.out()).doesNotContain("PASS");
    }

    @Test
    void aModuleThatDoesNotCompileExitsOneWithTheError() throws IOException {
        write("b/p.rego", """
                package p

                import rego.v1

                allow if x == 1
                """);
        write("b/bad.rego", "package q\n\nallow if {\n");
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines().get(0)).startsWith("bundle " + tmp.resolve("b") + " does not compile (");
        assertThat(r.out()).contains("bad.rego:").contains("rego_parse_error");
    }

    /** A module named with U+202E (a bundle refuses control characters in names, not format characters) was printed raw. */
    @Test
    void aCompileErrorNamesItsFileEscaped() throws IOException {
        write("b/p.rego", "package p\n\nimport rego.v1\n\nallow if input.x == 1\n");
        write("b/ba\u202egor.d.rego", "package q\n\nallow if {\n");
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("ba\\u202egor.d.rego:").doesNotContain("\u202e");
    }

    /**
     * A test's error (naming a module called with U+202E; a builtin error quoting an ESC of the data)
     * and a failing test's print() output (ESC[2J, U+202E, the C1 CSI U+009B) were printed raw: a
     * hostile bundle's test could clear or move about the terminal of whoever ran 'veil test'.
     */
    @Test
    void testsErrorsAndPrintedLinesAreEscaped() throws IOException {
        write("b/p.rego", "package p\n\nimport rego.v1\n\nallow if input.x == 1\n");
        write("b/ba\u202egor.d_test.rego", """
                package p_test

                import rego.v1

                test_div if {
                    x := 1 / 0
                    x == 1
                }

                test_unmarshal if {
                    x := json.unmarshal("\\u001b[2J\\u202eEVIL")
                    x == 1
                }

                test_prints if {
                    print("\\u001b[2J\\u202eright\\u009b1A\\u2028after")
                    1 == 2
                }
                """);
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly(
                "data.p_test.test_div: ERROR: ba\\u202egor.d_test.rego:6: eval_builtin_error: div: divide by zero",
                "data.p_test.test_prints: FAIL",
                "  \\u001b[2J\\u202eright\\u009b1A\\u2028after",
                "data.p_test.test_unmarshal: ERROR: ba\\u202egor.d_test.rego:11: eval_builtin_error: json.unmarshal: "
                        + "invalid character '\\u001b' looking for beginning of value",
                "-".repeat(80),
                "PASS: 0/3",
                "FAIL: 3/3");
        assertThat(r.out()).doesNotContain("\u001b", "\u202e", "\u009b", "\u2028").endsWith("FAIL: 3/3\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void anUnsafeVariableIsACompileError() throws IOException {
        write("b/p.rego", """
                package p

                import rego.v1

                allow if x == 1
                """);
        Result r = veil("test", s(tmp.resolve("b")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("p.rego:5:").contains("var x is unsafe");
    }

    @Test
    void aBundleWithoutRegoIsABadInput() throws IOException {
        write("b/data.json", "{}");
        assertFails(veil("test", s(tmp.resolve("b"))), 2, "holds no .rego file: nothing to test");
        assertFails(veil("test", s(tmp.resolve("missing"))), 2, "veil test: BUNDLE " + tmp.resolve("missing")
                + ": no such file");
    }

    static final String CASES = """
            cases:
              - note: %s/passes
                modules:
                  - |
                    package p
                    x := 1
                query: data.p.x = y
                want_result:
                  - y: 1
              - note: %s/fails
                modules:
                  - |
                    package p
                    x := 2
                query: data.p.x = y
                want_result:
                  - y: 1
            """;

    @Test
    void conformancePrintsOneLinePerDirectoryAndTheTotalsAndExitsZero() throws IOException {
        write("cases/alpha/a.yaml", CASES.formatted("alpha", "alpha"));
        write("cases/beta/b.yaml", CASES.formatted("beta", "beta").replace("x := 2", "x := 1"));
        Result r = veil("rego", "conformance", s(tmp.resolve("cases")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(0);
        assertThat(r.outLines()).containsExactly("alpha 1/2", "beta 2/2", "3 passed, 1 failed");

        Path passing = tmp.resolve("out/passing.txt");
        Result v = veil("rego", "conformance", s(tmp.resolve("cases")), "--verbose", "--write-passing", s(passing));
        assertThat(v.exit()).as(v.toString()).isEqualTo(0);
        assertThat(v.outLines()).hasSize(4);
        assertThat(v.outLines().get(0)).isEqualTo("alpha 1/2");
        assertThat(v.outLines().get(1)).startsWith("  FAIL alpha/fails: ");
        assertThat(v.outLines().subList(2, 4)).containsExactly("beta 2/2", "3 passed, 1 failed");
        assertThat(Files.readAllLines(passing)).isEqualTo(List.of("alpha/passes", "beta/fails", "beta/passes"));
    }

    /** A case's note (its file's text) was printed raw by --verbose: ESC, U+202E and U+009B reached the terminal. */
    @Test
    void conformancePrintsNotesEscaped() throws IOException {
        write("cases/alpha/a.yaml", CASES.formatted("alpha", "alpha").replace("alpha/fails",
                "\"alpha/\\e[2J\\u202e\\x9bfails\""));
        Result r = veil("rego", "conformance", s(tmp.resolve("cases")), "--verbose");
        assertThat(r.exit()).as(r.toString()).isEqualTo(0);
        assertThat(r.outLines()).hasSize(3);
        assertThat(r.outLines().get(1)).startsWith("  FAIL alpha/\\u001b[2J\\u202e\\u009bfails: ");
        assertThat(r.out()).doesNotContain("\u001b", "\u202e", "\u009b");
    }

    @Test
    void conformanceOnAMissingDirectoryIsABadInput() {
        assertFails(veil("rego", "conformance", s(tmp.resolve("nope"))), 2,
                "veil rego conformance: DIR " + tmp.resolve("nope") + ": no such file");
    }
}
