package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.veil.internal.bundle.BundleSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PolicyBundle#loadSigned}: a bundle loads only with a valid signature by a trusted key. */
class PolicyBundleSignedTest {
    private static ECKey release;
    private static ECKey impostor;
    private static ECKey other;

    @TempDir
    Path tmp;

    Path dir;
    Path trusted;

    @BeforeAll
    static void keys() throws JOSEException {
        release = new ECKeyGenerator(Curve.P_256).keyID("release-1").generate();
        impostor = new ECKeyGenerator(Curve.P_256).keyID("release-1").generate();
        other = new ECKeyGenerator(Curve.P_256).keyID("other").generate();
    }

    @BeforeEach
    void signedBundle() throws Exception {
        dir = GuardFixtures.bundle(tmp.resolve("bundle"))
                .file(".manifest", "{\"revision\": \"r7\", \"roots\": [\"\"]}")
                .write();
        BundleSigner.sign(dir, release, "ES256", "release-1");
        trusted = tmp.resolve("trusted.jwks.json");
        Files.writeString(trusted, new JWKSet(release.toPublicJWK()).toString());
    }

    private PolicyError rejection() {
        PolicyLoadException e = catchThrowableOfType(() -> PolicyBundle.loadSigned(dir, trusted),
                PolicyLoadException.class);
        assertThat(e).as("loadSigned must refuse the bundle").isNotNull();
        assertThat(e.errors()).as(e.getMessage()).hasSize(1);
        return e.errors().get(0);
    }

    @Test
    void loadsABundleSignedByATrustedKey() {
        PolicyBundle b = PolicyBundle.loadSigned(dir, trusted);
        assertThat(b.name()).isEqualTo("guard-test");
        assertThat(b.revision()).isEqualTo("r7");
        assertThat(b.engine()).isEqualTo("yaml");
    }

    @Test
    void acceptsASingleJwkAndPicksTheKeyByKidAmongSeveral() throws Exception {
        Files.writeString(trusted, release.toPublicJWK().toJSONString());
        assertThat(PolicyBundle.loadSigned(dir, trusted).name()).isEqualTo("guard-test");
        Files.writeString(trusted, new JWKSet(java.util.List.of(other.toPublicJWK(), release.toPublicJWK())).toString());
        assertThat(PolicyBundle.loadSigned(dir, trusted).name()).isEqualTo("guard-test");
    }

    /**
     * A trusted key's own JWK exp and nbf, read from the trusted-keys file, are checked against the
     * system clock when the bundle loads: a bundle signed with a key past its exp, or before its nbf,
     * does not load, and the message gives the clock's time.
     */
    @Test
    void refusesABundleSignedWithATrustedKeyOutsideItsOwnExpOrNbf() throws Exception {
        java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(release.toPublicJWK().toJSONObject());
        long now = java.time.Instant.now().getEpochSecond();
        json.put("exp", now - 3_600);
        Files.writeString(trusted, com.nimbusds.jose.util.JSONObjectUtils.toJSONString(json));
        PolicyError expired = rejection();
        assertThat(expired.file()).isEqualTo(".signatures.json");
        assertThat(expired.message()).startsWith("bad signature: key 'release-1' expired at "
                        + java.time.Instant.ofEpochSecond(now - 3_600) + " (its JWK exp; now is ")
                .endsWith(" by the system clock, with 30 s of tolerance); sign the bundle with a current key");
        json.remove("exp");
        json.put("nbf", now + 3_600);
        Files.writeString(trusted, com.nimbusds.jose.util.JSONObjectUtils.toJSONString(json));
        assertThat(rejection().message()).startsWith("bad signature: key 'release-1' is not valid before "
                        + java.time.Instant.ofEpochSecond(now + 3_600) + " (its JWK nbf; now is ")
                .endsWith(" by the system clock, with 30 s of tolerance); sign the bundle with a key valid now, or check this machine's"
                        + " clock");
        json.put("nbf", now - 3_600);
        json.put("exp", now + 3_600);
        Files.writeString(trusted, new JWKSet(com.nimbusds.jose.jwk.JWK.parse(json)).toString());
        assertThat(PolicyBundle.loadSigned(dir, trusted).name()).isEqualTo("guard-test");
    }

