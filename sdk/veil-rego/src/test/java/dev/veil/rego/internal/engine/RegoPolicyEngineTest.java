package dev.veil.rego.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.Signal;
import dev.veil.VeilException;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.FieldMode;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import dev.veil.spi.RateLimit;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.StaleAction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegoPolicyEngineTest {
    static final String SETTINGS = """
            name: tiny
            on_error: degrade
            authentication: { anonymous: true }
            monitoring: { detectors: { rate: { window_seconds: 60, low: 10, medium: 20, high: 30 } } }
            """;

    static final String ACCESS = """
            package veil.access

            import rego.v1

            decision := {"allow": true, "rule": "admins", "message": "allowed by rule admins",
                         "rate_limit": {"per_second": 2, "burst": 4}, "daily_quota": 100} if {
                "admin" in input.caller.roles
            } else := {"allow": false, "rule": "default", "message": "no access rule allows this caller",
                       "rate_limit": null, "daily_quota": 0}
            """;

    static final String VALIDATION = """
            package veil.validation

            import rego.v1

            decision := {"rule": "default", "contract": {
                "shape": [2], "min": 0, "max": 1, "features": {}, "allow_unknown_features": true,
                "cross_field": [], "max_payload_bytes": 0,
                "distribution": {"stats": "training.stats", "features": 2, "std_floor": 0.05, "max_abs_z": 0,
                                 "max_rms_z": 4, "summary": []}}}
            """;

    static final String MONITORING = """
            package veil.monitoring

            import rego.v1

            decision := {"actions": [a | some a in ladder; a.rule in matching]}

            ladder := [
                {"action": "alert", "rule": "busy", "signal": "rate", "cooldown_seconds": 0, "throttle_per_second": 0},
                {"action": "block", "rule": "flood", "signal": "rate", "cooldown_seconds": 60, "throttle_per_second": 0},
            ]

            matching contains "busy" if input.signals.rate.level in {"medium", "high"}

            matching contains "flood" if input.signals.rate.level == "high"
            """;

    static final String MODEL = """
            package veil.model

            import rego.v1

            default stale := false

            stale if input.model.age_days > 30

            decision := {"rule": "default", "stale": stale, "action": "deny"}
            """;

    static final String OUTPUT = """
            package veil.output

            import rego.v1

            decision := {"rule": "unsure", "release": {"form": "label_only", "top_k": 0, "round": 0,
                "min_confidence": 0, "reverse_sigmoid": null, "noise": null, "allow_label_change": false}} if {
                input.prediction.margin < 0.1
            } else := {"rule": "default", "release": {"form": "top_k", "top_k": 2, "round": 0.05,
                "min_confidence": 0, "reverse_sigmoid": null, "noise": null, "allow_label_change": false}}
            """;

    static final String LOGGING = """
            package veil.logging

            import rego.v1

            decision := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask", "caller": "keep"}
            """;

    static final String STATS = """
            {"stats": {"mean": [0.5, 0.5], "std": [0.1, 0.2]}}
            """;

    @TempDir
    Path dir;

    Map<String, String> files() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("veil/settings/data.yaml", SETTINGS);
        f.put("training/data.json", STATS);
        f.put("policy/access.rego", ACCESS);
        f.put("policy/validation.rego", VALIDATION);
        f.put("policy/monitoring.rego", MONITORING);
        f.put("policy/model.rego", MODEL);
        f.put("policy/output.rego", OUTPUT);
        f.put("policy/logging.rego", LOGGING);
        return f;
    }

    PolicyBundle load(Map<String, String> files) {
        files.forEach((name, text) -> {
            try {
                Path p = dir.resolve(name);
                Files.createDirectories(p.getParent());
                Files.writeString(p, text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return PolicyBundle.load(dir);
    }

    static PolicyInput input(Set<String> roles, double ageDays, Level rate, PredictionSummary p) {
        Caller c = new Caller("ann", AuthMethod.API_KEY, roles, "acme", Map.of());
        return new PolicyInput(c, new ModelInfo("m", "1", Instant.EPOCH), ageDays, 2, 16, List.of(),
                List.of(new Signal("rate", rate, 1.0)), false, p);
    }

    @Test
    void aRegoBundleAnswersEveryQuestion() {
        PolicyBundle b = load(files());
        assertThat(b.engine()).isEqualTo("rego");
        CompiledPolicy p = b.policy();
        GuardSettings s = p.settings();
        assertThat(s.name()).isEqualTo("tiny");
        assertThat(s.onError()).isEqualTo(GuardSettings.OnError.DEGRADE);
        assertThat(s.authentication().allowAnonymous()).isTrue();
        assertThat(s.detectors()).containsOnlyKeys("rate");

        PolicyInput admin = input(Set.of("admin"), 40, Level.HIGH, null);
        PolicyInput guest = input(Set.of(), 3, Level.MEDIUM, new PredictionSummary("cat", 0.5, 0.05, 1, 3));
        assertThat(p.access(admin).allow()).isTrue();
        assertThat(p.access(admin).rateLimit()).isEqualTo(new RateLimit(2, 4));
        assertThat(p.access(guest).allow()).isFalse();
        assertThat(p.access(guest).message()).isEqualTo("no access rule allows this caller");

        var contract = p.validation(guest).contract();
        assertThat(contract.shape()).containsExactly(2);
        assertThat(contract.distribution().stats()).isEqualTo("training.stats");
        assertThat(contract.distribution().std()).containsExactly(0.1, 0.2);
        assertThat(p.validation(admin).contract()).isSameAs(contract);

        assertThat(p.monitoring(admin).actions()).extracting(MonitoringAction::rule).containsExactly("busy", "flood");
        assertThat(p.monitoring(guest).actions()).extracting(MonitoringAction::rule).containsExactly("busy");
        assertThat(p.model(admin).stale()).isTrue();
        assertThat(p.model(admin).action()).isEqualTo(StaleAction.DENY);
        assertThat(p.model(guest).stale()).isFalse();
        assertThat(p.output(guest).release().form()).isEqualTo(ReleaseSpec.Form.LABEL_ONLY);
        assertThat(p.output(input(Set.of(), 0, Level.NONE, new PredictionSummary("cat", 0.9, 0.8, 0.3, 3)))
                .release().topK()).isEqualTo(2);
        assertThat(p.logging(guest).input()).isEqualTo(FieldMode.DIGEST);
    }

    @Test
    void aNonFiniteNumberInTheInputIsNull() {
        Map<String, String> f = files();
        f.put("policy/monitoring.rego", """
                package veil.monitoring

                import rego.v1

                decision := {"actions": [{"action": "alert", "rule": "nan", "signal": "rate", "cooldown_seconds": 0,
                    "throttle_per_second": 0}]} if input.signals.rate.score == null else := {"actions": []}
                """);
        CompiledPolicy p = load(f).policy();
        PolicyInput in = input(Set.of(), 1, Level.LOW, null);
        assertThat(p.monitoring(in).actions()).isEmpty();
        PolicyInput nan = in.withSignals(List.of(new Signal("rate", Level.HIGH, Double.POSITIVE_INFINITY)), false);
        assertThat(p.monitoring(nan).actions()).extracting(MonitoringAction::rule).containsExactly("nan");
    }

    /**
     * A throttle whose one token refills in more than 366 days (the limiters cannot count it) is refused
     * where the decision is read, naming the field: a constant one at load, a computed one per request
     * (the Guard then fails the request closed), not when the Guard applies it.
     */
    @Test
    void aThrottleTooSlowForTheLimitersIsRefusedNamingItsField() {
        String message = "monitoring decision: actions[0].throttle_per_second: a throttle at throttle_per_second 1.0E-8"
                + " lets one request through every 1157 days, longer than the 366 days a throttle's bucket may take to"
                + " refill: throttle_per_second must be at least 1 / 31622400 (0.0000000317); raise"
                + " throttle_per_second, or use action: block to refuse the caller for the cool-down";
        String crawl = """
                package veil.monitoring

                import rego.v1

                decision := {"actions": [{"action": "throttle", "rule": "crawl", "signal": "rate",
                    "cooldown_seconds": 60, "throttle_per_second": 0.00000001}]}
                """;
        Map<String, String> f = files();
        f.put("policy/monitoring.rego", crawl);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/monitoring.rego:5:13: data.veil.monitoring.decision: " + message
                                + " (this constant is the answer to every input that reaches it)"));
        f.put("policy/monitoring.rego", crawl.replace("0.00000001", "rate")
                + "\nrate := 0.00000001 if input.signals.rate.level == \"high\" else := 0.5\n");
        CompiledPolicy p = load(f).policy();
        assertThat(p.monitoring(input(Set.of(), 1, Level.LOW, null)).actions())
                .extracting(MonitoringAction::throttlePerSecond).containsExactly(0.5);
        assertThatThrownBy(() -> p.monitoring(input(Set.of(), 1, Level.HIGH, null)))
                .isInstanceOf(VeilException.class).hasMessage(message);
    }

    /**
     * A throttle faster than one request a nanosecond (the in-memory store's Bucket4j cannot build its
     * bucket) is refused where the decision is read, as a too slow one: a constant one at load, a computed
     * one per request; the fastest, 1e9 per second, is taken.
     */
    @Test
    void aThrottleTooFastForTheLimitersIsRefusedNamingItsField() {
        String message = "monitoring decision: actions[0].throttle_per_second: throttle_per_second 2.0E9 is faster than"
                + " one request a nanosecond, the fastest a throttle can be counted at (the in-memory state store's"
                + " Bucket4j refills at most one token a nanosecond): throttle_per_second must be at most 1e9"
                + " (1000000000); lower it";
        String rush = """
                package veil.monitoring

                import rego.v1

                decision := {"actions": [{"action": "throttle", "rule": "rush", "signal": "rate",
                    "cooldown_seconds": 60, "throttle_per_second": 2000000000}]}
                """;
        Map<String, String> f = files();
        f.put("policy/monitoring.rego", rush);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/monitoring.rego:5:13: data.veil.monitoring.decision: " + message
                                + " (this constant is the answer to every input that reaches it)"));
        f.put("policy/monitoring.rego", rush.replace("2000000000", "rate")
                + "\nrate := 2000000000 if input.signals.rate.level == \"high\" else := 1000000000\n");
        CompiledPolicy p = load(f).policy();
        assertThat(p.monitoring(input(Set.of(), 1, Level.LOW, null)).actions())
                .extracting(MonitoringAction::throttlePerSecond).containsExactly(1e9);
        assertThatThrownBy(() -> p.monitoring(input(Set.of(), 1, Level.HIGH, null)))
                .isInstanceOf(VeilException.class).hasMessage(message);
    }

    @Test
    void aParseErrorIsAPolicyLoadExceptionWithFileLineAndColumn() {
        Map<String, String> f = files();
        f.put("policy/model.rego", "package veil.model\n\ndecision := {\"rule\": }\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e -> {
            PolicyError err = ((PolicyLoadException) e).errors().get(0);
            assertThat(err.file()).isEqualTo("policy/model.rego");
            assertThat(err.line()).isEqualTo(3);
            assertThat(err.column()).isGreaterThan(0);
            assertThat(err.message()).startsWith("rego_parse_error: ");
        });
    }

    /** As the YAML and JSON files of a bundle: bytes that are not UTF-8 are an error, not U+FFFD. */
    @Test
    void aModuleThatIsNotUtf8IsAParseErrorAtItsFirstBadByte() throws IOException {
        load(files());
        byte[] source = "package veil.model\n\nimport rego.v1\n\n# caf\u00e9 \u00e9 X\n"
                .getBytes(StandardCharsets.UTF_8);
        source[source.length - 2] = (byte) 0xff; // the X
        Files.write(dir.resolve("policy/model.rego"), source);
        Files.write(dir.resolve("policy/extra.rego"), new byte[] {'#', ' ', (byte) 0xc3});
        assertThatThrownBy(() -> PolicyBundle.load(dir)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/extra.rego:1:3: rego_parse_error: not valid UTF-8 (byte 0xc3 at offset 2); save the"
                                + " module as UTF-8",
                        "policy/model.rego:5:10: rego_parse_error: not valid UTF-8 (byte 0xff at offset "
                                + (source.length - 2) + "); save the module as UTF-8"));
    }

    /** A long operator chain used to overflow the compiler's stack: an Error, not a load error. */
    @Test
    void aLongOperatorChainIsALoadErrorNotAStackOverflow() {
        Map<String, String> f = files();
        f.put("policy/extra.rego", "package veil.extra\n\nx := 1" + " + 1".repeat(2000) + "\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).singleElement().satisfies(err -> {
                    assertThat(err.file()).isEqualTo("policy/extra.rego");
                    assertThat(err.line()).isEqualTo(3);
                    assertThat(err.message()).startsWith("rego_parse_error: max parsing recursion depth exceeded");
                }));
        f.put("policy/extra.rego", "package veil.extra\n\nx := 1" + " + 1".repeat(190) + "\n");
        assertThat(load(f).engine()).isEqualTo("rego");
    }

    @Test
    void aCompileErrorNamesTheFileAndTheVariable() {
        Map<String, String> f = files();
        f.put("policy/model.rego", "package veil.model\n\nimport rego.v1\n\ndecision := x if y == 1\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("policy/model.rego:5:")
                .hasMessageContaining("rego_unsafe_var_error: var");
    }

    @Test
    void aPolicyThatWouldReachTheNetworkDoesNotLoad() {
        for (String call : new String[] {"http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:1\"})",
                "net.lookup_ip_addr(\"example.com\")"}) {
            Map<String, String> f = files();
            f.put("policy/extra.rego", "package veil.extra\n\nimport rego.v1\n\nx := " + call + "\n");
            String name = call.substring(0, call.indexOf('('));
            assertThatThrownBy(() -> load(f)).as(name).isInstanceOf(PolicyLoadException.class)
                    .hasMessageContaining("policy/extra.rego:5:")
                    .hasMessageContaining("builtin " + name + " is not available here: a Veil policy runs inside "
                            + "the model server and may not reach the network");
        }
    }

    @Test
    void dataAtTheSamePathAsARuleDoesNotLoadInsteadOfReplacingTheRule() {
        Map<String, String> f = files();
        f.put("policy/access.rego", """
                package veil.access

                import rego.v1

                admins := {"admin"}

                decision := {"allow": true, "rule": "admins", "message": "allowed by rule admins",
                             "rate_limit": null, "daily_quota": 100} if {
                    some r in input.caller.roles
                    r in admins
                } else := {"allow": false, "rule": "default", "message": "no", "rate_limit": null, "daily_quota": 0}
                """);
        PolicyBundle ok = load(f);
        assertThat(ok.policy().access(input(Set.of("analyst"), 1, Level.NONE, null)).allow()).isFalse();

        f.put("veil/access/data.json", "{\"admins\": [\"admin\", \"analyst\"]}");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).singleElement().satisfies(err -> {
                    assertThat(err.file()).isEqualTo("policy/access.rego");
                    assertThat(err.line()).isEqualTo(5);
                    assertThat(err.message()).isEqualTo("conflicting rule for data path veil/access/admins found: "
                            + "the bundle's data has a value at data.veil.access.admins (or above it), which would "
                            + "replace the rule; rename the rule or move the data (data files are placed by their "
                            + "directory)");
                }));
    }

    @Test
    void dataThatIsNotAnObjectAboveARuleConflictsAndDataBesideItDoesNot() {
        Map<String, String> f = files();
        f.put("veil/data.json", "{\"access\": {\"note\": \"beside the rules\"}}");
        assertThat(load(f).engine()).isEqualTo("rego");
        f.put("veil/data.json", "{\"access\": \"a string above data.veil.access.decision\"}");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("policy/access.rego:5:")
                .hasMessageContaining("conflicting rule for data path veil/access/decision found");
    }

    @Test
    void aModuleOutsideTheManifestRootsDoesNotLoad() {
        Map<String, String> f = files();
        f.put(".manifest", "{\"revision\": \"r\", \"roots\": [\"veil\", \"training\"]}");
        assertThat(load(f).engine()).isEqualTo("rego");
        f.put("other/x.rego", "package other\n\nimport rego.v1\n\nx := 1\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "other/x.rego:1:1: manifest roots [\"veil\", \"training\"] do not permit 'package other': "
                                + "move the module under a root or add a root to .manifest"));
    }

    /** A decision written as a constant of the wrong shape would fail every request that reaches it: refused at load. */
    @Test
    void aConstantDecisionOfTheWrongShapeDoesNotLoad() {
        Map<String, String> f = files();
        f.put("policy/access.rego", """
                package veil.access

                import rego.v1

                decision := {"allow": "yes", "rule": "admins", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    "admin" in input.caller.roles
                } else := {"allow": false, "rule": "default", "message": "", "rate_limit": null, "daily_quota": 0}
                """);
        f.put("policy/logging.rego", """
                package veil.logging

                import rego.v1

                default decision := {"rule": "default", "input": "hash", "output": "keep", "raw": "mask", "caller": "keep"}

                decision := {"rule": "r", "input": "digest", "output": "keep", "raw": "mask", "caller": "keep"} if {
                    input.caller.id == "ann"
                }
                """);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/access.rego:5:13: data.veil.access.decision: access decision: allow: expected true or "
                                + "false, was \"yes\" (this constant is the answer to every input that reaches it)",
                        "policy/logging.rego:5:21: data.veil.logging.decision: logging decision: input: expected one of "
                                + "keep, mask, digest, was \"hash\" (this constant is the answer to every input that "
                                + "reaches it)"));
        // A decision the policy computes is read per request, as before.
        f.put("policy/access.rego", ACCESS.replace("\"allow\": true", "\"allow\": yes").replace("import rego.v1\n",
                "import rego.v1\n\nyes := \"yes\"\n"));
        f.put("policy/logging.rego", LOGGING);
        assertThat(load(f).engine()).isEqualTo("rego");
    }

    @Test
    void rulesUnderTheSettingsAndAMultiValueDecisionDoNotLoad() {
        Map<String, String> f = files();
        f.put("policy/settings.rego", "package veil.settings\n\nimport rego.v1\n\nextra := \"degrade\"\n");
        f.put("policy/model.rego", """
                package veil.model

                import rego.v1

                decision contains {"stale": false, "action": "none", "rule": "", "max_age_days": null}
                """);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/model.rego:5:1: data.veil.model.decision is built by partial set or object rules "
                                + "('contains' or 'decision[key]'), so its value is a set or an object of "
                                + "contributions; a decision is one object: write 'decision := {...} if ...'",
                        "policy/settings.rego:5:1: rule data.veil.settings.extra is never read: the Guard's settings "
                                + "are the data document data.veil.settings (veil/settings/data.yaml), not rules "
                                + "(docs/policy-reference.md, section 6.5)"));
    }

    @Test
    void aReferenceNoPolicyInputHasDoesNotLoad() {
        Map<String, String> f = files();
        // A typo in a deny rule's condition would leave the rule undefined for every request: the
        // suspended caller would be allowed. Direct, through an import, with a bracket, below a scalar,
        // a string step into a list and a number step into an object: all refused, each where written.
        f.put("policy/access.rego", """
                package veil.access

                import input.caller as who
                import rego.v1

                suspended if input.caller.atributes.status == "suspended"

                suspended if who.rolez[_] == "banned"

                suspended if input["signals"]["rate"]["levle"] == "high"

                suspended if input.caller.tenant.name == "x"

                suspended if input.caller.roles.first == "x"

                suspended if input.model[0] == "x"

                suspended if { some name; input.signals[name].levle == "high" }

                suspended if input.request.names[_].x == "y"

                suspended if input.caller.id[_] == "x"

                decision := {"allow": false, "rule": "suspended", "message": "suspended",
                             "rate_limit": null, "daily_quota": 0} if {
                    suspended
                } else := {"allow": true, "rule": "admins", "message": "allowed by rule admins",
                           "rate_limit": null, "daily_quota": 0}
                """);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/access.rego:6:14: rego_type_error: undefined ref: input.caller.atributes.status: "
                                + "input.caller has no key \"atributes\"; it has id, authenticated, method, roles, "
                                + "tenant, attributes (the policy input document: docs/policy-reference.md, section 8)",
                        "policy/access.rego:8:14: rego_type_error: undefined ref: input.caller.rolez[_]: "
                                + "input.caller has no key \"rolez\"; it has id, authenticated, method, roles, "
                                + "tenant, attributes (the policy input document: docs/policy-reference.md, section 8)",
                        "policy/access.rego:10:14: rego_type_error: undefined ref: input.signals.rate.levle: "
                                + "input.signals.rate has no key \"levle\"; it has level, score (the policy input "
                                + "document: docs/policy-reference.md, section 8)",
                        "policy/access.rego:12:14: rego_type_error: undefined ref: input.caller.tenant.name: "
                                + "input.caller.tenant is a string: nothing lies below it (the policy input document: "
                                + "docs/policy-reference.md, section 8)",
                        "policy/access.rego:14:14: rego_type_error: undefined ref: input.caller.roles.first: "
                                + "input.caller.roles is a list: index it with a number, not \"first\" (the policy "
                                + "input document: docs/policy-reference.md, section 8)",
                        "policy/access.rego:16:14: rego_type_error: undefined ref: input.model[0]: input.model has "
                                + "no key 0; it has name, version, age_days (the policy input document: "
                                + "docs/policy-reference.md, section 8)",
                        "policy/access.rego:18:27: rego_type_error: undefined ref: input.signals[_].levle: "
                                + "input.signals[_] has no key \"levle\"; it has level, score (the policy input "
                                + "document: docs/policy-reference.md, section 8)",
                        "policy/access.rego:20:14: rego_type_error: undefined ref: input.request.names[_].x: "
                                + "input.request.names[_] is a string: nothing lies below it (the policy input "
                                + "document: docs/policy-reference.md, section 8)",
                        "policy/access.rego:22:14: rego_type_error: undefined ref: input.caller.id[_]: "
                                + "input.caller.id is a string: nothing lies below it (the policy input document: "
                                + "docs/policy-reference.md, section 8)"));
        // What the document has loads: open maps (attributes, signals by detector name), list indexes,
        // steps that are not constants, and the whole of input or of one of its parts.
        f.put("policy/access.rego", """
                package veil.access

                import input.caller as who
                import rego.v1

                suspended if input.caller.attributes.status == "suspended"

                suspended if who.roles[0] == "banned"

                suspended if {
                    some k
                    input.request.names[_] == "x"
                    input.caller.attributes[k] == input.caller.tenant
                    count(input) > 99
                }

                decision := {"allow": false, "rule": "suspended", "message": "suspended",
                             "rate_limit": null, "daily_quota": 0} if {
                    suspended
                } else := {"allow": true, "rule": "admins", "message": "allowed by rule admins",
                           "rate_limit": null, "daily_quota": 0}
                """);
        // signals and the prediction, where a question that is asked after monitoring reads them
        f.put("policy/later.rego", """
                package veil.later

                import rego.v1

                hot if input.signals.rate.level == "high"

                hot if {
                    some k
                    input.prediction[k] == 1
                    count(input.signals) > 99
                }
                """);
        // Test files set their own inputs, of any shape: not checked.
        f.put("policy/access_test.rego", """
                package veil.access_test

                import rego.v1

                staff if input.who == "staff"

                test_staff if staff with input as {"who": "staff"}

                quiet if input.signals.nosuch.level == "none"
                """);
        assertThat(load(f).engine()).isEqualTo("rego");
    }

    /**
     * The access and validation questions are asked before monitoring and the model: a rule of theirs
     * on a signal or on the prediction never fires in a Guard (though veil eval and veil test inputs
     * may give them values). Refused at load, as the YAML engine refuses such conditions.
     */
    @Test
    void accessAndValidationRulesOnSignalsOrThePredictionDoNotLoad() {
        Map<String, String> f = files();
        f.put("policy/access.rego", """
                package veil.access

                import rego.v1

                flooding if input.signals.rate.level == "high"

                decision := {"allow": false, "rule": "flooding", "message": "flooding",
                             "rate_limit": null, "daily_quota": 0} if {
                    flooding
                } else := {"allow": true, "rule": "admins", "message": "allowed by rule admins",
                           "rate_limit": null, "daily_quota": 0}
                """);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/access.rego:5:13: rego_type_error: undefined ref: input.signals.rate.level: the "
                                + "access question is asked before monitoring and the model, so its input has no "
                                + "signals (section 6.1): a rule on it never fires in a Guard, whatever veil eval or "
                                + "veil test inputs give it; act on signals in package veil.monitoring (block, "
                                + "throttle, degrade) and on the prediction in veil.output (the policy input document: "
                                + "docs/policy-reference.md, section 8)"));
    }

    /**
     * A signal no configured detector produces never has a value: a rule on it would load and never
     * fire (a block that never blocks). Refused at load, as the YAML engine refuses it; a name that
     * is not a constant cannot be checked and loads.
     */
    @Test
    void aSignalNoDetectorProducesDoesNotLoad() {
        Map<String, String> f = files();
        f.put("policy/later.rego", """
                package veil.later

                import rego.v1

                flooding if input.signals.rat.level == "high"

                flooding if input.signals["rate"].level == "high"

                flooding if { some name; input.signals[name].level == "high" }
                """);
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/later.rego:5:13: rego_type_error: undefined ref: input.signals.rat.level: unknown "
                                + "signal 'rat': configure it under monitoring.detectors in the settings "
                                + "(data.veil.settings; configured: [rate]), or correct its name; as it is, a rule on "
                                + "it never fires"));
    }

    @Test
    void everyQuestionNeedsItsDecisionRule() {
        Map<String, String> f = files();
        f.put("policy/model.rego", "package veil.model\n\nimport rego.v1\n\nanswer := 1\n");
        f.put("policy/logging.rego", "package veil.audit\n\nimport rego.v1\n\ndecision := 1\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::message).containsExactly(
                        "no rule data.veil.model.decision: a Rego bundle answers the model question with the rule "
                                + "'decision' of package veil.model (docs/policy-reference.md, section 13)",
                        "no rule data.veil.logging.decision: a Rego bundle answers the logging question with the "
                                + "rule 'decision' of package veil.logging (docs/policy-reference.md, section 13)"));
    }

    @Test
    void theSettingsAreRequiredAndCheckedLikeAPolicyFile() {
        Map<String, String> f = files();
        f.remove("veil/settings/data.yaml");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("no settings at data.veil.settings");
    }

    @Test
    void aBadSettingIsReportedAtItsLineInTheSettingsFile() {
        Map<String, String> f = files();
        f.put("veil/settings/data.yaml", "name: tiny\nauthentication: { anonymous: true }\non_error: maybe\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).containsExactly(new PolicyError(
                        "veil/settings/data.yaml", 3, 1, "on_error: invalid value 'maybe': expected one of deny, degrade")));
    }

    /** The settings' detectors are checked by the YAML engine's code, which names a default bound as the default. */
    @Test
    void aDetectorBoundThatIsAnotherKeysDefaultSaysSo() {
        Map<String, String> f = files();
        f.put("veil/settings/data.yaml", "name: tiny\nauthentication: { anonymous: true }\n"
                + "monitoring: { detectors: { boundary: { min_queries: 1000 } } }\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("min_queries must be an integer in [1, window (20, the default)], was 1000");
    }

    @Test
    void anUndefinedDecisionIsAFailureNotAnAnswer() {
        Map<String, String> f = files();
        // computed from the input, so read per request (a constant decision is checked at load)
        f.put("policy/access.rego", "package veil.access\n\nimport rego.v1\n\n"
                + "decision := {\"allow\": true, \"who\": input.caller.id} if input.caller.id == \"nobody\"\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.access(input(Set.of(), 0, Level.NONE, null)))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("data.veil.access.decision is undefined for this input: the rule must answer every input "
                        + "(give it a default, or end its else chain without a condition)");
    }

    @Test
    void aConflictIsAFailure() {
        Map<String, String> f = files();
        f.put("policy/model.rego", MODEL + "\ndecision := {\"rule\": \"other\", \"stale\": false, \"action\": \"deny\"}\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.model(input(Set.of(), 0, Level.NONE, null)))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessageStartingWith("data.veil.model.decision failed: ")
                .hasMessageContaining("eval_conflict_error");
    }

    @Test
    void aDocumentOfTheWrongShapeIsAFailureNamingTheField() {
        Map<String, String> f = files();
        // computed (a rule's value), so read per request (a constant decision is checked at load)
        f.put("policy/logging.rego", LOGGING.replace("\"raw\": \"mask\"", "\"raw\": raw") + "\nraw := \"hash\"\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.logging(input(Set.of(), 0, Level.NONE, null)))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("logging decision: raw: expected one of keep, mask, digest, was \"hash\"");
    }

    /**
     * A decision document is JSON, as the YAML engine's are: a set where it has a list would be read
     * as a sorted list without duplicates ({@code "shape": {2, 2}} as {@code [2]}, a set of monitoring
     * actions out of rule order), and a key that is not a string as its JSON text (so {@code 1} and
     * {@code "1"} would collide). Both are failures naming the field, computed or constant.
     */
    @Test
    void aSetOrANonStringKeyInADecisionIsAFailureNotAList() {
        Map<String, String> f = files();
        f.put("policy/monitoring.rego", """
                package veil.monitoring

                import rego.v1

                decision := {"actions": fired}

                fired contains {"action": "block", "rule": "flood", "signal": "rate", "cooldown_seconds": 60,
                    "throttle_per_second": 0} if input.signals.rate.level == "high"

                fired contains {"action": "alert", "rule": "busy", "signal": "rate", "cooldown_seconds": 0,
                    "throttle_per_second": 0} if input.signals.rate.level in {"medium", "high"}
                """);
        f.put("policy/validation.rego", VALIDATION.replace("\"features\": {}", "\"features\": features")
                + "\nfeatures[k] := {\"required\": true, \"min\": 0, \"max\": 1} if some k in [1, \"1\"]\n");
        CompiledPolicy p = load(f).policy();
        PolicyInput high = input(Set.of(), 0, Level.HIGH, null);
        assertThatThrownBy(() -> p.monitoring(high)).isInstanceOf(dev.veil.VeilException.class)
                .hasMessageStartingWith("monitoring decision: actions: expected a list, was a set [{\"action\":")
                .hasMessageEndingWith("(a set has no order and holds each value once; write an array: [...], or "
                        + "[x | ...] for a comprehension)");
        assertThatThrownBy(() -> p.monitoring(input(Set.of(), 0, Level.NONE, null)))
                .hasMessageStartingWith("monitoring decision: actions: expected a list, was a set [] (");
        assertThatThrownBy(() -> p.validation(high)).isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("validation decision: contract.features: keys must be strings, was the number 1");

        Map<String, String> constant = files();
        constant.put("policy/validation.rego", VALIDATION.replace("\"shape\": [2]", "\"shape\": {2, 2}"));
        assertThatThrownBy(() -> load(constant)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("policy/validation.rego:5:13: data.veil.validation.decision: validation "
                        + "decision: contract.shape: expected a list, was a set [2] (a set has no order");
    }

    /** Rego's numbers are exact: one too close to 0 for a double is a failure, not 0 ("no rounding"). */
    @Test
    void aRoundTooSmallForADoubleIsAFailureNotNoRounding() {
        Map<String, String> f = files();
        f.put("policy/output.rego", OUTPUT.replace("\"round\": 0.05", "\"round\": step") + "\nstep := 1e-400\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.output(input(Set.of(), 0, Level.NONE, new PredictionSummary("cat", 0.9, 0.8, 0.3, 3))))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessageStartingWith("output decision: release.round: expected a number, was 1E-400: it is too close "
                        + "to 0 for a double");
    }

    /**
     * A Rego bundle's data files go through the bundle loader's parser, which reads numbers as
     * doubles: a data number too close to 0 for one is a load error at the number, not a 0 the rules
     * would compute with (a round of data.params.step would be "no rounding").
     */
    @Test
    void aDataNumberTooSmallForADoubleIsALoadErrorNotZero() {
        for (String file : List.of("params/data.json", "params/data.yaml")) {
            Map<String, String> f = files();
            f.put("policy/output.rego", OUTPUT.replace("\"round\": 0.05", "\"round\": data.params.step"));
            f.put(file, file.endsWith(".json") ? "{\"step\": 1e-400}" : "step: 1e-400\n");
            assertThatThrownBy(() -> load(f)).as(file).isInstanceOf(PolicyLoadException.class)
                    .hasMessageContaining(file + ":1:").hasMessageContaining("number 1e-400 at step is too close to 0 for"
                            + " a 64-bit floating point number and would read as 0");
            f.put(file, file.endsWith(".json") ? "{\"step\": 0.05}" : "step: 0.05\n");
            assertThat(load(f).engine()).as(file).isEqualTo("rego");
            try {
                Files.delete(dir.resolve(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void aContractNoRequestCanPassIsAFailureNotARefusal() {
        Map<String, String> f = files();
        // computed (a rule's value), so read per request (a constant decision is checked at load)
        f.put("policy/validation.rego", VALIDATION.replace("\"features\": {}", "\"features\": features")
                + "\nfeatures := {\"a\": {\"required\": true, \"min\": null, \"max\": null}, "
                + "\"b\": {\"required\": true, \"min\": null, \"max\": null}, "
                + "\"c\": {\"required\": true, \"min\": null, \"max\": null}}\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.validation(input(Set.of(), 0, Level.NONE, null)))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("validation decision: contract.features: 3 features must be in every request (3 required "
                        + "[a, b, c]) but the shape [2] holds 2 values: no request can carry them all; make some optional "
                        + "(required: false) or fix the shape");
    }

    /**
     * An optional feature a cross_field rule reads would refuse every request without it; the YAML
     * loader refuses it, and so does the Rego engine: at load for a constant decision, per request
     * (a failure, not a refusal) for a computed one.
     */
    @Test
    void anOptionalFeatureARuleReadsIsAFailureNotARefusal() {
        Map<String, String> f = files();
        String contract = VALIDATION.replace("\"features\": {}", "\"features\": FEATURES")
                .replace("\"cross_field\": []", "\"cross_field\": [{\"id\": \"small-b\", \"expr\": \"b < 1\"}]")
                .replaceAll("(?s)\"distribution\": \\{.*\\}\\}\\}", "\"distribution\": null}}");
        String features = "{\"a\": {\"required\": true, \"min\": null, \"max\": null}, "
                + "\"b\": {\"required\": false, \"min\": null, \"max\": null}}";
        String message = "validation decision: contract.cross_field: feature 'b' is optional (required: false) but "
                + "cross_field rule 'small-b' reads it, and a rule refuses every request without a feature it reads; "
                + "make the feature required, or leave it out of the rule";
        f.put("policy/validation.rego", contract.replace("FEATURES", features));
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "policy/validation.rego:5:13: data.veil.validation.decision: " + message
                                + " (this constant is the answer to every input that reaches it)"));
        f.put("policy/validation.rego", contract.replace("FEATURES", "features") + "\nfeatures := " + features + "\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.validation(input(Set.of(), 0, Level.NONE, null)))
                .isInstanceOf(VeilException.class).hasMessage(message);
        // required, it loads
        f.put("policy/validation.rego", contract.replace("FEATURES", features.replace("false", "true")));
        assertThat(load(f).engine()).isEqualTo("rego");
    }

    /**
     * A bad field of the statistics a validation decision names is reported at the data file that
     * holds it, with its line and column, as the YAML engine reports it: at load for a constant
     * decision, in the message of each request for a computed one.
     */
    @Test
    void badStatisticsAreReportedAtTheirDataFile() {
        Map<String, String> f = files();
        f.put("training/data.json", "{\"stats\": {\"mean\": [0.5, 0.5],\n  \"std\": [0.1, -0.2]}}\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class).satisfies(e ->
                assertThat(((PolicyLoadException) e).errors()).extracting(PolicyError::toString).containsExactly(
                        "training/data.json:2:16: data.training.stats: std[1] must be >= 0, was -0.2"));
        f.put("policy/validation.rego", VALIDATION.replace("\"stats\": \"training.stats\"", "\"stats\": stats")
                + "\nstats := \"training.stats\"\n");
        CompiledPolicy p = load(f).policy();
        assertThatThrownBy(() -> p.validation(input(Set.of(), 0, Level.NONE, null)))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("validation decision: contract.distribution.stats: data.training.stats: std[1] must be >= 0, "
                        + "was -0.2 (training/data.json:2:16)");
    }

    @Test
    void aBundleUsesOneLanguage() {
        Map<String, String> f = files();
        f.put("other.veil.yaml", "veil: 1\nname: x\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("holds policies for several engines [")
                .hasMessageContaining("rego").hasMessageContaining("yaml")
                .hasMessageContaining("a bundle must use exactly one language");
    }
}
