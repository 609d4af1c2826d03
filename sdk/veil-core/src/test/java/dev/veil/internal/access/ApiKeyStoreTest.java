package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeyStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String FILE = "auth/keys.json";

    private final TestClock clock = TestClock.at("2026-06-01T12:00:00Z");

    private static ApiKeyStore.IssuedKey issue(String caller) {
        return ApiKeyStore.issue(caller, List.of("analyst"), "acme", Map.of("team", "x"), null, RANDOM);
    }

    /** A blank caller of line breaks and separators was quoted raw in the exception's message. */
    @Test
    void aBlankCallerIsQuotedWithoutItsLineBreaks() {
        assertThatThrownBy(() -> issue("\n\u2028\u001f"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caller must be a non-blank string, was '???'");
    }

    private ApiKeyStore storeOf(List<Map<String, Object>> entries) throws Exception {
        byte[] json = JSON.writeValueAsBytes(Map.of("keys", entries));
        return ApiKeyStore.parse(json, FILE, clock);
    }

    private ApiKeyStore storeOf(Map<String, Object> entry) throws Exception {
        return storeOf(List.of(entry));
    }

    private static Map<String, Object> with(Map<String, Object> entry, String field, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(entry);
        if (value == null) {
            copy.remove(field);
        } else {
            copy.put(field, value);
        }
        return copy;
    }

    private static String failureMessage(AuthResult r) {
        assertThat(r).isInstanceOf(AuthResult.Failure.class);
        return ((AuthResult.Failure) r).message();
    }

    private PolicyLoadException loadError(String json) {
        try {
            ApiKeyStore.parse(json.getBytes(StandardCharsets.UTF_8), FILE, clock);
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).allSatisfy(err -> assertThat(err.file()).isEqualTo(FILE));
            return e;
        }
        throw new AssertionError("expected a PolicyLoadException for " + json);
    }

    private PolicyLoadException loadError(Map<String, Object> entry) throws Exception {
        return loadError(JSON.writeValueAsString(Map.of("keys", List.of(entry))));
    }

    // ---- authentication ----

    @Test
    void shouldAuthenticateIssuedKeyAsItsCaller() throws Exception {
        var issued = issue("alice");
        AuthResult r = storeOf(issued.entry()).authenticate(issued.plaintext());
        assertThat(r).isEqualTo(AuthResult.success(
                new Caller("alice", AuthMethod.API_KEY, Set.of("analyst"), "acme", Map.of("team", "x"))));
        assertThat(r.succeeded()).isTrue();
    }

    @Test
    void shouldIssueKeysInTheDocumentedFormat() {
        var issued = issue("alice");
        assertThat(issued.plaintext()).matches("veil_[a-z0-9]{8}_[A-Za-z0-9_-]{43}");
        assertThat(issued.plaintext()).startsWith("veil_" + issued.id() + "_");
        assertThat(issued.entry()).containsKeys("id", "caller", "salt", "hash", "roles", "tenant", "attributes");
        assertThat(issued.entry()).doesNotContainKey("expires_at");
        assertThat(issued.entry().toString()).doesNotContain(issued.plaintext().substring(14));
        assertThat(issued.toString()).doesNotContain(issued.plaintext()).contains("***");
    }

    @Test
    void shouldRejectMalformedKeys() throws Exception {
        var issued = issue("alice");
        ApiKeyStore store = storeOf(issued.entry());
        String good = issued.plaintext();
        List<String> malformed = List.of(
                "",
                "veil_",
                good.substring(0, good.length() - 1),
                good + "A",
                "VEIL_" + good.substring(5),
                "veil_ABCDEFGH_" + good.substring(14),
                good.substring(0, 13) + "-" + good.substring(14),
                good.substring(0, 20) + "=" + good.substring(21),
                good.substring(0, 20) + " " + good.substring(21),
                good.substring(0, 20) + "é" + good.substring(21));
        for (String key : malformed) {
            assertThat(failureMessage(store.authenticate(key))).as(key).isEqualTo(ApiKeyStore.MALFORMED);
        }
    }

    @Test
    void shouldNameSurroundingWhitespaceInsteadOfTheFormat() throws Exception {
        var issued = issue("alice");
        ApiKeyStore store = storeOf(issued.entry());
        String good = issued.plaintext();
        for (String key : List.of(good + "\n", good + "\r\n", " " + good, "\t" + good + " ", good + "\u00a0")) {
            assertThat(failureMessage(store.authenticate(key))).as(key)
                    .isEqualTo("the API key has surrounding whitespace (a trailing newline from a file?): strip it");
        }
        assertThat(store.authenticate(good).succeeded()).isTrue();
    }

    @Test
    void shouldRejectUnknownKeyId() throws Exception {
        var issued = issue("alice");
        var other = issue("bob");
        ApiKeyStore store = storeOf(issued.entry());
        assertThat(failureMessage(store.authenticate(other.plaintext())))
                .isEqualTo("API key '" + other.id() + "' is unknown or its secret is wrong; check the key you were given, "
                        + "or ask its issuer for a new one");
    }

    @Test
    void shouldRejectWrongSecret() throws Exception {
        var issued = issue("alice");
        var other = issue("alice");
        String forged = "veil_" + issued.id() + "_" + other.plaintext().substring(14);
        String msg = failureMessage(storeOf(issued.entry()).authenticate(forged));
        assertThat(msg).isEqualTo("API key '" + issued.id() + "' is unknown or its secret is wrong; check the key "
                + "you were given, or ask its issuer for a new one");
        assertThat(msg).doesNotContain(other.plaintext().substring(14));
    }

    @Test
    void shouldRejectDisabledKey() throws Exception {
        var issued = issue("alice");
        ApiKeyStore store = storeOf(with(issued.entry(), "disabled", true));
        for (int i = 0; i < 3; i++) { // also once the store recognises the secret without its SHA-256
            assertThat(failureMessage(store.authenticate(issued.plaintext())))
                    .isEqualTo("API key '" + issued.id() + "' is disabled; ask its issuer for a new one");
        }
    }

    @Test
    void answersEveryRequestRightWhileThreadsRaceToRememberASecret() throws Exception {
        var alice = issue("alice");
        var bob = issue("bob");
        ApiKeyStore store = storeOf(List.of(alice.entry(), bob.entry()));
        String bobsSecretOnAlicesId = "veil_" + alice.id() + "_" + bob.plaintext().substring(14);
        String unknownId = "veil_zzzz9999_" + alice.plaintext().substring(14);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Integer>> wrong = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                wrong.add(pool.submit(() -> {
                    int errors = 0;
                    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
                    for (int i = 0; i < 3_000; i++) {
                        switch (r.nextInt(4)) {
                            case 0 -> errors += store.authenticate(alice.plaintext()).succeeded() ? 0 : 1;
                            case 1 -> errors += store.authenticate(bob.plaintext()).succeeded() ? 0 : 1;
                            case 2 -> errors += store.authenticate(bobsSecretOnAlicesId).succeeded() ? 1 : 0;
                            default -> errors += store.authenticate(unknownId).succeeded() ? 1 : 0;
                        }
                    }
                    return errors;
                }));
            }
            for (var f : wrong) {
                assertThat(f.get()).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldAnswerTheSameForASecretItHasCheckedBefore() throws Exception {
        var alice = issue("alice");
        var bob = issue("bob");
        ApiKeyStore store = storeOf(List.of(alice.entry(), bob.entry()));
        String bobsSecretOnAlicesId = "veil_" + alice.id() + "_" + bob.plaintext().substring(14);
        for (int i = 0; i < 3; i++) {
            assertThat(store.authenticate(alice.plaintext()).succeeded()).isTrue();
            assertThat(store.authenticate(bob.plaintext()).succeeded()).isTrue();
            assertThat(failureMessage(store.authenticate(bobsSecretOnAlicesId)))
                    .isEqualTo("API key '" + alice.id() + "' is unknown or its secret is wrong; check the key you were given, "
                        + "or ask its issuer for a new one");
        }
        // Another store of the same keys draws its own SipHash key and has checked nothing yet.
        ApiKeyStore fresh = storeOf(List.of(alice.entry(), bob.entry()));
        assertThat(fresh.authenticate(bobsSecretOnAlicesId).succeeded()).isFalse();
        assertThat(fresh.authenticate(alice.plaintext()).succeeded()).isTrue();
    }

    @Test
    void shouldRejectExpiredKeyFromItsExpiryOn() throws Exception {
        Instant expiry = Instant.parse("2026-06-01T12:00:10Z");
        var issued = ApiKeyStore.issue("alice", List.of(), "", Map.of(), expiry, RANDOM);
        assertThat(issued.entry()).containsEntry("expires_at", "2026-06-01T12:00:10Z");
        ApiKeyStore store = storeOf(issued.entry());
        assertThat(store.authenticate(issued.plaintext()).succeeded()).isTrue();
        clock.advance(Duration.ofSeconds(10));
        assertThat(failureMessage(store.authenticate(issued.plaintext())))
                .isEqualTo("API key '" + issued.id() + "' expired at 2026-06-01T12:00:10Z; ask its issuer for a new one");
    }

    @Test
    void shouldNotRevealDisabledOrExpiredStateWithoutTheSecret() throws Exception {
        var issued = issue("alice");
        var other = issue("alice");
        ApiKeyStore store = storeOf(with(with(issued.entry(), "disabled", true), "expires_at", "2020-01-01T00:00:00Z"));
        String forged = "veil_" + issued.id() + "_" + other.plaintext().substring(14);
        assertThat(failureMessage(store.authenticate(forged))).endsWith("is unknown or its secret is wrong; check the key you were given, or ask its issuer for a new one");
    }

    @Test
    void shouldAuthenticateEachOfSeveralKeysOfOneCaller() throws Exception {
        var k1 = issue("alice");
        var k2 = issue("alice");
        ApiKeyStore store = storeOf(List.of(k1.entry(), k2.entry()));
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.containsId(k1.id())).isTrue();
        assertThat(store.authenticate(k1.plaintext()).succeeded()).isTrue();
        assertThat(store.authenticate(k2.plaintext()).succeeded()).isTrue();
    }

    @Test
    void shouldLoadFromBundleDataValues() {
        var issued = issue("carol");
        Map<String, Object> value = Map.of("keys", List.of(issued.entry()));
        ApiKeyStore store = ApiKeyStore.fromData(value, "veil.keys", clock);
        assertThat(store.source()).isEqualTo("data.veil.keys");
        assertThat(store.authenticate(issued.plaintext()).succeeded()).isTrue();
    }

    @Test
    void shouldRejectMissingDataPath() {
        assertThatThrownBy(() -> ApiKeyStore.fromData(null, "veil.keys", clock))
                .isInstanceOf(PolicyLoadException.class)
                .satisfies(e -> assertThat(((PolicyLoadException) e).errors().get(0).file())
                        .isEqualTo("data.veil.keys"))
                .hasMessageContaining("no value at this path");
    }

    @Test
    void shouldNameTheDataPathInDataErrors() {
        var issued = issue("carol");
        Map<String, Object> value = Map.of("keys", List.of(with(issued.entry(), "hash", "AAAA")));
        assertThatThrownBy(() -> ApiKeyStore.fromData(value, "veil.keys", clock))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("data.veil.keys: keys[0].hash: must be a SHA-256 hash (32 bytes), was 3 bytes");
    }

    // ---- strict parsing ----

    @Test
    void shouldRejectInvalidJsonWithLineAndColumn() {
        PolicyError e = loadError("{\"keys\": [\n  {\"id\": }\n]}").errors().get(0);
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isPositive();
        assertThat(e.message()).startsWith("invalid JSON");
    }

    @Test
    void shouldRejectDuplicateJsonMembers() {
        assertThat(loadError("{\"keys\": [], \"keys\": []}").getMessage()).contains("invalid JSON").contains("keys");
    }

    @Test
    void shouldRejectTrailingContent() {
        assertThat(loadError("{\"keys\": []} {}").getMessage()).contains("invalid JSON");
    }

    @Test
    void shouldRejectNonObjectRoot() {
        assertThat(loadError("[]").getMessage()).contains("must be an object {\"keys\": [...]}, was a list");
    }

    @Test
    void shouldRejectMissingKeysField() {
        assertThat(loadError("{}").getMessage()).contains("missing field 'keys'");
    }

    @Test
    void shouldRejectKeysThatIsNotAList() {
        assertThat(loadError("{\"keys\": {}}").getMessage()).contains("'keys' must be a list, was an object");
    }

    @Test
    void shouldRejectUnknownTopLevelField() {
        assertThat(loadError("{\"keys\": [], \"version\": 1}").getMessage())
                .contains("unknown field 'version' at top level");
    }

    @Test
    void shouldRejectEntryThatIsNotAnObject() {
        assertThat(loadError("{\"keys\": [\"veil_x\"]}").getMessage())
                .contains("keys[0]: must be an object, was a string");
    }

    @Test
    void shouldRejectUnknownEntryField() throws Exception {
        assertThat(loadError(with(issue("a").entry(), "secret", "oops")).getMessage())
                .contains("keys[0]: unknown field 'secret'; allowed: "
                        + "[attributes, caller, disabled, expires_at, hash, id, roles, salt, tenant]");
    }

    @Test
    void shouldRejectMissingRequiredFields() throws Exception {
        Map<String, Object> entry = issue("a").entry();
        for (String field : List.of("id", "caller", "salt", "hash")) {
            assertThat(loadError(with(entry, field, null)).getMessage())
                    .contains("keys[0]: missing required field '" + field + "'");
        }
    }

    @Test
    void shouldRejectBadKeyId() throws Exception {
        assertThat(loadError(with(issue("a").entry(), "id", "ABC")).getMessage())
                .contains("keys[0].id: must be 8 characters of a-z and 0-9, was 'ABC'");
    }

    @Test
    void shouldRejectDuplicateKeyIds() throws Exception {
        var a = issue("a");
        var b = with(issue("b").entry(), "id", a.id());
        PolicyLoadException e = loadError(JSON.writeValueAsString(Map.of("keys", List.of(a.entry(), b))));
        assertThat(e.getMessage()).contains("keys[1]: duplicate key id '" + a.id() + "'");
    }

    @Test
    void shouldRejectBlankCaller() throws Exception {
        assertThat(loadError(with(issue("a").entry(), "caller", " ")).getMessage())
                .contains("keys[0].caller: must not be blank");
    }

    @Test
    void shouldRejectSurroundingWhitespaceAndControlCharactersInCallerRolesAndTenant() throws Exception {
        Map<String, Object> entry = issue("a").entry();
        // compared exactly: "alice " would be a second caller (own rate bucket and quota), "analyst " a role no rule names
        assertThat(loadError(with(entry, "caller", "alice ")).getMessage()).contains("keys[0].caller: has leading or"
                + " trailing whitespace ('alice '); it is compared exactly, so it would not be 'alice': remove the"
                + " whitespace");
        assertThat(loadError(with(entry, "caller", "\u00a0alice")).getMessage())
                .contains("keys[0].caller: has leading or trailing whitespace");
        assertThat(loadError(with(entry, "roles", List.of("ops", "analyst "))).getMessage())
                .contains("keys[0].roles[1]: has leading or trailing whitespace ('analyst ')");
        assertThat(loadError(with(entry, "tenant", " acme")).getMessage())
                .contains("keys[0].tenant: has leading or trailing whitespace (' acme')");
        assertThat(loadError(with(entry, "tenant", " ")).getMessage())
                .contains("keys[0].tenant: has leading or trailing whitespace");
        assertThat(loadError(with(entry, "caller", "ali\u0000ce")).getMessage())
                .contains("keys[0].caller: contains a control character (U+0000 at position 3, 'ali?ce'): remove it");
        assertThat(storeOf(with(entry, "caller", "alice smith")).size()).as("inner spaces are allowed").isOne();
        assertThatThrownBy(() -> ApiKeyStore.issue("alice ", List.of(), "", Map.of(), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("caller has leading or trailing whitespace ('alice ')");
        assertThatThrownBy(() -> ApiKeyStore.issue("a", List.of("analyst\n"), "", Map.of(), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("role has leading or trailing whitespace ('analyst?')");
        assertThatThrownBy(() -> ApiKeyStore.issue("a", List.of(), "acme ", Map.of(), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tenant has leading or trailing whitespace ('acme ')");
    }

    /** "al<U+200B>ice" would be a caller of its own that reads as alice in every record and message. */
    @Test
    void shouldRejectFormatCharactersAndLineSeparatorsInNames() throws Exception {
        assertThat(ApiKeyStore.nameProblem("al\u200bice")).isEqualTo("contains an invisible format character (U+200B at"
                + " position 2, 'al?ice'): it would be a name of its own that reads as another; remove it");
        assertThat(ApiKeyStore.nameProblem("admin\u202e")).startsWith("contains an invisible format character (U+202E");
        assertThat(ApiKeyStore.nameProblem("ali\u00adce")).startsWith("contains an invisible format character (U+00AD");
        assertThat(ApiKeyStore.nameProblem("\ufeffalice")).startsWith("contains an invisible format character (U+FEFF");
        // outside the basic plane too: U+E0041 TAG LATIN CAPITAL LETTER A, a surrogate pair
        assertThat(ApiKeyStore.nameProblem("alice\udb40\udc41x")).startsWith("contains an invisible format character"
                + " (U+E0041 at position 5");
        assertThat(ApiKeyStore.nameProblem("ac\u2028me")).isEqualTo("contains a line or paragraph separator (U+2028 at"
                + " position 2, 'ac?me'): remove it");
        assertThat(ApiKeyStore.nameProblem("ac\u2029me")).startsWith("contains a line or paragraph separator (U+2029");
        assertThat(ApiKeyStore.nameProblem("al\u0085ice")).startsWith("contains a control character (U+0085");
        assertThat(ApiKeyStore.nameProblem("X\ud800")).startsWith("contains a lone UTF-16 surrogate (U+D800 at position 1");
        for (String fine : List.of("alice", "alice smith", "zoë", "ŝ-team", "東京", "alice\ud83d\ude00", "")) {
            assertThat(ApiKeyStore.nameProblem(fine)).as(fine).isNull();
        }
        Map<String, Object> entry = issue("a").entry();
        assertThat(loadError(with(entry, "caller", "al\u200bice")).getMessage())
                .contains("keys[0].caller: contains an invisible format character (U+200B at position 2");
        assertThat(loadError(with(entry, "tenant", "ac\u2028me")).getMessage())
                .contains("keys[0].tenant: contains a line or paragraph separator (U+2028 at position 2");
        assertThat(loadError(with(entry, "roles", List.of("ad\u202emin"))).getMessage())
                .contains("keys[0].roles[0]: contains an invisible format character (U+202E");
        assertThatThrownBy(() -> ApiKeyStore.issue("al\u200bice", List.of(), "", Map.of(), null, RANDOM))
                .hasMessageStartingWith("caller contains an invisible format character (U+200B");
    }

    @Test
    void shouldRejectTheAnonymousCallersName() throws Exception {
        // it would share the rate limits, quotas and rules of requests without credentials
        assertThat(loadError(with(issue("a").entry(), "caller", "anonymous")).getMessage())
                .contains("keys[0].caller: 'anonymous' is reserved for requests without credentials");
        assertThatThrownBy(() -> ApiKeyStore.issue("anonymous", List.of(), "", Map.of(), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caller 'anonymous' is reserved for requests without credentials");
    }

    @Test
    void shouldRejectBadBase64() throws Exception {
        assertThat(loadError(with(issue("a").entry(), "salt", "not base64!")).getMessage())
                .contains("keys[0].salt: not valid base64");
        assertThat(loadError(with(issue("a").entry(), "hash", "@@@@")).getMessage())
                .contains("keys[0].hash: not valid base64");
    }

    @Test
    void shouldRejectShortSalt() throws Exception {
        assertThat(loadError(with(issue("a").entry(), "salt", "AAAA")).getMessage())
                .contains("keys[0].salt: must be at least 16 bytes, was 3");
    }

    @Test
    void shouldRejectWrongHashLength() throws Exception {
        String h = java.util.Base64.getEncoder().encodeToString(new byte[20]);
        assertThat(loadError(with(issue("a").entry(), "hash", h)).getMessage())
                .contains("keys[0].hash: must be a SHA-256 hash (32 bytes), was 20 bytes");
    }

    @Test
    void shouldRejectBadTimestamps() throws Exception {
        assertThat(loadError(with(issue("a").entry(), "expires_at", "2027-13-01")).getMessage())
                .contains("keys[0].expires_at: must be an ISO-8601 instant like 2027-01-01T00:00:00Z,"
                        + " was '2027-13-01'");
        assertThat(loadError(with(issue("a").entry(), "expires_at", 1798761600)).getMessage())
                .contains("keys[0].expires_at: must be a string like 2027-01-01T00:00:00Z, was a number");
    }

    @Test
    void shouldRejectWronglyTypedOptionalFields() throws Exception {
        Map<String, Object> entry = issue("a").entry();
        assertThat(loadError(with(entry, "disabled", "false")).getMessage())
                .contains("keys[0].disabled: must be true or false, was a string");
        assertThat(loadError(with(entry, "roles", "analyst")).getMessage())
                .contains("keys[0].roles: must be a list of strings, was a string");
        assertThat(loadError(with(entry, "roles", List.of("analyst", 3))).getMessage())
                .contains("keys[0].roles[1]: must be a non-blank string, was a number");
        assertThat(loadError(with(entry, "tenant", List.of())).getMessage())
                .contains("keys[0].tenant: must be a string, was a list");
        assertThat(loadError(with(entry, "attributes", Map.of("level", 3))).getMessage())
                .contains("keys[0].attributes.level: must be a string, was a number");
        assertThat(loadError(with(entry, "attributes", List.of())).getMessage())
                .contains("keys[0].attributes: must be an object of strings, was a list");
    }

    @Test
    void shouldReportEveryProblemOfAFileAtOnce() throws Exception {
        var a = with(issue("a").entry(), "salt", "AAAA");
        var b = with(issue("b").entry(), "id", "x");
        PolicyLoadException e = loadError(JSON.writeValueAsString(Map.of("keys", List.of(a, b))));
        assertThat(e.errors()).hasSize(2);
        assertThat(e.getMessage()).contains("keys[0].salt").contains("keys[1].id");
    }

    @Test
    void shouldAcceptAnEmptyStore() {
        ApiKeyStore store = ApiKeyStore.parse("{\"keys\": []}".getBytes(StandardCharsets.UTF_8), FILE, clock);
        assertThat(store.size()).isZero();
        assertThat(failureMessage(store.authenticate(issue("a").plaintext()))).endsWith("is unknown or its secret is wrong; check the key you were given, or ask its issuer for a new one");
    }

    @Test
    void shouldRejectInvalidIssueArguments() {
        assertThatThrownBy(() -> ApiKeyStore.issue(" ", List.of(), "", Map.of(), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("caller must be a non-blank string, was ' '");
        assertThatThrownBy(() -> ApiKeyStore.issue("a", List.of(""), "", Map.of(), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("roles must be non-blank strings");
        assertThatThrownBy(() -> ApiKeyStore.issue("a", List.of(), "", Map.of(" ", "v"), null, RANDOM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute name ' ' is blank: no policy rule can name it; write the name or remove the"
                        + " attribute");
    }

    /**
     * An attribute name or value a policy condition refuses ("region ", "", a NUL, a U+2028) could
     * never be matched by a rule: the store refuses it as it refuses such a caller, role or tenant.
     */
    @Test
    void shouldRejectAttributeNamesAndValuesNoRuleCouldMatch() throws Exception {
        Map<String, Object> entry = issue("a").entry();
        assertThat(loadError(with(entry, "attributes", Map.of("region ", "eu"))).getMessage())
                .contains("keys[0].attributes: attribute name has leading or trailing whitespace ('region '); it is"
                        + " compared exactly, so it would not be 'region': remove the whitespace");
        assertThat(loadError(with(entry, "attributes", Map.of("", "x"))).getMessage())
                .contains("keys[0].attributes: attribute name '' is blank: no policy rule can name it; write the name"
                        + " or remove the attribute");
        assertThat(loadError(with(entry, "attributes", Map.of("re\u200bgion", "eu"))).getMessage())
                .contains("keys[0].attributes: attribute name contains an invisible format character (U+200B");
        assertThat(loadError(with(entry, "attributes", Map.of("dept", "a\u0000b"))).getMessage())
                .contains("keys[0].attributes.dept: contains a control character (U+0000 at position 1, 'a?b'):"
                        + " remove it");
        assertThat(loadError(with(entry, "attributes", Map.of("note", "a\tb"))).getMessage())
                .contains("keys[0].attributes.note: contains a control character (U+0009");
        assertThat(loadError(with(entry, "attributes", Map.of("dept", "r&d\u2028x"))).getMessage())
                .contains("keys[0].attributes.dept: contains a line or paragraph separator (U+2028");
        assertThat(loadError(with(entry, "attributes", Map.of("dept", "risk "))).getMessage())
                .contains("keys[0].attributes.dept: has leading or trailing whitespace ('risk ')");
        // every problem of the entry at once
        assertThat(loadError(with(entry, "attributes", new java.util.TreeMap<>(Map.of("region ", "eu", "dept", "a\u0000b"))))
                .errors()).hasSize(2);
        // "" is a value an attribute can have (a policy condition accepts it too); inner spaces are fine
        assertThat(storeOf(with(entry, "attributes", Map.of("status", "", "team", "risk and audit"))).size()).isOne();

        // issuing a key (ApiKeys.issue, which `veil key create --attr` calls) checks the same
        assertThatThrownBy(() -> dev.veil.ApiKeys.issue("a", List.of(), "", Map.of("region ", "eu"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute name has leading or trailing whitespace ('region '); it is compared exactly, so"
                        + " it would not be 'region': remove the whitespace");
        assertThatThrownBy(() -> dev.veil.ApiKeys.issue("a", List.of(), "", Map.of("note", "a\tb"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute 'note': value contains a control character (U+0009 at position 1, 'a?b'):"
                        + " remove it");
        assertThatThrownBy(() -> dev.veil.ApiKeys.issue("a", List.of(), "", Map.of("dept", "r&d\u2028x"), null))
                .hasMessageStartingWith("attribute 'dept': value contains a line or paragraph separator (U+2028");
        assertThat(dev.veil.ApiKeys.issue("a", List.of(), "", Map.of("status", ""), null).entry().get("attributes"))
                .isEqualTo(Map.of("status", ""));
    }

    /** A key that expired before it was issued would never work: refused, as `veil key create --expires` refuses it. */
    @Test
    void issuingAKeyThatHasExpiredAlreadyIsRefused() {
        java.time.Instant past = java.time.Instant.now().minusSeconds(1);
        assertThatThrownBy(() -> dev.veil.ApiKeys.issue("a", List.of(), "", Map.of(), past))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expiresAt must be in the future, was " + past + " (the key would never work)");
        java.time.Instant later = java.time.Instant.now().plusSeconds(3600);
        assertThat(dev.veil.ApiKeys.issue("a", List.of(), "", Map.of(), later).entry().get("expires_at"))
                .isEqualTo(later.toString());
    }

    // ---- properties ----

    @Test
    void randomStringsNeverAuthenticate() throws Exception {
        var issued = issue("alice");
        ApiKeyStore store = storeOf(issued.entry());
        String prefix = "veil_" + issued.id() + "_";
        // The right secret has been checked, so the store remembers it (its SipHash value) too.
        assertThat(store.authenticate(issued.plaintext()).succeeded()).isTrue();
        // Fully random text, and random secrets behind the real id (the strongest guess an attacker has).
        qt().withExamples(500).forAll(strings().allPossible().ofLengthBetween(0, 80))
                .check(s -> !store.authenticate(s).succeeded());
        qt().withExamples(500).forAll(strings().betweenCodePoints('-', 'z').ofLength(43))
                .check(s -> !store.authenticate(prefix + s).succeeded());
    }

    @Test
    void aKeyWithOneCharacterChangedNeverAuthenticates() throws Exception {
        var issued = issue("alice");
        ApiKeyStore store = storeOf(issued.entry());
        String key = issued.plaintext();
        // Before the right key was ever presented, and after (when the store recognises its secret
        // without the SHA-256), and the right key keeps working in between.
        for (boolean checkedBefore : new boolean[] {false, true}) {
            if (checkedBefore) {
                assertThat(store.authenticate(key).succeeded()).isTrue();
            }
            qt().withExamples(1000)
                    .forAll(integers().between(0, key.length() - 1), integers().between(0x20, 0x7e))
                    .assuming((pos, c) -> key.charAt(pos) != c)
                    .check((pos, c) -> {
                        String changed = key.substring(0, pos) + (char) c.intValue() + key.substring(pos + 1);
                        return !store.authenticate(changed).succeeded();
                    });
            assertThat(store.authenticate(key).succeeded()).isTrue();
        }
    }

    @Test
    void theIssuedKeyAlwaysAuthenticates() {
        qt().withExamples(200)
                .forAll(strings().allPossible().ofLengthBetween(1, 30),
                        lists().of(strings().basicLatinAlphabet().ofLengthBetween(1, 10)).ofSizeBetween(0, 4),
                        strings().basicLatinAlphabet().ofLengthBetween(0, 10))
                .assuming((caller, roles, tenant) -> !caller.isBlank() && ApiKeyStore.nameProblem(caller) == null
                        && roles.stream().noneMatch(r -> r.isBlank() || ApiKeyStore.nameProblem(r) != null)
                        && ApiKeyStore.nameProblem(tenant) == null)
                .checkAssert((caller, roles, tenant) -> {
                    var issued = ApiKeyStore.issue(caller, roles, tenant, Map.of("t", tenant), null, RANDOM);
                    byte[] json;
                    try {
                        json = JSON.writeValueAsBytes(Map.of("keys", List.of(issued.entry())));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    ApiKeyStore store = ApiKeyStore.parse(json, FILE, clock);
                    assertThat(store.authenticate(issued.plaintext()))
                            .isEqualTo(AuthResult.success(new Caller(caller, AuthMethod.API_KEY,
                                    Set.copyOf(new ArrayList<>(roles)), tenant, Map.of("t", tenant))));
                });
    }

    @Test
    void authenticatesAnySecretOfTheKeyAlphabetAgainstTheHashOfItsUtf8Bytes() throws Exception {
        // authenticate reads the secret's characters as bytes without a string copy: it must hash
        // the same bytes as the UTF-8 of the secret the entry was made from, for every character
        // a key may hold and every salt length a store accepts, and reject the same secret with
        // one character changed (the first presentation runs the SHA-256, the second the SipHash).
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
        var template = issue("alice");
        qt().withExamples(200).forAll(org.quicktheories.generators.SourceDSL.longs().all(),
                integers().between(ApiKeyStore.MIN_SALT_BYTES, 64)).checkAssert((seed, saltBytes) -> {
                    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
                    byte[] salt = new byte[saltBytes];
                    r.nextBytes(salt);
                    StringBuilder secret = new StringBuilder();
                    for (int i = 0; i < ApiKeyStore.SECRET_LENGTH; i++) {
                        secret.append(alphabet.charAt(r.nextInt(alphabet.length())));
                    }
                    byte[] hash = ApiKeyStore.hash(salt, secret.toString().getBytes(StandardCharsets.UTF_8));
                    Map<String, Object> entry = with(with(template.entry(), "salt",
                            java.util.Base64.getEncoder().encodeToString(salt)), "hash",
                            java.util.Base64.getEncoder().encodeToString(hash));
                    String key = ApiKeyStore.PREFIX + template.id() + "_" + secret;
                    int at = r.nextInt(ApiKeyStore.SECRET_LENGTH);
                    char other = alphabet.charAt((alphabet.indexOf(secret.charAt(at)) + 1 + r.nextInt(63)) % 64);
                    StringBuilder changed = new StringBuilder(secret).replace(at, at + 1, String.valueOf(other));
                    String wrong = ApiKeyStore.PREFIX + template.id() + "_" + changed;
                    try {
                        ApiKeyStore store = storeOf(entry);
                        for (int i = 0; i < 2; i++) {
                            assertThat(store.authenticate(key)).isInstanceOf(AuthResult.Success.class);
                            assertThat(store.authenticate(wrong)).isInstanceOf(AuthResult.Failure.class);
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }
}