    @Test
    void refusesABundleWithoutSignature() throws Exception {
        Files.delete(dir.resolve(".signatures.json"));
        PolicyError e = rejection();
        assertThat(e.file()).isEqualTo(".signatures.json");
        assertThat(e.message()).isEqualTo(
                "missing signature: the bundle has no .signatures.json; sign it with `veil bundle sign`");
        assertThat(PolicyBundle.load(dir).name()).as("unsigned loading is unchanged").isEqualTo("guard-test");
    }

    @Test
    void refusesAMalformedJwsThatPlainLoadingIgnores() throws Exception {
        Files.writeString(dir.resolve(".signatures.json"), "{\"signatures\":[\"not-a-jws\"]}");
        assertThat(rejection().message()).startsWith("bad signature: the signature is not a compact JWS (");
        assertThat(PolicyBundle.load(dir).name()).isEqualTo("guard-test");
    }

    @Test
    void refusesASignatureByAnUnknownKey() throws Exception {
        Files.writeString(trusted, new JWKSet(other.toPublicJWK()).toString());
        assertThat(rejection().message())
                .isEqualTo("bad signature: no verification key with id 'release-1' (configured: [other])");
    }

    @Test
    void refusesASignatureThatDoesNotVerify() {
        BundleSigner.sign(dir, impostor, "ES256", "release-1");
        assertThat(rejection().message()).startsWith("bad signature: the JWS does not verify with key 'release-1';");
    }

    @Test
    void refusesAnUnsupportedAlgorithm() throws Exception {
        String header = Base64URL.encode("{\"alg\":\"ES256K\",\"kid\":\"release-1\"}").toString();
        String payload = Base64URL.encode("{\"files\": []}").toString();
        Files.writeString(dir.resolve(".signatures.json"),
                "{\"signatures\": [\"" + header + "." + payload + ".c2ln\"]}");
        assertThat(rejection().message()).startsWith("unsupported algorithm: the signature uses ES256K; accepted: [");
    }

    @Test
    void refusesAPolicyChangedByOneByteAfterSigningNamingIt() throws Exception {
        Path policy = dir.resolve("policy.veil.yaml");
        byte[] bytes = Files.readAllBytes(policy);
        int at = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).indexOf("top_k: 2") + 7;
        bytes[at] = '3';
        Files.write(policy, bytes);
        assertThat(PolicyBundle.load(dir).name()).as("the tampered policy is still valid").isEqualTo("guard-test");

