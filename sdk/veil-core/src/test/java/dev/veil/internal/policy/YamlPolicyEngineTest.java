package dev.veil.internal.policy;

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
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.StaleAction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlPolicyEngineTest {
    static final String KEYS = "{\"keys\": []}";

    static final String POLICY = """
            veil: 1
            name: test-policy
            authentication:
              api_keys: { file: keys.json }
            model:
              default: { max_age_days: 100, on_stale: degrade }
              rules:
                - { id: strict-for-partners, when: { tenants: [partner] }, max_age_days: 30, on_stale: deny }
            access:
              default: { effect: deny }
              rules:
                - id: banned
                  when: { callers: [mallory] }
                  effect: deny
                  message: "mallory is banned"
                - id: analysts
                  when: { roles: [analyst], authenticated: true }
                  effect: allow
                  rate_limit: { per_second: 5, burst: 10 }
                  daily_quota: 1000
                - id: partners
                  when: { tenants: [partner], attributes: { tier: [gold, silver] } }
                  effect: allow
            validation:
              default:
                shape: [4]
                range: { min: 0, max: 1 }
              rules:
                - id: wide-for-research
                  when: { roles: [research] }
                  contract: { range: { min: -10, max: 10 } }
            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }
              rules:
                - { id: alert-busy, when: { signals: { rate: low } }, action: alert }
                - { id: degrade-busy, when: { signals: { rate: medium } }, action: degrade }
                - { id: block-flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }
            output:
              default: { form: top_k, top_k: 3, round: 0.05 }
              degraded: { form: label_only }
              rules:
                - id: research-full
                  when: { roles: [research] }
                  release: { form: full, round: 0.01 }
                - id: confident-label-only
                  when: { top_score: { gte: 0.99 } }
                  release: { form: label_only }
            logging:
              default: { input: digest }
              rules:
                - id: partner-mask
                  when: { tenants: [partner] }
                  logging: { input: mask, caller: digest }
            """;

    @TempDir
    Path dir;

    PolicyBundle load(String policy) {
        write("policy.veil.yaml", policy);
        write("keys.json", KEYS);
        return PolicyBundle.load(dir);
    }

    void write(String name, String content) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static PolicyInput input(Caller c, double ageDays, List<Signal> signals, PredictionSummary p) {
        return new PolicyInput(c, ModelInfo.of("m", "1", Instant.EPOCH), ageDays, 4, 32, List.of(), signals, false, p);
    }

    static Caller caller(String id, String tenant, Map<String, String> attrs, String... roles) {
        return new Caller(id, AuthMethod.API_KEY, Set.of(roles), tenant, attrs);
    }

    @Test
    void shouldAnswerAccessWithFirstMatchingRule() {
        CompiledPolicy p = load(POLICY).policy();
        assertThat(p.access(input(caller("mallory", "", Map.of(), "analyst"), 1, List.of(), null)))
                .satisfies(d -> {
                    assertThat(d.allow()).isFalse();
                    assertThat(d.rule()).isEqualTo("banned");
                    assertThat(d.message()).isEqualTo("mallory is banned");
                });
        var alice = p.access(input(caller("alice", "", Map.of(), "analyst"), 1, List.of(), null));
        assertThat(alice.allow()).isTrue();
        assertThat(alice.rule()).isEqualTo("analysts");
        assertThat(alice.rateLimit().perSecond()).isEqualTo(5);
        assertThat(alice.rateLimit().burst()).isEqualTo(10);
        assertThat(alice.dailyQuota()).isEqualTo(1000);
        assertThat(p.access(input(caller("p", "partner", Map.of("tier", "gold")), 1, List.of(), null)).rule())
                .isEqualTo("partners");
        assertThat(p.access(input(caller("p", "partner", Map.of("tier", "bronze")), 1, List.of(), null)))
                .satisfies(d -> {
                    assertThat(d.allow()).isFalse();
                    assertThat(d.rule()).isEqualTo("default");
                });
        assertThat(p.access(input(Caller.ANONYMOUS, 1, List.of(), null)).allow()).isFalse();
    }

    @Test
    void shouldMergeValidationRuleOverDefault() {
        CompiledPolicy p = load(POLICY).policy();
        var research = p.validation(input(caller("r", "", Map.of(), "research"), 1, List.of(), null));
        assertThat(research.rule()).isEqualTo("wide-for-research");
        assertThat(research.contract().shape()).containsExactly(4);
        assertThat(research.contract().min()).isEqualTo(-10);
        var other = p.validation(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), null));
        assertThat(other.rule()).isEqualTo("default");
        assertThat(other.contract().max()).isEqualTo(1);
        assertThat(p.validation(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), null)).contract())
                .isSameAs(other.contract());
    }

    @Test
    void shouldFireEveryMatchingMonitoringRule() {
        CompiledPolicy p = load(POLICY).policy();
        Caller a = caller("a", "", Map.of(), "analyst");
        assertThat(p.monitoring(input(a, 1, List.of(new Signal("rate", Level.NONE, 3)), null)).actions()).isEmpty();
        assertThat(p.monitoring(input(a, 1, List.of(new Signal("rate", Level.MEDIUM, 25)), null)).actions())
                .extracting(MonitoringAction::rule).containsExactly("alert-busy", "degrade-busy");
        List<MonitoringAction> high = p.monitoring(input(a, 1, List.of(new Signal("rate", Level.HIGH, 40)), null))
                .actions();
        assertThat(high).extracting(MonitoringAction::action).containsExactly(MonitoringAction.Kind.ALERT,
                MonitoringAction.Kind.DEGRADE, MonitoringAction.Kind.BLOCK);
        assertThat(high.get(2).cooldownSeconds()).isEqualTo(600);
    }

    @Test
    void shouldDecideModelAgePerRule() {
        CompiledPolicy p = load(POLICY).policy();
        Caller a = caller("a", "", Map.of(), "analyst");
        Caller partner = caller("p", "partner", Map.of());
        assertThat(p.model(input(a, 99, List.of(), null)).stale()).isFalse();
        assertThat(p.model(input(a, 101, List.of(), null))).satisfies(d -> {
            assertThat(d.stale()).isTrue();
            assertThat(d.action()).isEqualTo(StaleAction.DEGRADE);
        });
        assertThat(p.model(input(partner, 31, List.of(), null))).satisfies(d -> {
            assertThat(d.stale()).isTrue();
            assertThat(d.action()).isEqualTo(StaleAction.DENY);
            assertThat(d.rule()).isEqualTo("strict-for-partners");
        });
    }

    @Test
    void shouldMergeOutputRuleOverDefaultAndSeeThePrediction() {
        CompiledPolicy p = load(POLICY).policy();
        PredictionSummary unsure = new PredictionSummary("cat", 0.6, 0.3, 0.9, 10);
        PredictionSummary sure = new PredictionSummary("cat", 0.995, 0.99, 0.01, 10);
        var research = p.output(input(caller("r", "", Map.of(), "research"), 1, List.of(), unsure));
        assertThat(research.rule()).isEqualTo("research-full");
        assertThat(research.release().form()).isEqualTo(ReleaseSpec.Form.FULL);
        assertThat(research.release().round()).isEqualTo(0.01);
        var plain = p.output(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), unsure));
        assertThat(plain.release()).isEqualTo(new ReleaseSpec(ReleaseSpec.Form.TOP_K, 3, 0.05, 0, null, null, false));
        assertThat(p.output(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), sure)).rule())
                .isEqualTo("confident-label-only");
        assertThat(p.settings().degradedRelease()).isEqualTo(ReleaseSpec.LABEL_ONLY);
    }

    @Test
    void shouldChooseLoggingTreatmentPerRule() {
        CompiledPolicy p = load(POLICY).policy();
        var partner = p.logging(input(caller("p", "partner", Map.of()), 1, List.of(), null));
        assertThat(partner.input()).isEqualTo(FieldMode.MASK);
        assertThat(partner.caller()).isEqualTo(FieldMode.DIGEST);
        assertThat(partner.output()).isEqualTo(FieldMode.KEEP);
        var other = p.logging(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), null));
        assertThat(other.input()).isEqualTo(FieldMode.DIGEST);
        assertThat(other.raw()).isEqualTo(FieldMode.MASK);
    }

    @Test
    void withoutALoggingSectionTheInputIsMaskedNotDigested() {
        CompiledPolicy p = load(POLICY.substring(0, POLICY.indexOf("logging:"))).policy();
        var d = p.logging(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), null));
        assertThat(d).isEqualTo(new LoggingDecision("default", FieldMode.MASK, FieldMode.KEEP, FieldMode.MASK,
                FieldMode.KEEP));
    }

    @Test
    void shouldEvaluateAnyAndNot() {
        String policy = POLICY.replace("when: { callers: [mallory] }",
                "when: { any: [ { callers: [mallory] }, { not: { authenticated: true } } ] }");
        CompiledPolicy p = load(policy).policy();
        assertThat(p.access(input(Caller.ANONYMOUS, 1, List.of(), null)).rule()).isEqualTo("banned");
        assertThat(p.access(input(caller("alice", "", Map.of(), "analyst"), 1, List.of(), null)).rule())
                .isEqualTo("analysts");
    }

    // ------------------------------------------------------------------ errors

    PolicyError loadError(String policy) {
        try {
            load(policy);
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0);
        }
        throw new AssertionError("expected the policy to be rejected");
    }

    @Test
    void shouldRejectUnknownKeyWithLineColumnAndKnownKeys() {
        PolicyError e = loadError(POLICY.replace("rate_limit: { per_second: 5, burst: 10 }",
                "rate_limt: { per_second: 5, burst: 10 }"));
        assertThat(e.file()).isEqualTo("policy.veil.yaml");
        assertThat(e.line()).isEqualTo(19);
        assertThat(e.column()).isGreaterThan(0);
        assertThat(e.message()).contains("unknown key 'rate_limt'").contains("access.rules[1]").contains("rate_limit");
    }

    @Test
    void shouldRejectWrongType() {
        PolicyError e = loadError(POLICY.replace("daily_quota: 1000", "daily_quota: lots"));
        assertThat(e.line()).isEqualTo(20);
        assertThat(e.message()).contains("access.rules[1].daily_quota").contains("an integer");
    }

    /** YAML 1.1 (Jackson), YAML 1.2 and OPA's go-yaml read these differently: the loader refuses to guess. */
    @Test
    void shouldRejectUnquotedScalarsWhoseMeaningDependsOnTheYamlReader() {
        PolicyError e = loadError(POLICY.replace("daily_quota: 1000", "daily_quota: 010"));
        assertThat(e.file()).isEqualTo("policy.veil.yaml");
        assertThat(e.line()).isEqualTo(20);
        assertThat(e.column()).isEqualTo(20);
        assertThat(e.message()).isEqualTo("unquoted 010 at access.rules[1].daily_quota is a number not written in"
                + " plain decimal (a leading zero, a 0x, 0o or 0b prefix, or '_'), which YAML readers read"
                + " differently (this one as 8); write the number in decimal, or quote it (\"010\") for a string");
        assertThat(loadError(POLICY.replace("daily_quota: 1000", "daily_quota: 0x10")).message())
                .startsWith("unquoted 0x10 at access.rules[1].daily_quota is a number not written in plain decimal");
        assertThat(loadError(POLICY.replace("daily_quota: 1000", "daily_quota: 1_000")).message())
                .contains("(this one as 1000)");

        e = loadError(POLICY.replace("authenticated: true", "authenticated: yes"));
        assertThat(e.line()).isEqualTo(17);
        assertThat(e.column()).isEqualTo(48);
        assertThat(e.message()).isEqualTo("unquoted yes at access.rules[1].when.authenticated is the boolean true to"
                + " some YAML readers and the string \"yes\" to others; write true for a boolean, or quote it"
                + " (\"yes\") for a string");
        assertThat(loadError(POLICY.replace("roles: [analyst]", "roles: [no]")).message())
                .startsWith("unquoted no at access.rules[1].when.roles[0] is the boolean false to some YAML readers");
        assertThat(loadError(POLICY.replace("roles: [analyst]", "roles: [analyst, n]")).message())
                .startsWith("unquoted n at access.rules[1].when.roles[1] is the boolean false to some YAML readers");

        // Quoted, they are strings to every reader; True and FALSE are booleans to every reader.
        CompiledPolicy p = load(POLICY.replace("roles: [analyst]", "roles: [\"no\", 'y']")
                .replace("authenticated: true", "authenticated: True")).policy();
        assertThat(p.access(input(caller("alice", "", Map.of(), "no"), 1, List.of(), null)).rule())
                .isEqualTo("analysts");
    }

    /**
     * This YAML reader takes an alias for the string of its anchor's name ({@code *m} for "m", not
     * the anchored "mallory"): a deny rule naming {@code [*m]} would ban a caller "m" and let mallory
     * in. Every alias is refused, at its line and column.
     */
    @Test
    void shouldRejectYamlAliasesWhichThisReaderTakesForTheAnchorsName() {
        String aliased = POLICY.replace("callers: [mallory]", "callers: [&m mallory]")
                .replace("when: { tenants: [partner], attributes", "when: { callers: [*m], attributes");
        PolicyError e = loadError(aliased);
        assertThat(e.file()).isEqualTo("policy.veil.yaml");
        assertThat(e.line()).isEqualTo(22);
        assertThat(e.column()).isEqualTo(25);
        assertThat(e.message()).isEqualTo("YAML alias *m at access.rules[2].when.callers[0]: this YAML reader takes it"
                + " for the string \"m\", not the value anchored as &m; aliases are not supported in a policy file,"
                + " repeat the value instead");
        // a whole mapping too, where it would be an error only by luck of the expected type
        e = loadError(POLICY.replace("default: { max_age_days: 100, on_stale: degrade }",
                "default: &d { max_age_days: 100, on_stale: degrade }").replace("output:\n", "x: *d\noutput:\n"));
        assertThat(e.message()).startsWith("YAML alias *d at x: ");
        // an anchor alone changes nothing
        load(POLICY.replace("callers: [mallory]", "callers: [&m mallory]"));
    }

    /** An integer too large for its key was reported as a "YAML syntax error" without the key. */
    @Test
    void shouldNameTheKeyOfAnIntegerTooLargeForIt() {
        PolicyError e = loadError(POLICY.replace("shape: [4]", "shape: [4, 3000000000]"));
        assertThat(e.line()).isEqualTo(26);
        assertThat(e.column()).isEqualTo(16);
        assertThat(e.message()).isEqualTo("validation.default.shape[1]: 3000000000 is out of range: expected an"
                + " integer from -2147483648 to 2147483647");
        e = loadError(POLICY.replace("shape: [4]", "shape: [4]\n    max_payload_bytes: 99999999999999999999"));
        assertThat(e.line()).isEqualTo(27);
        assertThat(e.column()).isEqualTo(5);
        assertThat(e.message()).isEqualTo("validation.default.max_payload_bytes: 99999999999999999999 is out of range:"
                + " expected an integer from -9223372036854775808 to 9223372036854775807");
    }

    /** A second document was reported as "wrong type: expected a mapping", which says nothing of it. */
    @Test
    void shouldSayThatAPolicyFileHoldsOneDocument() {
        PolicyError e = loadError(POLICY + "---\nveil: 1\n");
        assertThat(e.line()).isEqualTo(POLICY.split("\n", -1).length + 1);
        assertThat(e.column()).isEqualTo(1);
        assertThat(e.message()).isEqualTo("a second YAML document starts here (after ---); a policy file holds one"
                + " document: remove the second, or put it in a bundle of its own");
    }

    @Test
    void shouldRejectAnAmbiguousScalarInADataFileOfAYamlPolicyBundle() {
        write("veil/data.yaml", "regions: [GB, NO, y, n]\n");
        PolicyError e = loadError(POLICY);
        assertThat(e.file()).isEqualTo("veil/data.yaml");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.column()).isEqualTo(15);
        assertThat(e.message()).startsWith("unquoted NO at regions[1] is the boolean false");

        write("veil/data.yaml", "regions: [GB, \"NO\", \"y\", 'n']\n");
        assertThat(load(POLICY).contents().data("veil.regions")).isEqualTo(List.of("GB", "NO", "y", "n"));
    }

    @Test
    void shouldRejectUnknownEnumValue() {
        PolicyError e = loadError(POLICY.replace("effect: allow\n      rate_limit", "effect: permit\n      rate_limit"));
        assertThat(e.message()).contains("access.rules[1].effect").contains("'permit'").contains("allow, deny");
    }

    @Test
    void shouldRejectMissingRequiredKey() {
        PolicyError e = loadError(POLICY.replace("name: test-policy\n", ""));
        assertThat(e.message()).isEqualTo("missing required key 'name'");
    }

    @Test
    void shouldNameTheMappingThatLacksARequiredKeyWithoutRepeatingTheKey() {
        PolicyError e = loadError(POLICY.replace("effect: allow\n      rate_limit", "rate_limit"));
        assertThat(e.message()).isEqualTo("access.rules[1]: missing required key 'effect'");
    }

    @Test
    void shouldRejectDuplicateKeyAtTheRepeatedKeyNamingItsMapping() {
        PolicyError top = loadError(POLICY.replace("name: test-policy\n", "name: test-policy\nname: again\n"));
        assertThat(top.message()).isEqualTo("duplicate key 'name': a mapping holds each key once");
        assertThat(top.line()).isEqualTo(3);
        // nested: a newcomer's review saw the error at the parent mapping's line, not at the repeated key
        PolicyError nested = loadError(POLICY.replace("  default: { effect: deny }\n",
                "  default: { effect: deny }\n  default: { effect: allow }\n"));
        assertThat(nested.message()).isEqualTo("access: duplicate key 'default': a mapping holds each key once");
        assertThat(nested.line()).isEqualTo(11);
        assertThat(nested.column()).isEqualTo(3);
        PolicyError inList = loadError(POLICY.replace("when: { tenants: [partner] }",
                "when: { tenants: [partner], tenants: [other] }"));
        assertThat(inList.message()).isEqualTo("model.rules[0].when: duplicate key 'tenants': a mapping holds each "
                + "key once");
        assertThat(inList.line()).isEqualTo(8);
    }

    @Test
    void shouldRejectDuplicateRuleIdAtItsLine() {
        PolicyError e = loadError(POLICY.replace("- id: partners", "- id: analysts"));
        assertThat(e.message()).contains("access.rules[2].id").contains("duplicate rule id 'analysts'");
        assertThat(e.line()).isEqualTo(21);
    }

    /**
     * A number below the smallest double is refused where it is written, not read as 0: a round of 1e-400
     * would be "no rounding" (full-precision scores), a max_abs_z of 1e-400 no check.
     */
    @Test
    void aRoundTooSmallForADoubleIsRefusedNotNoRounding() {
        assertThat(loadError(POLICY.replace("top_k: 3, round: 0.05", "top_k: 3, round: 1e-400")).message())
                .isEqualTo("number 1e-400 at output.default.round is too close to 0 for a 64-bit floating point "
                        + "number and would read as 0 (which turns some checks off); write a larger number, or 0");
        assertThat(load(POLICY.replace("top_k: 3, round: 0.05", "top_k: 3, round: 0.0e-400")).engine())
                .isEqualTo("yaml"); // 0 written with an exponent is still 0
    }

    @Test
    void shouldRejectImpossibleValues() {
        assertThat(loadError(POLICY.replace("top_k: 3, round: 0.05", "top_k: 3, round: 2e15")).message())
                .contains("output.default").contains("round must be in [0, 1.0E15]");
        // a step above 1 loads (a regression's value); a classification answered under it is refused (DegradedRegressionTest)
        assertThat(load(POLICY.replace("top_k: 3, round: 0.05", "top_k: 3, round: 1000")).engine()).isEqualTo("yaml");
        assertThat(loadError(POLICY.replace("top_k: 3, round: 0.05", "top_k: 3, round: 1.0e-310")).message())
                .contains("output.default").contains("round must be 0 (no rounding) or at least 1.0E-12, was 1.0E-310");
        assertThat(loadError(POLICY.replace("per_second: 5, burst: 10", "per_second: -5, burst: 10")).message())
                .contains("access.rules[1].rate_limit").contains("per_second must be a positive");
        // A bucket the limiters cannot count (a refill of more than 366 days) fails the load at its rule,
        // not every request under that rule at run time.
        PolicyError slow = loadError(POLICY.replace("per_second: 5, burst: 10", "per_second: 0.000001, burst: 100"));
        assertThat(slow.message()).isEqualTo("access.rules[1].rate_limit: a bucket of burst 100 at per_second 1.0E-6"
                + " takes 1157 days to refill, longer than the 366 days a rate limit may take: per_second must be at"
                + " least burst / 31622400 (0.00000317 for burst 100); raise per_second or lower burst");
        assertThat(slow.line()).isEqualTo(19);
        assertThat(loadError(POLICY.replace("form: top_k, top_k: 3", "form: top_k")).message())
                .contains("top_k must be >= 1");
        assertThat(loadError(POLICY.replace("range: { min: 0, max: 1 }", "range: { min: 2, max: 1 }")).message())
                .contains("validation.default").contains("min <= max");
        assertThat(loadError(POLICY.replace("cooldown_seconds: 600", "cooldown_seconds: 0")).message())
                .contains("monitoring.rules[2]").contains("cooldown_seconds > 0");
        // A throttle the limiters cannot count (its one token refills in more than 366 days) fails the load at
        // its throttle_per_second, not every request it applies to at run time.
        String throttle = "action: throttle, cooldown_seconds: 600, throttle_per_second: ";
        PolicyError glacial = loadError(POLICY.replace("action: block, cooldown_seconds: 600", throttle + "0.00000001"));
        assertThat(glacial.message()).isEqualTo("monitoring.rules[2].throttle_per_second: a throttle at"
                + " throttle_per_second 1.0E-8 lets one request through every 1157 days, longer than the 366 days a"
                + " throttle's bucket may take to refill: throttle_per_second must be at least 1 / 31622400"
                + " (0.0000000317); raise throttle_per_second, or use action: block to refuse the caller for the"
                + " cool-down");
        assertThat(glacial.line()).isEqualTo(38);
        assertThat(loadError(POLICY.replace("action: block, cooldown_seconds: 600", throttle + "0")).message())
                .isEqualTo("monitoring.rules[2].throttle_per_second: a throttle needs throttle_per_second > 0, was 0.0");
        load(POLICY.replace("action: block, cooldown_seconds: 600", throttle + "0.0000000317")); // the bound
        // Faster than one token a nanosecond: the in-memory store's Bucket4j cannot build the bucket, so the
        // load fails at the key (a rate limit at its rule's rate_limit), not every request at run time.
        PolicyError hasty = loadError(POLICY.replace("action: block, cooldown_seconds: 600", throttle + "1.5e9"));
        assertThat(hasty.message()).isEqualTo("monitoring.rules[2].throttle_per_second: throttle_per_second 1.5E9 is"
                + " faster than one request a nanosecond, the fastest a throttle can be counted at (the in-memory state"
                + " store's Bucket4j refills at most one token a nanosecond): throttle_per_second must be at most 1e9"
                + " (1000000000); lower it");
        assertThat(hasty.line()).isEqualTo(38);
        load(POLICY.replace("action: block, cooldown_seconds: 600", throttle + "1000000000")); // the fastest
        PolicyError fast = loadError(POLICY.replace("per_second: 5, burst: 10", "per_second: 1.0e10, burst: 1000000000000"));
        assertThat(fast.message()).isEqualTo("access.rules[1].rate_limit: per_second 1.0E10 is faster than one request"
                + " a nanosecond, the fastest a rate limit can be counted at (the in-memory state store's Bucket4j"
                + " refills at most one token a nanosecond): per_second must be at most 1e9 (1000000000); lower it");
        assertThat(fast.line()).isEqualTo(19);
        load(POLICY.replace("per_second: 5, burst: 10", "per_second: 1000000000, burst: 1000000000000"));
    }

    @Test
    void shouldRejectRuleOnUnconfiguredSignal() {
        PolicyError e = loadError(POLICY.replace("signals: { rate: low }", "signals: { near_dup: low }"));
        assertThat(e.message()).contains("unknown signal 'near_dup'").contains("monitoring.detectors");
        assertThat(e.line()).isEqualTo(36);
    }

    @Test
    void shouldRejectBadDetectorConfig() {
        PolicyError e = loadError(POLICY.replace("low: 10, medium: 20, high: 30", "low: 10, medium: 5, high: 30"));
        assertThat(e.message()).contains("monitoring.detectors.rate").contains("must not decrease");
        assertThat(loadError(POLICY.replace("low: 10, medium", "lo: 10, medium")).message())
                .contains("unknown key(s) [lo]");
    }

    @Test
    void shouldSayAnIntegerBeyondALongIsOutOfRangeNotNoInteger() {
        PolicyError e = loadError(POLICY.replace("medium: 20, high: 30", "medium: 20, high: 99999999999999999999"));
        assertThat(e.message()).isEqualTo("monitoring.detectors.rate: high must be an integer between "
                + "-9223372036854775808 and 9223372036854775807, was 99999999999999999999");
        assertThat(e.line()).isEqualTo(34);
        String rate = "rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }";
        assertThat(loadError(POLICY.replace(rate, rate + "\n    knn_global: { tables: 99999999999999999999 }"))
                .message()).isEqualTo("monitoring.detectors.knn_global: tables must be an integer between "
                        + "-2147483648 and 2147483647, was 99999999999999999999");
    }

    @Test
    void shouldNameAMisspeltDetectorKeyEvenWhenNoLevelIsLeft() {
        // 'hi' for 'high' leaves no level set; the typo is the error to report, not the missing level.
        PolicyError e = loadError(POLICY.replace("rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }",
                "rate: { window_seconds: 60, hi: 5 }"));
        assertThat(e.message()).startsWith("monitoring.detectors.rate: unknown key(s) [hi] for detector 'rate'");
        assertThat(e.line()).isEqualTo(34);
    }

    @Test
    void shouldRejectAPoolThatDoesNotTileTheValidatedShape() {
        String rate = "rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }";
        // shape [4] as 2 rows of 2 fits tiles of 2; as 1 row of 4 it does not, and every request would fail
        assertThat(load(POLICY.replace(rate, rate + "\n    knn: { pool: 2, width: 2, low: 0.3 }")).policy()
                .settings().detectors()).containsKey("knn");
        PolicyError e = loadError(POLICY.replace(rate, rate + "\n    knn: { pool: 2, width: 4, low: 0.3 }"));
        assertThat(e.message()).isEqualTo("monitoring.detectors.knn: pool 2 with width 4 needs an image of whole rows,"
                + " a multiple of 2 of them; the input has 4 features (validation rule 'wide-for-research' takes shape [4])");
    }

    @Test
    void shouldRejectAFeatureSweepNamingAFeatureTheValidationNeverLetsThrough() {
        String tabular = """
                veil: 1
                name: tabular
                authentication: { anonymous: true }
                access: { default: { effect: allow } }
                validation:
                  default:
                    shape: []
                    allow_unknown_features: false
                    features:
                      income: { min: 0, max: 1000000 }
                      age: { min: 18, max: 100 }
                monitoring:
                  detectors:
                    feature_sweep: { SWEEP }
                output: { default: { form: label_only } }
                """;
        assertThat(load(tabular.replace("SWEEP", "sweep: [income], widths: { income: 1000 }, optional: [age]"))
                .policy().settings().detectors()).containsKey("feature_sweep");
        for (String[] bad : new String[][] {{"sweep: [Income]", "sweep names [Income]"},
            {"widths: { incme: 1000 }", "widths names [incme]"}, {"optional: [agee]", "optional names [agee]"}}) {
            PolicyError e = loadError(tabular.replace("SWEEP", bad[0]));
            assertThat(e.message()).isEqualTo("monitoring.detectors.feature_sweep: " + bad[1] + ", not features of "
                    + "the input (the validation lets through only [age, income]): a misspelt name would watch or "
                    + "widen nothing");
        }
        // a feature only another validation rule lists is a feature some requests have
        String twoRules = tabular.replace("monitoring:", """
                  rules:
                    - id: with-zip
                      when: { roles: [mapper] }
                      contract:
                        shape: []
                        allow_unknown_features: false
                        features:
                          income: { min: 0, max: 1000000 }
                          zip: { min: 0, max: 99999 }
                monitoring:""");
        assertThat(load(twoRules.replace("SWEEP", "sweep: [zip]")).policy().settings().detectors())
                .containsKey("feature_sweep");
        assertThat(loadError(twoRules.replace("SWEEP", "sweep: [zipp]")).message()).startsWith(
                "monitoring.detectors.feature_sweep: sweep names [zipp], not features of the input (the validation "
                        + "lets through only [age, income, zip])");
        // a plain vector of a fixed shape: its features are positions (a review: sweep: [income] under
        // shape [3] loaded and watched nothing)
        String plain = tabular.replace("""
                    shape: []
                    allow_unknown_features: false
                    features:
                      income: { min: 0, max: 1000000 }
                      age: { min: 18, max: 100 }
                """, """
                    shape: [3]
                """);
        assertThat(load(plain.replace("SWEEP", "sweep: [\"0\"], widths: { \"2\": 5 }")).policy().settings()
                .detectors()).containsKey("feature_sweep");
        assertThat(loadError(plain.replace("SWEEP", "sweep: [income], widths: { \"7\": 1000 }")).message())
                .isEqualTo("monitoring.detectors.feature_sweep: sweep names [income], not features of the input (the "
                        + "validation lets through only [0, 1, 2]): a misspelt name would watch or widen nothing");
        // where unknown features are accepted, a name the validation does not list may still come
        assertThat(load(tabular.replace("allow_unknown_features: false", "allow_unknown_features: true")
                .replace("SWEEP", "sweep: [Income]")).policy().settings().detectors()).containsKey("feature_sweep");
    }

    @Test
    void shouldRejectNoiseWithoutPrivacyBudget() {
        PolicyError e = loadError(POLICY.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, noise: { mechanism: laplace, epsilon: 0.5 } }"));
        assertThat(e.message()).contains("needs output.privacy");
    }

    @Test
    void shouldAcceptNoiseWithPrivacyBudget() {
        String p = POLICY.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, noise: { mechanism: gaussian, epsilon: 0.5, delta: 0.00001 } }")
                .replace("degraded: { form: label_only }",
                        "degraded: { form: label_only }\n  privacy: { per_caller_epsilon: 10, global_epsilon: 100,"
                                + " period_seconds: 86400, on_exhausted: degrade }");
        CompiledPolicy c = load(p).policy();
        assertThat(c.settings().privacy().perCallerEpsilon()).isEqualTo(10);
        var research = c.output(input(caller("r", "", Map.of(), "research"), 1, List.of(),
                new PredictionSummary("x", 0.5, 0.1, 1, 3)));
        assertThat(research.release().noise().mechanism()).isEqualTo(ReleaseSpec.Noise.Mechanism.GAUSSIAN);
        assertThat(research.release().noise().sensitivity()).isEqualTo(Math.sqrt(2));
    }

    @Test
    void shouldReadDeltaBudgetsAndRejectANoiseNoBudgetCanPay() {
        String p = POLICY.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, noise: { mechanism: gaussian, epsilon: 0.5, delta: 0.00001 } }")
                .replace("degraded: { form: label_only }",
                        "degraded: { form: label_only }\n  privacy: { per_caller_epsilon: 10, global_epsilon: 100,"
                                + " per_caller_delta: 0.0001, global_delta: 0.01 }");
        GuardSettings.PrivacyBudget b = load(p).policy().settings().privacy();
        assertThat(b.perCallerDelta()).isEqualTo(1e-4);
        assertThat(b.globalDelta()).isEqualTo(0.01);
        assertThat(load(POLICY.replace("degraded: { form: label_only }", "degraded: { form: label_only }\n"
                + "  privacy: { per_caller_epsilon: 10 }")).policy().settings().privacy().perCallerDelta())
                .isEqualTo(GuardSettings.PrivacyBudget.DEFAULT_DELTA);

        PolicyError e = loadError(p.replace("per_caller_delta: 0.0001", "per_caller_delta: 0.000001"));
        assertThat(e.message()).isEqualTo("output.rules[0].release.noise: no release with this noise could ever be "
                + "charged: its delta 1.0E-5 exceeds privacy.per_caller_delta 1.0E-6");
        assertThat(loadError(p.replace("per_caller_epsilon: 10", "per_caller_epsilon: 0.4")).message())
                .endsWith("its epsilon 0.5 exceeds privacy.per_caller_epsilon 0.4");
        // equal as doubles, but not as the ledger counts them: the budget rounds down to 0 units of 1e-12
        // and the charge up to 1; such a policy loaded, and the first release was refused (marking the
        // caller spent)
        String tiny = POLICY.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, noise: { mechanism: laplace, epsilon: 1.0e-13 } }")
                .replace("degraded: { form: label_only }",
                        "degraded: { form: label_only }\n  privacy: { per_caller_epsilon: 1.0e-13 }");
        assertThat(loadError(tiny).message()).isEqualTo("output.rules[0].release.noise: no release with this noise"
                + " could ever be charged: its epsilon 1.0E-13 exceeds privacy.per_caller_epsilon 1.0E-13 as the"
                + " privacy ledger counts them, in whole units of 1e-12 (charges rounded up, budgets down): 1 unit(s)"
                + " against 0");
        assertThat(loadError(tiny.replace("epsilon: 1.0e-13 }", "epsilon: 2000000 }")
                .replace("per_caller_epsilon: 1.0e-13", "per_caller_epsilon: 3000000")).message())
                .endsWith("its epsilon 2000000.0 is above 1e6, the largest epsilon the privacy ledger charges (it"
                        + " counts budgets above 1e6 as 1e6)");
    }

    /** POLICY whose research rule releases in full with {@code noise} (a mapping's body), under a privacy budget. */
    private static String researchNoise(String noise) {
        return POLICY.replace("release: { form: full, round: 0.01 }", "release: { form: full, noise: { " + noise + " } }")
                .replace("degraded: { form: label_only }",
                        "degraded: { form: label_only }\n  privacy: { per_caller_epsilon: 10 }");
    }

    /** The 1-based number of the first line of {@code text} that contains {@code part}. */
    private static int lineOf(String text, String part) {
        List<String> lines = text.lines().toList();
        return 1 + lines.indexOf(lines.stream().filter(l -> l.contains(part)).findFirst().orElseThrow());
    }

    /** A noise's bounds (for a regression's value): read, the default sensitivity their width; bad ones at their line. */
    @Test
    void noiseBoundsAreReadAndBadOnesAreLoadErrorsAtTheirLine() {
        String bounded = researchNoise("mechanism: laplace, epsilon: 0.5, bounds: [0, 50000]");
        var research = load(bounded).policy().output(input(caller("r", "", Map.of(), "research"), 1, List.of(),
                new PredictionSummary("", 1200, 0, 0, 0)));
        assertThat(research.release().noise().bounds()).isEqualTo(new ReleaseSpec.Noise.Bounds(0, 50000));
        assertThat(research.release().noise().sensitivity()).isEqualTo(50000);

        for (String[] bad : new String[][] {
                {"bounds: [0, 50000, 9]", "output.rules[0].release.noise.bounds: expected two numbers [lower, upper] (the "
                        + "range a regression's value is clamped to before the noise), was a list of 3"},
                {"bounds: [0, ~]", "output.rules[0].release.noise.bounds[1]: must not be null (nothing after the colon): "
                        + "give a value or leave the key out"},
                {"bounds: [9, 1]", "output.rules[0].release.noise.bounds: noise.bounds must be two finite numbers "
                        + "[lower, upper] with lower < upper and upper - lower finite, was [9.0, 1.0]"},
                {"bounds: [-1.0e308, 1.0e308]", "output.rules[0].release.noise.bounds: noise.bounds must be two "
                        + "finite numbers [lower, upper] with lower < upper and upper - lower finite, was [-1.0E308, "
                        + "1.0E308]"}}) {
            String p = bounded.replace("bounds: [0, 50000]", bad[0]);
            PolicyError e = loadError(p);
            assertThat(e.message()).as(bad[0]).isEqualTo(bad[1]);
            assertThat(e.line()).as("the line of %s", bad[0]).isEqualTo(lineOf(p, bad[0]));
        }
        assertThat(loadError(bounded.replace("bounds: [0, 50000]", "bounds: 7")).message())
                .isEqualTo("output.rules[0].release.noise.bounds: wrong type: expected a list");
    }

    /**
     * A noise whose scale overflows (or underflows to 0) can never be sampled: a load error at the
     * noise's line, not a policy that loads, is charged, and then fails every request.
     */
    @Test
    void shouldRejectANoiseWhoseScaleIsNotAPositiveFiniteNumber() {
        String overflow = researchNoise("mechanism: laplace, epsilon: 1.0e-300, sensitivity: 1.0e10");
        PolicyError laplace = loadError(overflow);
        assertThat(laplace.file()).isEqualTo("policy.veil.yaml");
        assertThat(laplace.line()).as("the noise's line").isEqualTo(lineOf(overflow, "epsilon: 1.0e-300"));
        assertThat(laplace.message()).isEqualTo("output.rules[0].release.noise: the laplace scale sensitivity / epsilon"
                + " = 1.0E10 / 1.0E-300 is Infinity; it must be a positive finite number below 4.0E304 (a sample can"
                + " reach about 694 scales, and the grid's calibration can raise the scale a few times): raise epsilon"
                + " or lower sensitivity");
        PolicyError tiny = loadError(researchNoise("mechanism: laplace, epsilon: 2, sensitivity: 4.9e-324"));
        assertThat(tiny.message()).contains("the laplace scale sensitivity / epsilon = 4.9E-324 / 2.0 is 0.0");
        PolicyError gaussian = loadError(researchNoise(
                "mechanism: gaussian, epsilon: 1.0e-300, delta: 1.0e-6, sensitivity: 1.0e10"));
        assertThat(gaussian.message()).startsWith("output.rules[0].release.noise: the gaussian sigma sensitivity * "
                + "sqrt(2 ln(1.25 / delta)) / epsilon = 1.0E10 * sqrt(2 ln(1.25 / 1.0E-6)) / 1.0E-300 is Infinity");
    }

    /**
     * A rule turns off the default's noise and reverse sigmoid with {@code none}, as {@code round: 0}
     * turns off its rounding; anything else that is not a mapping is refused, and so is {@code none}
     * where there is nothing to turn off.
     */
    @Test
    void aRuleTurnsOffTheDefaultsNoiseAndReverseSigmoidWithNone() {
        String noisy = POLICY.replace("default: { form: top_k, top_k: 3, round: 0.05 }",
                "default: { form: top_k, top_k: 3, round: 0.05, noise: { mechanism: laplace, epsilon: 0.5 },"
                        + " reverse_sigmoid: { beta: 0.5, gamma: 0.2 } }")
                .replace("degraded: { form: label_only }",
                        "degraded: { form: label_only }\n  privacy: { per_caller_epsilon: 10 }")
                // a label_only rule could not take the default's noise without allow_label_change
                .replace("release: { form: label_only }", "release: { form: label_only, noise: none }");
        CompiledPolicy p = load(noisy.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, round: 0.01, noise: none, reverse_sigmoid: none }")).policy();
        PredictionSummary unsure = new PredictionSummary("x", 0.5, 0.1, 1, 3);
        ReleaseSpec research = p.output(input(caller("r", "", Map.of(), "research"), 1, List.of(), unsure)).release();
        assertThat(research.noise()).isNull();
        assertThat(research.reverseSigmoid()).isNull();
        @SuppressWarnings("unchecked")
        Map<String, Object> document = (Map<String, Object>) Documents.output(p.output(input(caller("r", "",
                Map.of(), "research"), 1, List.of(), unsure))).get("release");
        assertThat(document).as("the decision document: what a Rego rule writes for the same release")
                .containsEntry("noise", null).containsEntry("reverse_sigmoid", null);
        ReleaseSpec plain = p.output(input(caller("a", "", Map.of(), "analyst"), 1, List.of(), unsure)).release();
        assertThat(plain.noise()).isNotNull();
        assertThat(plain.reverseSigmoid()).isNotNull();

        PolicyError other = loadError(noisy.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, noise: nothing }"));
        assertThat(other.message()).isEqualTo("output.rules[0].release.noise: expected a mapping (mechanism, epsilon, "
                + "delta, sensitivity, bounds), or none to release without the default's noise, was 'nothing'");
        assertThat(loadError(noisy.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, noise: false }")).message()).isEqualTo("output.rules[0].release.noise: wrong "
                + "type: expected a mapping, or none (in a rule: release without the default's noise)");
        assertThat(loadError(noisy.replace("release: { form: full, round: 0.01 }",
                "release: { form: full, reverse_sigmoid: None }")).message()).isEqualTo("output.rules[0].release"
                + ".reverse_sigmoid: expected a mapping (beta, gamma), or none to release without the default's "
                + "reverse sigmoid, was 'None'");
        PolicyError inDefault = loadError(POLICY.replace("default: { form: top_k, top_k: 3, round: 0.05 }",
                "default: { form: top_k, top_k: 3, round: 0.05, noise: none }"));
        assertThat(inDefault.message()).isEqualTo("output.default.noise: none is for a rule, to turn off the "
                + "default's noise; here leave noise out");
    }

    @Test
    void shouldRejectPolicyNobodyCanPass() {
        PolicyError e = loadError(POLICY.replace("  api_keys: { file: keys.json }\n", "  anonymous: false\n"));
        assertThat(e.message()).contains("authentication").contains("nobody could pass");
    }

    @Test
    void shouldRejectMissingKeyFile() {
        PolicyError e = loadError(POLICY.replace("file: keys.json", "file: nokeys.json"));
        assertThat(e.message()).contains("'nokeys.json' is not in the bundle");
        assertThat(e.line()).isEqualTo(4);
    }

    @Test
    void aKeyFileWrittenAsAPathOfTheFileSystemSaysHowBundlePathsAreWritten() {
        for (String path : List.of("./keys.json", "/keys.json")) {
            assertThat(loadError(POLICY.replace("file: keys.json", "file: " + path)).message()).isEqualTo(
                    "authentication.api_keys.file: file '" + path + "' is not in the bundle; paths are relative to "
                            + "the bundle's root, with / separators and without ./, / or .. (write 'keys.json'); the "
                            + "bundle's files closest to the name: [keys.json, policy.veil.yaml]");
        }
        assertThat(loadError(POLICY.replace("file: keys.json", "file: ../keys.json")).message())
                .contains("without ./, / or ..; the bundle's files closest to the name: [keys.json, ");
        assertThat(loadError(POLICY.replace("file: keys.json", "file: key.json")).message())
                .endsWith("is not in the bundle; paths are relative to the bundle's root, with / separators and "
                        + "without ./, / or ..; the bundle's files closest to the name: [keys.json, "
                        + "policy.veil.yaml]");
    }

    @Test
    void shouldRejectUnsupportedVersion() {
        PolicyError e = loadError(POLICY.replace("veil: 1", "veil: 2"));
        assertThat(e.message()).contains("unsupported format version 2");
        assertThat(e.line()).isEqualTo(1);
    }

    @Test
    void shouldRejectYamlSyntaxError() {
        PolicyError e = loadError(POLICY.replace("name: test-policy", "name: test: policy"));
        assertThat(e.message()).startsWith("YAML syntax error");
        assertThat(e.line()).isEqualTo(2);
    }

    @Test
    void shouldPlaceAYamlSyntaxErrorWhereTheProblemIsAndSayWhatItIs() {
        // a tab where YAML wants spaces, on line 4 (the key file line)
        PolicyError tab = loadError(POLICY.replace("  api_keys: { file: keys.json }", "\tapi_keys: { file: keys.json }"));
        assertThat(tab.line()).isEqualTo(4);
        assertThat(tab.column()).isEqualTo(1);
        assertThat(tab.message()).startsWith("YAML syntax error: found character")
                .contains("for indentation").doesNotContain("\n", "^");
        // a tab inside a nested mapping (Jackson reports it as a mapping error there)
        PolicyError nested = loadError(POLICY.replace("  default: { effect: deny }", "\tdefault: { effect: deny }"));
        assertThat(nested.message()).startsWith("YAML syntax error: found character");
        assertThat(nested.column()).isEqualTo(1);
        assertThat(POLICY.lines().toList().get(nested.line() - 1)).contains("default: { effect: deny }");
        // a key repeated at the top level: reported at the repeat, not at the mapping's start
        PolicyError twice = loadError(POLICY.replace("name: test-policy", "name: test-policy\nname: other"));
        assertThat(twice.line()).isEqualTo(3);
    }

    @Test
    void shouldRejectMissingSections() {
        assertThat(loadError(POLICY.replaceAll("(?s)output:.*?logging:", "logging:")).message())
                .contains("output").contains("output.default");
        assertThat(loadError(POLICY.replace("shape: [4]\n", "")).message())
                .contains("validation.default.shape").contains("is required");
    }

    @Test
    void shouldRejectTwoPolicyFiles() {
        write("other.veil.yaml", POLICY);
        assertThatThrownBy(() -> load(POLICY)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("found 2 policy files");
    }

    @Test
    void shouldRejectEmptyPolicyFile() {
        assertThat(loadError("").message()).contains("empty");
        assertThat(loadError("# only a comment\n\n").message()).contains("empty");
    }

    @Test
    void shouldRejectExplicitNullWithItsLine() {
        PolicyError e = loadError(POLICY.replace("message: \"mallory is banned\"", "message: ~"));
        assertThat(e.line()).isEqualTo(15);
        assertThat(e.message()).contains("access.rules[0].message").contains("must not be null");
        assertThat(loadError(POLICY.replace("name: test-policy", "name:")).message()).contains("name: must not be");
        assertThat(loadError(POLICY.replace("- id: partners", "- ~\n    - id: partners")).message())
                .contains("access.rules[2]").contains("must not be null");
    }

    @Test
    void shouldRejectScalarsOfTheWrongKind() {
        assertThat(loadError(POLICY.replace("effect: allow\n      rate_limit", "effect: 0\n      rate_limit")).message())
                .contains("access.rules[1].effect");
        assertThat(loadError(POLICY.replace("shape: [4]", "shape: [4.5]")).message())
                .contains("validation.default.shape").contains("an integer");
        assertThat(loadError(POLICY.replace("name: test-policy", "name: 42")).message())
                .contains("name").contains("a string");
    }

    @Test
    void shouldRejectSignalsBeforeMonitoringAndDegradedOutsideLogging() {
        assertThat(loadError(POLICY.replace("when: { callers: [mallory] }", "when: { signals: { rate: high } }"))
                .message()).contains("signals are only known from the monitoring stage");
        assertThat(loadError(POLICY.replace("when: { roles: [research] }\n      release",
                "when: { degraded: true }\n      release")).message()).contains("only logging rules can test degraded");
    }

    @Test
    void shouldRejectKeysTheActionDoesNotTake() {
        assertThat(loadError(POLICY.replace("action: alert }", "action: alert, cooldown_seconds: 5 }")).message())
                .contains("only block and throttle take a cool-down");
        assertThat(loadError(POLICY.replace("message: \"mallory is banned\"", "daily_quota: 5")).message())
                .contains("a deny rule takes no rate_limit or daily_quota");
    }

    @Test
    void shouldGiveFullScoresToAFullRuleUnderATopKDefault() {
        CompiledPolicy p = load(POLICY).policy();
        var research = p.output(input(caller("r", "", Map.of(), "research"), 1, List.of(),
                new PredictionSummary("x", 0.5, 0.1, 1, 3)));
        assertThat(research.release().topK()).isZero();
    }

    @Test
    void shouldRejectOutputConditionsOutsideOutput() {
        PolicyError e = loadError(POLICY.replace("when: { callers: [mallory] }", "when: { top_score: { gt: 0.5 } }"));
        assertThat(e.message()).contains("only known in output rules");
    }

    @Test
    void shouldRejectEmptyConditionLists() {
        assertThat(loadError(POLICY.replace("roles: [analyst], authenticated", "roles: [], authenticated")).message())
                .contains("access.rules[1].when.roles").contains("at least one value");
    }

    @Test
    void shouldRejectEmptyAttributesAndEmptyBlocksThatWouldHoldForEveryone() {
        PolicyError e = loadError(POLICY.replace("when: { callers: [mallory] }", "when: { attributes: {} }")
                .replace("effect: deny\n      message: \"mallory is banned\"", "effect: allow"));
        assertThat(e.message()).isEqualTo("access.rules[0].when.attributes: must name at least one attribute "
                + "(attributes: {} would hold for every caller)");
        assertThat(e.line()).isEqualTo(13);
        assertThat(loadError(POLICY.replace("when: { callers: [mallory] }",
                "when: { any: [{ roles: [x] }, {}] }")).message())
                .startsWith("access.rules[0].when.any[1]: must hold at least one condition");
        assertThat(loadError(POLICY.replace("when: { callers: [mallory] }", "when: { not: {} }")).message())
                .startsWith("access.rules[0].when.not: must hold at least one condition");
    }

    @Test
    void shouldRejectPaddedAndBlankNamesInConditions() {
        PolicyError padded = loadError(POLICY.replace("roles: [analyst], authenticated",
                "roles: [analyst, 'intern '], authenticated"));
        assertThat(padded.message()).isEqualTo("access.rules[1].when.roles[1]: has leading or trailing whitespace "
                + "('intern '); it is compared exactly, so it would not be 'intern': remove the whitespace");
        assertThat(padded.file()).isEqualTo("policy.veil.yaml");
        assertThat(padded.line()).isEqualTo(17);
        assertThat(loadError(POLICY.replace("tenants: [partner], attributes", "tenants: ['acme '], attributes"))
                .message()).startsWith("access.rules[2].when.tenants[0]: has leading or trailing whitespace ('acme ')");
        assertThat(loadError(POLICY.replace("roles: [analyst], authenticated", "roles: [''], authenticated"))
                .message()).isEqualTo("access.rules[1].when.roles[0]: is blank; a role is never blank, so it would "
                        + "match no caller: write the name or remove the entry");
        assertThat(loadError(POLICY.replace("roles: [analyst], authenticated", "roles_all: [\"\\u00a0\"], "
                + "authenticated")).message()).startsWith("access.rules[1].when.roles_all[0]: is blank");
        assertThat(loadError(POLICY.replace("callers: [mallory]", "callers: [' mallory']")).message())
                .startsWith("access.rules[0].when.callers[0]: has leading or trailing whitespace");
        assertThat(loadError(POLICY.replace("tier: [gold, silver]", "'tier ': [gold, silver]")).message())
                .startsWith("access.rules[2].when.attributes: attribute name has leading or trailing whitespace");
        assertThat(loadError(POLICY.replace("tier: [gold, silver]", "'': [gold, silver]")).message())
                .startsWith("access.rules[2].when.attributes: attribute name is blank");
        assertThat(loadError(POLICY.replace("tier: [gold, silver]", "tier: [gold, 'silver ']")).message())
                .startsWith("access.rules[2].when.attributes.tier: has leading or trailing whitespace ('silver ')");
        assertThat(loadError(POLICY.replace("tier: [gold, silver]", "tier: \"gold\\t\"")).message())
                .startsWith("access.rules[2].when.attributes.tier: has leading or trailing whitespace");
        // invisible and line-breaking characters: no caller could carry such a name (the key store and
        // tokens refuse them), so the rule could never match
        assertThat(loadError(POLICY.replace("callers: [mallory]", "callers: [\"mal\\u200blory\"]")).message())
                .startsWith("access.rules[0].when.callers[0]: contains an invisible format character (U+200B");
        assertThat(loadError(POLICY.replace("tier: [gold, silver]", "tier: [gold, \"sil\\u2028ver\"]")).message())
                .startsWith("access.rules[2].when.attributes.tier: contains a line or paragraph separator (U+2028");
        // "" is the tenant of callers without one
        CompiledPolicy p = load(POLICY.replace("tenants: [partner], attributes", "tenants: [''], attributes"))
                .policy();
        assertThat(p.access(input(caller("p", "", Map.of("tier", "gold")), 1, List.of(), null)).rule())
                .isEqualTo("partners");
    }

    @Test
    void shouldRejectNamesAndRuleIdsOfUnicodeSpacesAlone() {
        assertThat(loadError(POLICY.replace("name: test-policy", "name: \"\\u00a0\"")).message())
                .isEqualTo("name: must not be blank (white space alone, no-break spaces included): give the policy "
                        + "a name");
        assertThat(loadError(POLICY.replace("- id: banned", "- id: \"\\u2003\"")).message())
                .startsWith("access.rules[0].id: rule ids must be non-blank");
    }

    @Test
    void shouldRejectADetectorTypeThatContradictsABuiltInName() {
        PolicyError e = loadError(POLICY.replace("rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }",
                "rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }\n    knn: { type: rate, high: 3 }"));
        assertThat(e.message()).startsWith("monitoring.detectors.knn: type 'rate' contradicts the entry's name: "
                + "'knn' is the built-in knn detector; to run a rate detector, name the entry rate or another name");
        assertThat(e.line()).isPositive();
    }

    /**
     * A built-in detector's name is a segment of its state keys: with a ':' in it, the global window
     * of detector 'api:c:victim' was the window of caller 'victim:g' under detector 'api', so that
     * everybody's queries counted against that caller (a review's test).
     */
    @Test
    void shouldRejectABuiltInDetectorNameWithAColon() {
        String twoRates = "api: { type: rate, window_seconds: 60, high: 5 }\n"
                + "    'api:c:victim': { type: rate, scope: global, window_seconds: 60, high: 1000 }";
        PolicyError e = loadError(POLICY.replace("rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }",
                "rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }\n    " + twoRates));
        assertThat(e.message()).isEqualTo("monitoring.detectors.api:c:victim: the name 'api:c:victim' has a ':', which "
                + "separates the parts of a built-in detector's state keys (with it two detectors, or two callers of "
                + "one, could share a window or a history); use letters, digits, '_' or '-' (e.g. 'api-c-victim')");
        assertThat(e.line()).isPositive();
        assertThatThrownBy(() -> dev.veil.internal.monitor.BuiltinDetectors.create("knn:user", Map.of("type", "knn")))
                .hasMessageStartingWith("the name 'knn:user' has a ':'");
    }

    @Test
    void shouldSayWhichValueInADetectorErrorIsADefault() {
        assertThat(loadError(POLICY.replace("rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }",
                "rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }\n    knn: { seed: 1, history: 10 }"))
                .message()).isEqualTo("monitoring.detectors.knn: k must be in [1, history (10)], was 20 (the default; "
                        + "set k to change it)");
        assertThat(loadError(POLICY.replace("rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }",
                "rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }\n    antithetic: { seed: 1, history: 6 }"))
                .message()).isEqualTo("monitoring.detectors.antithetic: min_changed is 8 (the default; set min_changed "
                        + "to change it) but the input has 4 features: no pair could ever be scored (validation "
                        + "rule 'wide-for-research' takes shape [4])");
    }
}
