package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.spi.Bundle;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuiltinDetectorsTest {
    @Test
    void shouldKnowTheSimilarityDetectors() {
        assertThat(BuiltinDetectors.TYPES).contains("rate", "near_duplicate", "knn", "knn_global");
        assertThat(BuiltinDetectors.create("near_duplicate", Map.of())).isInstanceOf(NearDuplicateDetector.class);
        assertThat(BuiltinDetectors.create("knn", Map.of())).isInstanceOf(KnnDetector.class);
        assertThat(BuiltinDetectors.create("knn_global", Map.of())).isInstanceOf(KnnGlobalDetector.class);
    }

    @Test
    void shouldRunTwoOfATypeUnderOtherNames() {
        StatefulDetector own = BuiltinDetectors.create("own_near_duplicates", Map.of("type", "near_duplicate",
                "index", "caller"));
        assertThat(own.name()).isEqualTo("own_near_duplicates");
        assertThat(((NearDuplicateDetector) own).config().index()).isEqualTo(NearDuplicateDetector.Index.CALLER);
        StatefulDetector wide = BuiltinDetectors.create("wide_knn", Map.of("type", "knn", "k", 10));
        assertThat(((KnnDetector) wide).config().k()).isEqualTo(10);
        assertThat(BuiltinDetectors.typeOf("wide_knn", Map.of("type", "knn"))).isEqualTo("knn");
        assertThat(BuiltinDetectors.typeOf("knn_global", Map.of())).isEqualTo("knn_global");
        assertThat(BuiltinDetectors.typeOf("my_detector", Map.of())).isNull();
    }

    @Test
    void shouldRefuseAnUnknownTypeOrABadConfiguration() {
        assertThatThrownBy(() -> BuiltinDetectors.typeOf("x", Map.of("type", "blacklight")))
                .hasMessage("type 'blacklight' is not a built-in detector (built-in: [antithetic, boundary, "
                        + "class_focus, confidence_climb, extraction, feature_sweep, knn, knn_global, near_duplicate, rate, smooth])");
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("k", 0)))
                .hasMessage("k must be in [1, history (100, the default)], was 0");
    }

    /** {@code knn: {type: rate}} ran a rate detector named knn; a built-in type's name is that type. */
    @Test
    void shouldRefuseATypeThatContradictsABuiltInName() {
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("type", "rate", "high", 3)))
                .hasMessage("type 'rate' contradicts the entry's name: 'knn' is the built-in knn detector; to run a "
                        + "rate detector, name the entry rate or another name that is not a built-in type (e.g. "
                        + "rate-knn: {type: rate, ...}); for a knn detector, write type: knn or leave type out");
        assertThatThrownBy(() -> BuiltinDetectors.typeOf("rate", Map.of("type", "knn")))
                .hasMessageStartingWith("type 'knn' contradicts the entry's name: 'rate' is the built-in rate detector");
        assertThatThrownBy(() -> BuiltinDetectors.create("near_duplicate", Map.of("type", "knn")))
                .hasMessageStartingWith("type 'knn' contradicts the entry's name");
        assertThat(BuiltinDetectors.typeOf("knn", Map.of("type", "knn"))).isEqualTo("knn");
        assertThat(BuiltinDetectors.typeOf("busy", Map.of("type", "rate"))).isEqualTo("rate");
    }

    /** A value the user never wrote is named as the default, with the key that changes it. */
    @Test
    void shouldSayWhenAValueInAnErrorIsTheDefault() {
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("seed", 1, "history", 10)))
                .hasMessage("k must be in [1, history (10)], was 20 (the default; set k to change it)");
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("k", 200)))
                .hasMessage("k must be in [1, history (100, the default)], was 200");
        assertThatThrownBy(() -> BuiltinDetectors.validate("antithetic", Map.of("history", 4)))
                .hasMessage("matches must be in [1, history / 2 - 1 (1)], was 2 (the default; set matches to change "
                        + "it)");
        assertThatThrownBy(() -> BuiltinDetectors.validate("boundary", Map.of("min_queries", 1000)))
                .hasMessage("min_queries must be an integer in [1, window (20, the default)], was 1000");
        assertThatThrownBy(() -> BuiltinDetectors.validate("class_focus", Map.of("min_queries", 1000)))
                .hasMessage("min_queries must be an integer in [1, window (50, the default)], was 1000");
        assertThatThrownBy(() -> BuiltinDetectors.validate("confidence_climb", Map.of("min_points", 256)))
                .hasMessage("min_points must be an integer in [4, window (48, the default)], was 256");
        assertThatThrownBy(() -> BuiltinDetectors.validate("extraction", Map.of("max_distances", 50)))
                .hasMessage("max_distances must be an integer in [min_distances (100, the default), 5000], was 50");
        assertThatThrownBy(() -> BuiltinDetectors.validate("antithetic", Map.of("gap", 5)))
                .hasMessage("gap must be in [1, 4] (at most 8 and history (6, the default) - 2), was 5");
        assertThatThrownBy(() -> BuiltinDetectors.validate("boundary", Map.of("window", 5, "min_queries", 6)))
                .as("written values are not defaults")
                .hasMessage("min_queries must be an integer in [1, window (5)], was 6");
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("k", 200, "history", 100)))
                .as("written values are not defaults").hasMessage("k must be in [1, history (100)], was 200");
    }

    /** veil calibrate writes thresholds: a data path, which every built-in detector takes. */
    @Test
    void shouldListThresholdsAmongTheKnownKeys() {
        for (String type : BuiltinDetectors.TYPES) {
            assertThatThrownBy(() -> BuiltinDetectors.validate(type, Map.of("seed", 12345, "threshold", 0.1)))
                    .as(type).hasMessageContaining("for detector '" + type + "' (known keys: [")
                    .hasMessageContaining(", thresholds");
        }
    }

    /**
     * A misspelt key is reported as such, before the values are checked: otherwise {@code hi}
     * instead of {@code high} reads as "no level set", and a typo beside a bad value hides behind
     * that value's error.
     */
    @Test
    void shouldReportUnknownKeysBeforeCheckingValues() {
        // type -> a configuration whose only mistake, apart from the typo, is what the typo left out
        Map<String, Map<String, Object>> typoOnly = Map.ofEntries(
                Map.entry("rate", Map.of("window_seconds", 60, "hi", 5)),
                Map.entry("near_duplicate", Map.of("low", 0, "medium", 0, "high", 0, "hgih", 3)),
                Map.entry("knn", Map.of("low", 0, "medium", 0, "high", 0, "hi", 0.1)),
                Map.entry("knn_global", Map.of("low", 0, "medium", 0, "high", 0, "hi", 10)),
                Map.entry("boundary", Map.of("low", 0, "medium", 0, "high", 0, "hi", 0.5)),
                Map.entry("class_focus", Map.of("low", 0, "medium", 0, "high", 0, "hi", 0.9)),
                Map.entry("confidence_climb", Map.of("low", 0, "medium", 0, "high", 0, "hi", 3)),
                Map.entry("extraction", Map.of("low", 0, "medium", 0, "delta", 0, "dleta", 0.9)),
                Map.entry("antithetic", Map.of("low", 0, "medium", 0, "high", 0, "hi", 0.3)),
                Map.entry("smooth", Map.of("low", 0, "medium", 0, "high", 0, "hi", 0.3)),
                Map.entry("feature_sweep", Map.of("low", 0, "medium", 0, "high", 0, "hi", 3)));
        assertThat(typoOnly.keySet()).isEqualTo(BuiltinDetectors.TYPES);
        typoOnly.forEach((type, config) -> {
            String typo = config.keySet().stream().filter(k -> k.matches("hi|hgih|dleta")).findFirst().orElseThrow();
            assertThatThrownBy(() -> BuiltinDetectors.validate(type, config)).as(type)
                    .hasMessageStartingWith("unknown key(s) [" + typo + "] for detector '" + type + "' (known keys: ");
        });
    }

    @Test
    void shouldReportUnknownKeysBeforeAnOutOfRangeValue() {
        assertThatThrownBy(() -> BuiltinDetectors.validate("rate", Map.of("window_seconds", 0, "hi", 5)))
                .hasMessageStartingWith("unknown key(s) [hi] for detector 'rate'");
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("k", 0, "neighbors", 5)))
                .hasMessageStartingWith("unknown key(s) [neighbors] for detector 'knn'");
        assertThatThrownBy(() -> BuiltinDetectors.validate("boundary", Map.of("margin", 2, "windw", 5)))
                .hasMessageStartingWith("unknown key(s) [windw] for detector 'boundary'");
        assertThatThrownBy(() -> BuiltinDetectors.validate("near_duplicate", Map.of("index", "everything",
                "keep", 8, "kepe", 8))).hasMessageStartingWith("unknown key(s) [kepe] for detector 'near_duplicate'");
        assertThatThrownBy(() -> BuiltinDetectors.validate("extraction", Map.of("test_every", "often",
                "min_distance", 50))).hasMessageStartingWith("unknown key(s) [min_distance] for detector 'extraction'");
        assertThatThrownBy(() -> BuiltinDetectors.validate("busy", Map.of("type", "knn", "scope", "caller")))
                .as("the type decides which keys are known")
                .hasMessageStartingWith("unknown key(s) [scope] for detector 'knn'");
    }

    /** Every detector with a scope reads it the same way: caller, tenant or global, in any letter case. */
    @Test
    void shouldReadTheScopeOfEveryScopedDetectorAlike() {
        for (String type : List.of("rate", "antithetic", "smooth")) {
            Map<String, Object> high = type.equals("rate") ? Map.of("high", 10) : Map.of();
            for (String scope : List.of("caller", "tenant", "global", "Tenant", "GLOBAL")) {
                Map<String, Object> config = new java.util.HashMap<>(high);
                config.put("scope", scope);
                BuiltinDetectors.validate(type, config);
            }
            for (String scope : List.of("account", "", "tenants")) {
                Map<String, Object> config = new java.util.HashMap<>(high);
                config.put("scope", scope);
                assertThatThrownBy(() -> BuiltinDetectors.validate(type, config)).as("%s, scope '%s'", type, scope)
                        .hasMessage("scope must be caller, tenant or global, was '" + scope + "'");
            }
        }
    }

    /**
     * The state keys of each scope, one mechanism for the three detectors ({@code Scope.prefix} and
     * {@code key}): a caller's, a tenant's and everybody's never coincide, a tenant named like a
     * caller's state key or a caller without a tenant included, and the rate and antithetic keys
     * are the ones stores already hold.
     */
    @Test
    void shouldKeyEachScopesStreamApart() {
        dev.veil.Caller alice = new dev.veil.Caller("alice", dev.veil.AuthMethod.API_KEY, Set.of(), "acme", Map.of());
        dev.veil.Caller loner = new dev.veil.Caller("acme", dev.veil.AuthMethod.API_KEY, Set.of(), "", Map.of());
        double[] image = new double[784];
        java.util.Arrays.fill(image, 0.5); // constant: smooth, so both of smooth's counters are keyed
        Map<String, List<String>> keys = new java.util.TreeMap<>();
        for (String type : List.of("rate", "antithetic", "smooth")) {
            for (String scope : List.of("caller", "tenant", "global")) {
                Map<String, Object> config = new java.util.HashMap<>(type.equals("rate") ? Map.of("high", 10) : Map.of());
                config.put("scope", scope);
                StatefulDetector d = BuiltinDetectors.create(type, config);
                for (dev.veil.Caller c : List.of(alice, loner)) {
                    List<dev.veil.spi.StateOp> ops = new java.util.ArrayList<>();
                    d.plan(new dev.veil.spi.Query(c, 1_000, dev.veil.Features.of(image)), ops);
                    keys.put(type + "/" + scope + "/" + c.id(), ops.stream().map(op -> op instanceof
                            dev.veil.spi.StateOp.CountInWindow w ? w.key() : op instanceof
                            dev.veil.spi.StateOp.CountNewInWindow n ? n.key()
                            : ((dev.veil.spi.StateOp.ListAppend) op).key()).toList());
                }
            }
        }
        assertThat(keys.get("rate/caller/alice")).containsExactly("rate:rate:c:"
                + dev.veil.internal.state.StateKeys.of(alice));
        assertThat(keys.get("rate/tenant/alice")).containsExactly("rate:rate:t:acme");
        assertThat(keys.get("rate/global/alice")).containsExactly("rate:rate:g");
        assertThat(keys.get("antithetic/caller/acme")).containsExactly("antithetic:antithetic:c:acme");
        assertThat(keys.get("antithetic/tenant/acme")).containsExactly("antithetic:antithetic:t:");
        assertThat(keys.get("smooth/tenant/alice")).containsExactly("smooth:smooth:a:t:acme", "smooth:smooth:s:t:acme");
        // no key of one (detector, scope, caller) is the key of another, except the one stream a
        // tenant or everybody shares
        Map<String, String> owner = new java.util.HashMap<>();
        keys.forEach((who, list) -> list.forEach(k -> {
            String stream = who.endsWith("/alice") && who.contains("/tenant/") ? who.replace("/alice", "/acme-tenant")
                    : who.contains("/global/") ? who.substring(0, who.lastIndexOf('/')) : who;
            String before = owner.putIfAbsent(k, stream);
            assertThat(before == null || before.equals(stream)).as("%s is %s's and %s's", k, before, stream).isTrue();
        }));
    }

    @Test
    void shouldReportUnknownKeysBeforeLookingUpAThresholdsDataPath() {
        Bundle empty = new Bundle() {
            @Override public String source() { return "test"; }
            @Override public String revision() { return ""; }
            @Override public List<String> roots() { return List.of(""); }
            @Override public Set<String> files() { return Set.of(); }
            @Override public byte[] read(String path) { throw new IllegalArgumentException(path); }
            @Override public Map<String, Object> data() { return Map.of(); }
        };
        assertThatThrownBy(() -> BuiltinDetectors.validate("boundary",
                Map.of("thresholds", "monitoring.thresholds.boundary", "windw", 5), empty))
                .hasMessage("unknown key(s) [windw] for detector 'boundary' (known keys: [high, low, margin, "
                        + "medium, min_queries, thresholds, ttl_seconds, type, window])");
    }

    @Test
    void everyKeyADetectorReadsIsDeclared() {
        // DetectorConfig refuses to read an undeclared key (IllegalStateException); reading a
        // configuration of every type reaches every key it reads (rate then finds no level set).
        for (String type : BuiltinDetectors.TYPES) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                    () -> BuiltinDetectors.create("d", Map.of("type", type)));
            assertThat(t instanceof IllegalStateException).as(type + ": " + t).isFalse();
        }
    }
}