        PolicyError e = rejection();
        assertThat(e.file()).isEqualTo("policy.veil.yaml");
        assertThat(e.message()).isEqualTo(
                "hash mismatch: 'policy.veil.yaml' differs from the signed version; it was changed after signing");
    }

    /** load does not check the signature; a bundle that has one is loaded, but not silently. */
    @Test
    void loadWarnsThatTheSignatureOfASignedBundleWasNotVerified() throws Exception {
        Files.writeString(dir.resolve("policy.veil.yaml"),
                Files.readString(dir.resolve("policy.veil.yaml")).replace("top_k: 2", "top_k: 3"));
        try (LogCapture log = LogCapture.warnings(PolicyBundle.class.getName())) {
            PolicyBundle b = PolicyBundle.load(dir);
            assertThat(b.signed()).isFalse();
            assertThat(log.messages()).singleElement().asString()
                    .startsWith("bundle " + dir + " has a signature (.signatures.json) that was NOT verified:")
                    .contains("PolicyBundle.loadSigned(bundle, trustedKeys)");
        }
        Files.delete(dir.resolve(".signatures.json"));
        try (LogCapture log = LogCapture.warnings(PolicyBundle.class.getName())) {
            PolicyBundle.load(dir);
            PolicyBundle.loadSigned(signedRevision("2026-11-30.1"), trusted);
            assertThat(log.messages()).as("an unsigned bundle, and loadSigned, warn of nothing").isEmpty();
        }
    }

    @Test
    void refusesFilesAddedOrRemovedAfterSigningNamingEach() throws Exception {
        Files.writeString(dir.resolve("data.json"), "{\"extra\": 1}");
        Files.delete(dir.resolve("jwks.json"));
        PolicyLoadException e = catchThrowableOfType(() -> PolicyBundle.loadSigned(dir, trusted),
                PolicyLoadException.class);
        assertThat(e.errors()).extracting(PolicyError::file).containsExactly("data.json", "jwks.json");
        assertThat(e.errors()).extracting(PolicyError::message).containsExactly(
                "file list mismatch: 'data.json' is in the bundle but not in its signature; re-sign the bundle or"
                        + " remove the file",
                "file list mismatch: 'jwks.json' is listed in the signature but missing from the bundle");
    }

    /**
     * The signature is checked on the files as read, before any is parsed: a file added or changed
     * since signing is refused as the signature's failure, whatever its parse would have said (a
     * conflict with a signed data file, a syntax error, a manifest whose roots leave the data out,
     * whose advice could lead an operator to re-sign the attacker's content).
     */
    @Test
    void tamperingIsRefusedAsASignatureFailureBeforeAnyFileIsParsed() throws Exception {
        Path d = GuardFixtures.bundle(tmp.resolve("m")).file("training/data.json", "{\"x\": 1}").write();
        BundleSigner.sign(d, release, "ES256", "release-1");
        Files.writeString(d.resolve("training/data.yaml"), "x: 2\n"); // an unsigned twin that conflicts
        assertThatThrownBy(() -> PolicyBundle.loadSigned(d, trusted)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("file list mismatch: 'training/data.yaml' is in the bundle but not in its "
                        + "signature").hasMessageNotContaining("defined both");
        Files.delete(d.resolve("training/data.yaml"));
        Files.writeString(d.resolve("training/data.json"), "{\"x\": 1,}"); // a signed file, no longer JSON
        assertThatThrownBy(() -> PolicyBundle.loadSigned(d, trusted)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("hash mismatch: 'training/data.json' cannot be parsed").hasMessageNotContaining(
                        "syntax");
        Files.writeString(d.resolve("training/data.json"), "{\"x\": 1}");
        Files.writeString(d.resolve(".manifest"), "{\"revision\": \"2099-01-01\", \"roots\": [\"other\"]}");
        assertThatThrownBy(() -> PolicyBundle.loadSigned(d, trusted)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("file list mismatch: '.manifest' is in the bundle but not in its signature")
                .hasMessageNotContaining("outside the manifest roots");
        Files.delete(d.resolve(".manifest"));
        assertThat(PolicyBundle.loadSigned(d, trusted).name()).isEqualTo("guard-test");
    }

    @Test
    void refusesUnusableTrustedKeyFiles() throws Exception {
        Path keys = tmp.resolve("keys.json");
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessage("policy bundle rejected: " + keys + ": trusted keys: no such file");

        Files.writeString(keys, "{\"keys\": []}");
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageEndingWith(keys + ": trusted keys: the key set holds no key");

        Files.writeString(keys, "null");
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining(keys + ": trusted keys: not a JWK Set ({\"keys\": [...]}) or a JWK: ");

        Files.writeString(keys, new JWKSet(java.util.List.of(release.toPublicJWK(), release.toPublicJWK())).toString());
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageEndingWith(keys + ": trusted keys: key 'release-1': duplicate kid; every trusted key needs"
                        + " its own kid (only the first would ever be tried)");

        Files.writeString(keys, new JWKSet(new ECKey.Builder(release.toPublicJWK())
                .keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION).build()).toString());
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageEndingWith(keys + ": trusted keys: key 'release-1' has use 'enc', not 'sig'");

        Files.writeString(keys, "not json");
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining(keys + ": trusted keys: not a JWK Set ({\"keys\": [...]}) or a JWK: ");

        Files.writeString(keys, new JWKSet(release).toString(false));
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageEndingWith(keys + ": trusted keys: key 'release-1' is a private key; give only the public"
                        + " key (the private key signs, with `veil bundle sign`, and must stay with the signer)");
    }

    /** A 1024-bit modulus written in 256 octets (leading zeros) is a 1024-bit key: JWK.size() counts octets. */
    @Test
    void refusesAShortRsaTrustedKeyPaddedWithLeadingZeroOctets() throws Exception {
        com.nimbusds.jose.jwk.RSAKey small = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(1024, true)
                .keyID("padded").generate();
        byte[] n = small.getModulus().decode();
        byte[] padded = new byte[256];
        System.arraycopy(n, 0, padded, 256 - n.length, n.length);
        com.nimbusds.jose.jwk.RSAKey pub = new com.nimbusds.jose.jwk.RSAKey.Builder(
                com.nimbusds.jose.util.Base64URL.encode(padded), small.getPublicExponent()).keyID("padded").build();
        assertThat(pub.size()).isEqualTo(2048);
        Path keys = tmp.resolve("keys.json");
        Files.writeString(keys, new JWKSet(pub).toString(false));
        assertThatThrownBy(() -> PolicyBundle.loadSigned(dir, keys))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageEndingWith(keys + ": trusted keys: key 'padded' is an RSA key of 1024 bits; at least 2048"
                        + " are needed");
    }

    // ---------------------------------------------------------------- rollback

    private Path signedRevision(String revision) throws Exception {
        Path d = GuardFixtures.bundle(tmp.resolve("bundle-" + revision))
                .file(".manifest", "{\"revision\": \"" + revision + "\", \"roots\": [\"\"]}").write();
        BundleSigner.sign(d, release, "ES256", "release-1");
        return d;
    }

    @Test
    void aGuardRefusesToRollBackToAnOlderSignedRevision() throws Exception {
        Path r8 = signedRevision("2026-11-30.8");
        Path r10 = signedRevision("2026-11-30.10");
        try (Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(r10, trusted))
                .audit(AuditLog.jsonLines(tmp.resolve("audit.jsonl"))).build()) {
            assertThat(PolicyBundle.loadSigned(r10, trusted).signed()).isTrue();
            assertThat(PolicyBundle.load(r10).signed()).isFalse();

            PolicyLoadException e = catchThrowableOfType(() -> g.reload(PolicyBundle.loadSigned(r8, trusted)),
                    PolicyLoadException.class);
            assertThat(e).isNotNull();
            assertThat(e.errors()).singleElement().satisfies(err -> assertThat(err.message()).isEqualTo(
                    "revision '2026-11-30.8' of signed bundle 'guard-test' is older than the signed revision "
                            + "'2026-11-30.10' this Guard has had in force: a rollback to an older signed release is "
                            + "refused (it may restore a revoked key or a weaker rule); to roll back on purpose, sign "
                            + "the old content again with a newer revision"));
            assertThat(g.policy().revision()).isEqualTo("2026-11-30.10");

            g.reload(PolicyBundle.loadSigned(r10, trusted)); // the same revision again: fine
            // an unsigned bundle in between does not reset what the Guard has had in force
            g.reload(PolicyBundle.load(r10));
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(r8, trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("is older than");
            g.reload(PolicyBundle.loadSigned(signedRevision("2026-12-01.1"), trusted));
            assertThat(g.policy().revision()).isEqualTo("2026-12-01.1");
            // another spelling of an older date is older too
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(signedRevision("20261130-1"), trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("is older than");
        }
    }

    /**
     * A lab bundle signed with the release key verifies too: put in the directory a Guard reloads
     * from, it must not replace the production bundle (whatever its revision).
     */
    @Test
    void aGuardRefusesASignedBundleOfAnotherName() throws Exception {
        Path lab = GuardFixtures.bundle(tmp.resolve("lab")).set("name", "guard-lab")
                .file(".manifest", "{\"revision\": \"2027-01-01.1\", \"roots\": [\"\"]}").write();
        BundleSigner.sign(lab, release, "ES256", "release-1");
        try (Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(signedRevision("2026-11-30.5"), trusted))
                .audit(AuditLog.jsonLines(tmp.resolve("audit.jsonl"))).build()) {
            PolicyLoadException e = catchThrowableOfType(() -> g.reload(PolicyBundle.loadSigned(lab, trusted)),
                    PolicyLoadException.class);
            assertThat(e).isNotNull();
            assertThat(e.errors()).singleElement().satisfies(err -> assertThat(err.message()).isEqualTo(
                    "signed bundle 'guard-lab' is not the signed bundle this Guard serves ('guard-test'): a valid "
                            + "signature says who made a bundle, not which service it is for, so a reload keeps to one "
                            + "signed bundle name; build a new Guard to serve another bundle"));
            assertThat(g.policy().name()).isEqualTo("guard-test");
            // not after an unsigned bundle in between either
            g.reload(PolicyBundle.load(lab));
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(lab, trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("is not the signed bundle");
            g.reload(PolicyBundle.loadSigned(signedRevision("2026-11-30.6"), trusted)); // its own name: fine
            assertThat(g.policy().revision()).isEqualTo("2026-11-30.6");
        }
    }

    /**
     * Once a Guard has had an ordered signed revision in force, a signed bundle of that name whose
     * revision has no order against it cannot be shown newer: refused, or an old release revisioned
     * by a commit id, or without a manifest, could be put back at will (and open a two-step rollback).
     */
    /**
     * A restart forgets which signed bundle a Guard served (the revision file keeps a mark per name):
     * a lab bundle signed with the release key, put where the service loads from, comes into force.
     * {@code Guard.Builder.bundleName} pins the name from the first bundle, signed or not.
     */
    @Test
    void bundleNamePinsTheServedBundleAcrossRestarts() throws Exception {
        Path lab = GuardFixtures.bundle(tmp.resolve("lab")).set("name", "guard-lab")
                .file(".manifest", "{\"revision\": \"2020-01-01.1\", \"roots\": [\"\"]}").write();
        BundleSigner.sign(lab, release, "ES256", "release-1");
        Path marks = tmp.resolve("marks.json");
        guardWithMarks(signedRevision("2026-11-30.10"), marks).close();
        guardWithMarks(lab, marks).close(); // without bundleName: the file does not stop it
        java.util.function.Function<Path, Guard<double[]>> pinned = bundle -> Guard.builder(
                new GuardFixtures.CountingModel(GuardFixtures.SCORES_A).as(GuardFixtures.INFO_A))
                .policy(PolicyBundle.loadSigned(bundle, trusted)).revisionFile(marks).bundleName("guard-test")
                .audit(AuditLog.jsonLines(tmp.resolve("audit-" + System.nanoTime() + ".jsonl"))).build();
        assertThatThrownBy(() -> pinned.apply(lab)).isInstanceOf(PolicyLoadException.class).hasMessageContaining(
                "bundle 'guard-lab' is not the bundle this Guard serves ('guard-test', Guard.Builder.bundleName)");
        try (Guard<double[]> g = pinned.apply(signedRevision("2026-11-30.11"))) {
            assertThatThrownBy(() -> g.reload(PolicyBundle.load(lab))).as("unsigned too")
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("is not the bundle this Guard serves");
            assertThat(g.policy().revision()).isEqualTo("2026-11-30.11");
        }
    }

    @Test
    void aRevisionWithNoOrderAgainstTheNewestIsRefused() throws Exception {
        try (Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(signedRevision("1.4.10.1"), trusted))
                .audit(AuditLog.jsonLines(tmp.resolve("audit.jsonl"))).build()) {
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(signedRevision("1.4.10-rc1"), trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("revision '1.4.10-rc1' of signed "
                            + "bundle 'guard-test' has no order against the signed revision '1.4.10.1' this Guard has "
                            + "had in force, so it cannot be shown newer and is refused as a possible rollback");
            for (String unordered : new String[] {"3f9a2c1e", "release"}) {
                assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(signedRevision(unordered), trusted)))
                        .as(unordered).isInstanceOf(PolicyLoadException.class).hasMessageContaining("has no order");
            }
            Path noManifest = GuardFixtures.bundle(tmp.resolve("no-manifest")).write();
            BundleSigner.sign(noManifest, release, "ES256", "release-1");
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(noManifest, trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("revision '' of signed bundle "
                            + "'guard-test' has no order");
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(signedRevision("1.4.10"), trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("older than the signed revision "
                            + "'1.4.10.1'");
            assertThat(g.policy().revision()).isEqualTo("1.4.10.1");
            g.reload(PolicyBundle.loadSigned(signedRevision("1.4.11"), trusted));
            assertThat(g.policy().revision()).isEqualTo("1.4.11");
        }
    }

    /** The same across a restart: the revision file's mark refuses an unordered release at build. */
    @Test
    void aRevisionFileRefusesARevisionWithNoOrderAgainstItsMarkAtBuild() throws Exception {
        Path marks = tmp.resolve("marks.json");
        guardWithMarks(signedRevision("2026-11-30.10"), marks).close();
        Path noManifest = GuardFixtures.bundle(tmp.resolve("old")).write();
        BundleSigner.sign(noManifest, release, "ES256", "release-1");
        assertThatThrownBy(() -> guardWithMarks(noManifest, marks)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("revision '' of signed bundle 'guard-test' has no order against the signed "
                        + "revision '2026-11-30.10' this Guard has had in force (or another Guard using " + marks + ")");
    }

    @Test
    void revisionsWithoutAnOrderAreNotCompared() throws Exception {
        try (Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(signedRevision("f1d2d2f9"), trusted))
                .audit(AuditLog.jsonLines(tmp.resolve("audit.jsonl"))).build()) {
            g.reload(PolicyBundle.loadSigned(signedRevision("0beec7b5"), trusted)); // git commit ids
            assertThat(g.policy().revision()).isEqualTo("0beec7b5");
        }
    }

    // ---------------------------------------------------------------- rollback across restarts

    private Guard<double[]> guardWithMarks(Path bundle, Path marks) {
        return Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A).as(GuardFixtures.INFO_A))
                .policy(PolicyBundle.loadSigned(bundle, trusted)).revisionFile(marks)
                .audit(AuditLog.jsonLines(tmp.resolve("audit-" + System.nanoTime() + ".jsonl"))).build();
    }

    @Test
    void aRevisionFileKeepsTheRollbackMarkAcrossRestarts() throws Exception {
        Path marks = tmp.resolve("revisions.json");
        Path r8 = signedRevision("2026-11-30.8");
        Path r10 = signedRevision("2026-11-30.10");
        try (Guard<double[]> g = guardWithMarks(r8, marks)) {
            assertThat(Files.readString(marks)).contains("\"guard-test\" : \"2026-11-30.8\"");
            g.reload(PolicyBundle.loadSigned(r10, trusted));
            assertThat(Files.readString(marks)).contains("\"guard-test\" : \"2026-11-30.10\"");
        }
        // a restart with the older release: refused at build, the file unchanged
        assertThatThrownBy(() -> guardWithMarks(r8, marks)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("revision '2026-11-30.8' of signed bundle 'guard-test' is older than the signed "
                        + "revision '2026-11-30.10' this Guard has had in force (or another Guard using " + marks
                        + ")");
        assertThat(Files.readString(marks)).contains("2026-11-30.10");
        // without the file a new Guard has no history
        try (Guard<double[]> fresh = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(r8, trusted))
                .audit(AuditLog.jsonLines(tmp.resolve("audit-fresh.jsonl"))).build()) {
            assertThat(fresh.policy().revision()).isEqualTo("2026-11-30.8");
        }
    }

    @Test
    void guardsSharingARevisionFileSeeEachOthersMarksOnReload() throws Exception {
        Path marks = tmp.resolve("revisions.json");
        Path r9 = signedRevision("2026-11-30.9");
        try (Guard<double[]> a = guardWithMarks(signedRevision("2026-11-30.8"), marks);
                Guard<double[]> b = guardWithMarks(signedRevision("2026-11-30.8"), marks)) {
            a.reload(PolicyBundle.loadSigned(signedRevision("2026-11-30.10"), trusted));
            assertThatThrownBy(() -> b.reload(PolicyBundle.loadSigned(r9, trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("older than the signed revision "
                            + "'2026-11-30.10'");
            assertThat(b.policy().revision()).isEqualTo("2026-11-30.8");
            // unsigned bundles leave the file alone; a signed revision without an order is refused
            b.reload(PolicyBundle.load(r9));
            assertThatThrownBy(() -> a.reload(PolicyBundle.loadSigned(signedRevision("f1d2d2f9"), trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("has no order");
            assertThat(Files.readString(marks)).contains("2026-11-30.10").doesNotContain("f1d2d2f9");
        }
    }

    @Test
    void aRevisionFileThatCannotBeUsedFailsClosed() throws Exception {
        Path r8 = signedRevision("2026-11-30.8");
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"signed_revisions\": {\"guard-test\": \"f1d2d2f9\"}}");
        assertThatThrownBy(() -> guardWithMarks(r8, broken)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("not a revision file: the mark of bundle 'guard-test' must be a revision with an "
                        + "order (a date or a version), was \"f1d2d2f9\". Restore it, or delete it to forget every mark");
        Files.writeString(broken, "[]");
        assertThatThrownBy(() -> guardWithMarks(r8, broken)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("not a revision file: it must be an object with the one key \"signed_revisions\"");
        Files.writeString(broken, "{");
        assertThatThrownBy(() -> guardWithMarks(r8, broken)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("not a revision file: it is not JSON");
        assertThatThrownBy(() -> guardWithMarks(r8, tmp.resolve("no-such-dir/revisions.json")))
                .isInstanceOf(PolicyLoadException.class).hasMessageContaining("the directory of the revision file "
                        + "does not exist");

        // a mark that cannot be written: the newer bundle does not come into force
        Path marks = tmp.resolve("revisions.json");
        try (Guard<double[]> g = guardWithMarks(r8, marks)) {
            Files.createDirectory(tmp.resolve("revisions.json.tmp")); // the temporary file cannot be made
            assertThatThrownBy(() -> g.reload(PolicyBundle.loadSigned(signedRevision("2026-11-30.10"), trusted)))
                    .isInstanceOf(PolicyLoadException.class).hasMessageContaining("the revision file could not be "
                            + "written").hasMessageContaining("so revision '2026-11-30.10' of signed bundle 'guard-test' "
                            + "was not put in force");
            assertThat(g.policy().revision()).isEqualTo("2026-11-30.8");
            assertThat(Files.readString(marks)).contains("2026-11-30.8");
        }
    }

    @Test
    void aGuardThatIsNotBuiltRaisesNoMarkAndAMarkThatNeedsNoWriteNeedsNoLock() throws Exception {
        Path marks = tmp.resolve("revisions.json");
        Path r1 = signedRevision("2026-11-30.1");
        Path r2 = signedRevision("2026-11-30.2");
        guardWithMarks(r1, marks).close();
        // the audit log cannot be opened: no Guard, and the file keeps .1
        assertThatThrownBy(() -> Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(r2, trusted)).revisionFile(marks)
                .audit(AuditLog.jsonLines(tmp.resolve("no-such-dir/audit.jsonl"))).build())
                .isInstanceOf(AuditException.class);
        assertThat(Files.readString(marks)).contains("2026-11-30.1").doesNotContain("2026-11-30.2");
        // the lock file cannot be made (here: a directory in its place, as a read-only directory would
        // refuse it): a bundle that raises nothing still builds, one that would raise the mark does not
        Files.delete(tmp.resolve("revisions.json.lock"));
        Files.createDirectory(tmp.resolve("revisions.json.lock"));
        guardWithMarks(r1, marks).close();
        assertThatThrownBy(() -> guardWithMarks(r2, marks)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("the revision file could not be written");
        // the last step of build failed: the audit log it had opened and the state store it was given
        // are closed (the store was created inline, so no one else could close it)
        Path audit = tmp.resolve("audit-unbuilt.jsonl");
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        dev.veil.spi.StateStore store = new ForwardingStateStore(new dev.veil.internal.state.MemoryStateStore(1 << 20,
                java.time.Clock.systemUTC(), 100)) {
            @Override
            public void close() {
                closes.incrementAndGet();
                super.close();
            }
        };
        assertThatThrownBy(() -> Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(PolicyBundle.loadSigned(r2, trusted)).revisionFile(marks)
                .stateStore(store).audit(AuditLog.jsonLines(audit)).build()).isInstanceOf(PolicyLoadException.class);
        assertThat(closes).hasValue(1);
        try (dev.veil.internal.audit.AuditWriter w = dev.veil.internal.audit.AuditWriters.open(AuditLog.jsonLines(audit))) {
            assertThat(w.stats().recordsWritten()).isZero(); // its file is free for a new writer
        }
    }
}
