package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
    @TempDir
    Path tmp;

    QuickstartBundle bundle;

    @BeforeEach
    void writeBundle() {
        bundle = quickstartBundle(tmp.resolve("bundle"));
    }

    private Path input(String json) throws Exception {
        Path p = Files.createTempFile(tmp, "input", ".json");
        Files.writeString(p, json);
        return p;
    }

    private Result eval(Path input) {
        return veil("eval", "--bundle", s(bundle.dir()), "--input", s(input));
    }

    @Test
    void analystIsAllowedAndGetsTheMinimisedRelease() throws Exception {
        Result r = eval(input("""
                {"caller": {"id": "alice", "authenticated": true, "roles": ["analyst"], "tenant": "acme"},
                 "model": {"name": "loan-scorer", "version": "1", "age_days": 10},
                 "request": {"features": 3, "names": ["income", "loan_amount", "age"]}}
                """));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        JsonNode d = JsonMapper.builder().build().readTree(r.out());
        assertThat(d.fieldNames()).toIterable()
                .containsExactly("access", "validation", "monitoring", "model", "output", "logging");
        assertThat(d.at("/access/allow").booleanValue()).isTrue();
        assertThat(d.at("/access/rule").textValue()).isEqualTo("analysts");
        assertThat(d.at("/access/rate_limit/per_second").doubleValue()).isEqualTo(50.0);
        assertThat(d.at("/access/daily_quota").intValue()).isEqualTo(10000);
        assertThat(d.at("/validation/contract/shape/0").intValue()).isEqualTo(3);
        assertThat(d.at("/validation/contract/cross_field/0/id").textValue()).isEqualTo("loan-vs-income");
        assertThat(d.at("/model/stale").booleanValue()).isFalse();
        assertThat(d.at("/output/release/form").textValue()).isEqualTo("top_k");
        assertThat(d.at("/output/release/top_k").intValue()).isEqualTo(2);
        assertThat(d.at("/output/release/round").doubleValue()).isEqualTo(0.05);
        assertThat(d.at("/logging/input").textValue()).isEqualTo("mask");
    }

    @Test
    void emptyInputIsTheAnonymousCallerWhoIsDeniedWithThePolicysMessage() throws Exception {
        Result r = eval(input("{}"));
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode d = JsonMapper.builder().build().readTree(r.out());
        assertThat(d.at("/access/allow").booleanValue()).isFalse();
        assertThat(d.at("/access/rule").textValue()).isEqualTo("default");
        assertThat(d.at("/access/message").textValue()).isEqualTo("only analysts may query the loan model");
    }

    @Test
    void monitoringAndStalenessFollowTheInputsSignalsAndModelAge() throws Exception {
        Result r = eval(input("""
                {"caller": {"roles": ["analyst"], "authenticated": true},
                 "model": {"age_days": 400},
                 "signals": {"rate": {"level": "high", "score": 30}}}
                """));
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode d = JsonMapper.builder().build().readTree(r.out());
        assertThat(d.at("/model/stale").booleanValue()).isTrue();
        assertThat(d.at("/model/action").textValue()).isEqualTo("degrade");
        assertThat(d.at("/monitoring/actions").findValuesAsText("rule")).containsExactly("alert-busy", "block-flood");
    }

    @Test
    void missingBundle() throws Exception {
        Result r = veil("eval", "--bundle", s(tmp.resolve("nope")), "--input", s(input("{}")));
        assertFails(r, 2, "veil eval: --bundle " + tmp.resolve("nope") + ": no such file or directory");
    }

    @Test
    void missingInput() {
        Result r = veil("eval", "--bundle", s(bundle.dir()), "--input", s(tmp.resolve("none.json")));
        assertFails(r, 2, "veil eval: --input " + tmp.resolve("none.json") + ": no such file");
    }

    @Test
    void inputThatIsADirectory() {
        Result r = veil("eval", "--bundle", s(bundle.dir()), "--input", s(tmp));
        assertFails(r, 2, "veil eval: --input " + tmp + ": is a directory, expected a file");
    }

    @Test
    void malformedInputIsReportedWithLineAndColumn() throws Exception {
        Path in = input("{\"caller\":\n  {\"roles\": [analyst]}}");
        assertFails(eval(in), 2, "veil eval: " + in + ":2:14: invalid JSON: Unrecognized token 'analyst'");
    }

    @Test
    void unclosedInputIsReportedWhereItEnds() throws Exception {
        Path in = input("{\"caller\": {\n\"id\": \"a\"\n");
        assertFails(eval(in), 2, "veil eval: " + in + ":3:1: invalid JSON: Unexpected end-of-input");
    }

    @Test
    void emptyInput() throws Exception {
        Path in = input("  \n");
        assertFails(eval(in), 2, "veil eval: --input " + in + ": is empty, expected a JSON object");
    }

    @Test
    void inputThatIsNotAnObject() throws Exception {
        Path in = input("[1, 2]");
        assertFails(eval(in), 2, "veil eval: " + in + ": expected a JSON object {...}, found an array");
    }

    @Test
    void inputWithADuplicateKey() throws Exception {
        Path in = input("{\"caller\": {}, \"caller\": {\"roles\": [\"analyst\"]}}");
        assertFails(eval(in), 2, in + ":1:", "invalid JSON: Duplicate field 'caller'");
    }

    @Test
    void inputWithTrailingContent() throws Exception {
        Path in = input("{} {}");
        assertFails(eval(in), 2, in + ":1:", "unexpected content after the JSON value");
    }

    @Test
    void inputWithAnUnknownKey() throws Exception {
        Path in = input("{\"caler\": {}}");
        assertFails(eval(in), 2, "veil eval: " + in + ": not a valid policy input: unknown key(s) [caler]");
    }

    @Test
    void inputWithAFieldOfTheWrongType() throws Exception {
        Path in = input("{\"caller\": {\"roles\": \"analyst\"}}");
        assertFails(eval(in), 2, "veil eval: " + in + ": not a valid policy input: caller.roles must be a list of strings");
    }

    @Test
    void bundleThatDoesNotLoadListsEveryErrorOnePerLine() throws Exception {
        Files.writeString(bundle.dir().resolve(".manifest"), "{\"roots\": 5}");
        Files.writeString(bundle.dir().resolve("data.json"), "{\"a\": \n");
        Result r = eval(input("{}"));
        assertFails(r, 2, "veil eval: bundle " + bundle.dir() + " does not load (2 errors):");
        assertThat(r.errLines()).contains(
                ".manifest:1:2: 'roots' must be a list of strings, was a number");
        assertThat(r.errLines()).anyMatch(l -> l.startsWith("data.json:2:1: syntax error"));
        assertThat(r.errLines()).hasSize(3);
    }

    @Test
    void policyErrorHasItsFileLineAndColumn() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        Files.writeString(policy, Files.readString(policy).replace("effect: allow", "effect: allw"));
        Result r = eval(input("{}"));
        assertFails(r, 2, "veil eval: bundle " + bundle.dir() + " does not load (1 error):",
                "\nloan.veil.yaml:14:7: access.rules[0].effect: invalid value 'allw': expected one of allow, deny");
    }

    @Test
    void badKeyStoreMeansTheBundleDoesNotLoad() throws Exception {
        Files.writeString(bundle.keys(), "{\"keys\": [\n  {\"id\": \"abcd1234\", \"caller\": \"a\",\n"
                + "   \"hash\": \"AAAA\", \"expires_at\": \"next year\"}\n]}\n");
        Result r = eval(input("{}"));
        assertFails(r, 2, "veil eval: bundle " + bundle.dir() + " does not load (3 errors):",
                "\nkeys.json:2:3: keys[0]: missing required field 'salt'",
                "\nkeys.json:3:4: keys[0].hash: must be a SHA-256 hash (32 bytes), was 3 bytes",
                "\nkeys.json:3:20: keys[0].expires_at: must be an ISO-8601 instant like 2027-01-01T00:00:00Z,"
                        + " was 'next year'");
    }

    @Test
    void requiredOptionsAreUsageErrors() {
        assertFails(veil("eval"), 2, "Missing required options: '--bundle=BUNDLE', '--input=FILE.json'");
    }
}
