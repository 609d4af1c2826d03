package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.application;
import static dev.veil.cli.CliTestSupport.ask;
import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.Guard;
import dev.veil.Response;
import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyCommandTest {
    static final String KEY = "veil_[a-z0-9]{8}_[A-Za-z0-9_-]{43}";

    @TempDir
    Path tmp;

    QuickstartBundle bundle;

    @BeforeEach
    void writeBundle() {
        bundle = quickstartBundle(tmp.resolve("bundle"));
    }

    private static String issuedKey(Result r) {
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).as("stdout holds the key alone").hasSize(1);
        String key = r.outLines().get(0);
        assertThat(key).matches(KEY);
        assertThat(r.err()).as("the secret is shown once, on stdout").doesNotContain(key.substring(14));
        return key;
    }

    private JsonNode store(Path p) throws Exception {
        return JsonMapper.builder().build().readTree(p.toFile());
    }

    private String[] files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    @Test
    void issuedKeyAuthenticatesThroughAGuardAndOldKeysStillWork() throws Exception {
        Result r = veil("key", "create", "--caller", "carol", "--role", "analyst", "--role", "auditor",
                "--tenant", "acme", "--attr", "team=risk", "--attr", "site=lyon",
                "--expires", "2999-01-01T00:00:00Z", "--store", s(bundle.keys()));
        String key = issuedKey(r);
        String id = key.substring(5, 13);
        assertThat(r.err()).contains("added key " + id + " for caller carol to " + bundle.keys() + " (3 keys)",
                "shown only this once");

        JsonNode entry = store(bundle.keys()).get("keys").get(2);
        assertThat(entry.get("id").textValue()).isEqualTo(id);
        assertThat(entry.get("caller").textValue()).isEqualTo("carol");
        assertThat(entry.get("roles").toString()).isEqualTo("[\"analyst\",\"auditor\"]");
        assertThat(entry.get("tenant").textValue()).isEqualTo("acme");
        assertThat(entry.get("attributes").toString()).isEqualTo("{\"site\":\"lyon\",\"team\":\"risk\"}");
        assertThat(entry.get("expires_at").textValue()).isEqualTo("2999-01-01T00:00:00Z");
        assertThat(entry.toString()).doesNotContain(key.substring(14));
        assertThat(files(bundle.dir())).as("no temporary file left behind")
                .containsExactly(".manifest", "keys.json", "loan.veil.yaml");

        try (Guard<Map<String, Double>> guard = CliTestSupport.guard(bundle.dir(), tmp.resolve("audit.jsonl"))) {
            Response carol = ask(guard, key, application(85_000, 250_000, 41));
            assertThat(carol.allowed()).as(carol.toString()).isTrue();
            Response alice = ask(guard, bundle.analystKey(), application(85_000, 250_000, 41));
            assertThat(alice.allowed()).as("the keys already in the store are kept").isTrue();
            String wrongSecret = key.substring(0, key.length() - 1) + (key.endsWith("A") ? "B" : "A");
            Response forged = ask(guard, wrongSecret, application(85_000, 250_000, 41));
            assertThat(forged).isInstanceOf(Response.Denied.class);
            assertThat(((Response.Denied) forged).reason().code().code()).isEqualTo("unauthenticated");
        }
        assertThat(Files.readString(tmp.resolve("audit.jsonl"))).contains("\"carol\"").doesNotContain(key);
    }

    @Test
    void rolesOfTheIssuedKeyAreWhatThePolicySees() throws Exception {
        String key = issuedKey(veil("key", "create", "--caller", "dave", "--role", "intern", "--store",
                s(bundle.keys())));
        try (Guard<Map<String, Double>> guard = CliTestSupport.guard(bundle.dir(), tmp.resolve("audit.jsonl"))) {
            Response r = ask(guard, key, application(85_000, 250_000, 41));
            assertThat(r).isInstanceOf(Response.Denied.class);
            assertThat(((Response.Denied) r).reason().code().code()).isEqualTo("forbidden");
        }
    }

    @Test
    void missingStoreIsCreatedAndLoadsInAGuard() throws Exception {
        Files.delete(bundle.keys());
        String key = issuedKey(veil("key", "create", "--caller", "erin", "--role", "analyst",
                "--store", s(bundle.keys())));
        assertThat(store(bundle.keys()).get("keys")).hasSize(1);
        assertThat(Files.getPosixFilePermissions(bundle.keys()).toString()).contains("OWNER_READ", "OTHERS_READ");
        try (Guard<Map<String, Double>> guard = CliTestSupport.guard(bundle.dir(), tmp.resolve("audit.jsonl"))) {
            assertThat(ask(guard, key, application(85_000, 250_000, 41)).allowed()).isTrue();
        }
    }

    @Test
    void twoKeysForOneCallerAreDistinct() throws Exception {
        String a = issuedKey(veil("key", "create", "--caller", "x", "--store", s(tmp.resolve("k.json"))));
        String b = issuedKey(veil("key", "create", "--caller", "x", "--store", s(tmp.resolve("k.json"))));
        assertThat(a).isNotEqualTo(b);
        assertThat(store(tmp.resolve("k.json")).get("keys")).hasSize(2);
    }

    private void assertRefusedUnchanged(String content, String... fragments) throws Exception {
        Files.writeString(bundle.keys(), content);
        Result r = veil("key", "create", "--caller", "x", "--store", s(bundle.keys()));
        assertFails(r, 2, fragments);
        assertThat(r.err()).contains("veil key create: --store " + bundle.keys()
                + " is not a valid key store, left unchanged");
        assertThat(Files.readString(bundle.keys())).isEqualTo(content);
        assertThat(files(bundle.dir())).containsExactly(".manifest", "keys.json", "loan.veil.yaml");
    }

    @Test
    void storeThatIsNotJsonIsRefusedUnchanged() throws Exception {
        assertRefusedUnchanged("{\"keys\": [\n", bundle.keys() + ":2:1: invalid JSON: Unexpected end-of-input");
    }

    @Test
    void storeWithoutAKeysListIsRefusedUnchanged() throws Exception {
        assertRefusedUnchanged("{\"keys\": 3}", bundle.keys() + ":1:2: 'keys' must be a list, was a number");
    }

    @Test
    void storeWithBadEntriesListsEveryProblemOnePerLine() throws Exception {
        assertRefusedUnchanged("{\"keys\": [{\"id\": \"abc\", \"caller\": \"a\", \"salt\": \"AAAA\","
                + " \"hash\": \"AAAA\", \"colour\": \"red\"}]}", "(4 errors):",
                "\n" + bundle.keys() + ":1:72: keys[0]: unknown field 'colour'",
                "\n" + bundle.keys() + ":1:12: keys[0].id: must be 8 characters of a-z and 0-9, was 'abc'",
                "\n" + bundle.keys() + ":1:40: keys[0].salt: must be at least 16 bytes",
                "\n" + bundle.keys() + ":1:56: keys[0].hash: must be a SHA-256 hash (32 bytes)");
    }

    @Test
    void storeThatIsAnotherJsonDocumentIsRefusedUnchanged() throws Exception {
        assertRefusedUnchanged("{\"veil\": 1, \"name\": \"x\"}",
                bundle.keys() + ":1:2: unknown field 'veil' at top level");
    }

    @Test
    void emptyStoreIsRefusedUnchanged() throws Exception {
        assertRefusedUnchanged("", "it is empty; write {\"keys\": []} into it or delete it");
    }

    @Test
    void storeInAMissingDirectory() {
        Path p = tmp.resolve("nodir/keys.json");
        assertFails(veil("key", "create", "--caller", "x", "--store", s(p)), 2,
                "veil key create: --store " + p + ": directory " + tmp.resolve("nodir") + " does not exist");
    }

    @Test
    void storeThatIsADirectory() {
        assertFails(veil("key", "create", "--caller", "x", "--store", s(tmp)), 2,
                "veil key create: --store " + tmp + ": is a directory, expected a file name");
    }

    @Test
    void expiryThatIsNotAnInstant() {
        Result r = veil("key", "create", "--caller", "x", "--expires", "2027-01-01", "--store", s(bundle.keys()));
        assertFails(r, 2, "veil key create: --expires must be an ISO-8601 instant such as 2027-01-01T00:00:00Z, "
                + "was '2027-01-01'");
    }

    @Test
    void expiryInThePast() throws Exception {
        String before = Files.readString(bundle.keys());
        Result r = veil("key", "create", "--caller", "x", "--expires", "2020-01-01T00:00:00Z",
                "--store", s(bundle.keys()));
        assertFails(r, 2, "veil key create: --expires must be in the future, was 2020-01-01T00:00:00Z");
        assertThat(Files.readString(bundle.keys())).isEqualTo(before);
    }

    @Test
    void blankCaller() {
        assertFails(veil("key", "create", "--caller", " ", "--store", s(bundle.keys())), 2,
                "veil key create: --caller must not be blank");
    }

    @Test
    void blankRole() {
        assertFails(veil("key", "create", "--caller", "x", "--role", "", "--store", s(bundle.keys())), 2,
                "veil key create: --role must not be blank");
    }

    @Test
    void surroundingWhitespaceInCallerRoleOrTenantIsRefusedAndTheStoreUnchanged() throws Exception {
        String before = Files.readString(bundle.keys());
        // "alice " would be a second caller beside "alice", with its own rate bucket and quota
        assertFails(veil("key", "create", "--caller", "alice ", "--store", s(bundle.keys())), 2,
                "veil key create: --caller has leading or trailing whitespace ('alice '); it is compared exactly, so"
                        + " it would not be 'alice': remove the whitespace");
        assertFails(veil("key", "create", "--caller", "x", "--role", " analyst", "--store", s(bundle.keys())), 2,
                "veil key create: --role has leading or trailing whitespace (' analyst')");
        assertFails(veil("key", "create", "--caller", "x", "--tenant", "acme\n", "--store", s(bundle.keys())), 2,
                "veil key create: --tenant has leading or trailing whitespace ('acme?')");
        assertFails(veil("key", "create", "--caller", "al\tice", "--store", s(bundle.keys())), 2,
                "veil key create: --caller contains a control character (U+0009 at position 2, 'al?ice'): remove it");
        assertThat(Files.readString(bundle.keys())).isEqualTo(before);
    }

    @Test
    void attributeWithoutValue() {
        assertFails(veil("key", "create", "--caller", "x", "--attr", "team", "--store", s(bundle.keys())), 2,
                "should be in KEY=VALUE format but was team");
    }

    @Test
    void anAttributeGivenTwiceIsAUsageErrorNotTheLastValueKept() throws Exception {
        String before = Files.readString(bundle.keys());
        Result r = veil("key", "create", "--caller", "x", "--attr", "team=risk", "--attr", "site=lyon", "--attr",
                "team=ops", "--store", s(bundle.keys()));
        assertFails(r, 2, "see 'veil key create --help'");
        assertThat(r.errLines()).first().isEqualTo("veil key create: --attr team is given twice (team=risk, then "
                + "team=ops): give each attribute once");
        assertThat(Files.readString(bundle.keys())).isEqualTo(before);
    }

    @Test
    void attributeWithBlankName() {
        assertFails(veil("key", "create", "--caller", "x", "--attr", " =x", "--store", s(bundle.keys())), 2,
                "veil key create: --attr needs a non-blank NAME in NAME=VALUE");
    }

    @Test
    void requiredOptions() {
        assertFails(veil("key", "create"), 2, "Missing required options: '--caller=CALLER', '--store=FILE'");
    }

    /**
     * The store keeps its owner and group: written by root for a service that runs as another user,
     * it must stay readable by that user (the rename replaces the file with the one written).
     */
    @Test
    void theStoreKeepsItsOwnerAndGroup() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "only root can give a file to another user");
        Path store = bundle.keys();
        var view = Files.getFileAttributeView(store, java.nio.file.attribute.PosixFileAttributeView.class);
        var users = store.getFileSystem().getUserPrincipalLookupService();
        view.setOwner(users.lookupPrincipalByName("nobody"));
        view.setGroup(users.lookupPrincipalByGroupName("nogroup"));
        Files.setPosixFilePermissions(store, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        issuedKey(veil("key", "create", "--caller", "carol", "--store", s(store)));
        var after = Files.readAttributes(store, java.nio.file.attribute.PosixFileAttributes.class);
        assertThat(after.owner().getName()).isEqualTo("nobody");
        assertThat(after.group().getName()).isEqualTo("nogroup");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(after.permissions())).isEqualTo("rw-r-----");
    }

    /** A key added to a signed bundle breaks its signature: said, with how to re-sign. */
    @Test
    void aKeyAddedToASignedBundleSaysToReSignIt() throws Exception {
        Path store = bundle.keys();
        Files.writeString(store.getParent().resolve(".signatures.json"), "{\"signatures\": []}");
        Result r = veil("key", "create", "--caller", "carol", "--store", s(store));
        issuedKey(r);
        assertThat(r.errLines()).anyMatch(l -> l.startsWith("veil key create: note: " + store.getParent()
                .resolve(".signatures.json")) && l.contains("re-sign it with 'veil bundle sign " + store.getParent()));
    }

    @Test
    void aKeyThatCannotBeShownIsNotStoredAndTheStoreIsUnchanged() throws Exception {
        Path store = bundle.keys();
        String before = Files.readString(store);
        Result r = CliTestSupport.veilWithFullStdout("key", "create", "--caller", "carol", "--store", s(store));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("veil key create: the new key could not be shown, so it was not "
                + "added: --store " + store + " is unchanged", "veil: cannot write standard output");
        assertThat(Files.readString(store)).isEqualTo(before);
        assertThat(files(store.getParent())).as("no temporary file left").containsExactly(
                ".manifest", "keys.json", "loan.veil.yaml");
    }
}
