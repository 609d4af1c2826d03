package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static dev.veil.internal.bundle.Fixtures.errors;
import static dev.veil.internal.bundle.Fixtures.tarGz;
import static dev.veil.internal.bundle.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.veil.PolicyError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BundleSignatureTest {
    private static RSAKey rsa;
    private static RSAKey otherRsa;
    private static ECKey p256;
    private static ECKey p384;
    private static ECKey p521;
    private static OctetSequenceKey hmac;

    @TempDir
    Path dir;

    /** Archives of {@link #dir} are written here: not inside the bundle, not beside the temporary directory. */
    @TempDir
    Path archiveDir;

    @BeforeAll
    static void keys() throws JOSEException {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        otherRsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        p256 = new ECKeyGenerator(Curve.P_256).keyID("ec-256").generate();
        p384 = new ECKeyGenerator(Curve.P_384).keyID("ec-384").generate();
        p521 = new ECKeyGenerator(Curve.P_521).keyID("ec-521").generate();
        hmac = new OctetSequenceKeyGenerator(512).keyID("hs").generate();
    }

    private Path bundle() {
        write(dir, ".manifest", "{\"revision\": \"1\", \"roots\": [\"veil\"]}");
        write(dir, "veil/data.json", "{\"rate\": 10, \"ratio\": 1.50}");
        write(dir, "veil/keys/data.yaml", "alice: reader\n");
        write(dir, "veil/policy.rego", "package veil\n");
        write(dir, "veil/output.veil.yaml", "output:\n  top_k: 1\n");
        return dir;
    }

    private static JWK signingKey(String alg) {
        if (alg.startsWith("HS")) {
            return hmac;
        }
        if (alg.startsWith("RS") || alg.startsWith("PS")) {
            return rsa;
        }
        return alg.equals("ES256") ? p256 : alg.equals("ES384") ? p384 : p521;
    }

    private static JWKSet publicKeys() {
        return new JWKSet(List.of(rsa.toPublicJWK(), p256.toPublicJWK(), p384.toPublicJWK(), p521.toPublicJWK(),
                hmac));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
            "ES384", "ES512"})
    void shouldSignAndVerifyWithEverySupportedAlgorithm(String alg) {
        JWK key = signingKey(alg);
        Path written = BundleSigner.sign(bundle(), key, alg, key.getKeyID());
        assertThat(written).isEqualTo(dir.resolve(".signatures.json"));

        BundleSignature s = BundleVerifier.verify(BundleLoader.load(dir), publicKeys());
        assertThat(s.algorithm()).isEqualTo(alg);
        assertThat(s.keyId()).isEqualTo(key.getKeyID());
        assertThat(s.scope()).isEmpty();
        assertThat(s.files()).containsExactly(".manifest", "veil/data.json", "veil/keys/data.yaml",
                "veil/output.veil.yaml", "veil/policy.rego");
    }

    @Test
    void shouldWriteOpaSignatureFormat() throws Exception {
        BundleSigner.sign(bundle(), rsa, null, "rsa-1");
        LoadedBundle b = BundleLoader.load(dir);
        @SuppressWarnings("unchecked")
        List<String> signatures = (List<String>) Fixtures.asMap(DocumentParser.parse(b.read(".signatures.json"),
                DocumentParser.Format.JSON, "s").value()).get("signatures");
        assertThat(signatures).hasSize(1);
        JWSObject jws = JWSObject.parse(signatures.get(0));
        assertThat(jws.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(jws.getHeader().getKeyID()).isEqualTo("rsa-1");
        var payload = Fixtures.asMap(DocumentParser.parse(jws.getPayload().toBytes(), DocumentParser.Format.JSON, "p")
                .value());
        assertThat(payload.keySet()).containsExactly("files", "keyid");
        @SuppressWarnings("unchecked")
        List<Object> files = (List<Object>) payload.get("files");
        var rego = files.stream().map(Fixtures::asMap).filter(f -> f.get("name").equals("veil/policy.rego"))
                .findFirst().orElseThrow();
        assertThat(rego).containsEntry("algorithm", "SHA-256").containsEntry("hash", HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest("package veil\n".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void shouldVerifyTarGzMadeFromSignedDirectory() {
        BundleSigner.sign(bundle(), p256, "ES256", "ec-256");
        Path tgz = tarGz(dir, archiveDir.resolve("signed.tar.gz"));
        assertThat(BundleVerifier.verify(BundleLoader.load(tgz), publicKeys()).keyId()).isEqualTo("ec-256");
    }

    /**
     * tar -czf b.tar.gz rb puts rb/.signatures.json in the archive, where it is a hidden file: the
     * load fails and says how to pack it (before, an unsigned bundle whose .manifest was ignored
     * loaded when no key was asked for, and only a verification explained it).
     */
    @Test
    void shouldRefuseAnArchivePackedWithItsFolder(@TempDir Path out) {
        BundleSigner.sign(bundle(), p256, "ES256", "ec-256");
        String folder = dir.getFileName().toString();
        Path tgz = out.resolve("b.tar.gz");
        Fixtures.run(dir.getParent(), "tar", "-czf", tgz.toString(), folder);
        PolicyError e = error(() -> BundleLoader.load(tgz));
        assertThat(e.message()).isEqualTo("bundle " + tgz + " is packed one folder down: every"
                + " entry is in the folder '" + folder + "/', whose " + folder + "/.manifest and " + folder
                + "/.signatures.json are ignored (only the bundle's top holds them): the archive was packed with its"
                + " folder; pack the contents: tar -C " + folder + " -czf b.tar.gz .");

        Fixtures.run(dir.getParent(), "tar", "-C", folder, "-czf", tgz.toString(), ".");
        assertThat(BundleVerifier.verify(BundleLoader.load(tgz), publicKeys()).keyId()).isEqualTo("ec-256");
    }

    @Test
    void shouldRefuseTheFolderAboveABundle(@TempDir Path out) {
        write(out, "rb/.signatures.json", "{\"signatures\": []}");
        write(out, "rb/veil/policy.rego", "package veil\n");
        PolicyError e = error(() -> BundleLoader.load(out));
        assertThat(e.message()).isEqualTo("bundle " + out + " is packed one folder down: every"
                + " entry is in the folder 'rb/', whose rb/.signatures.json is ignored (only the bundle's top holds"
                + " them): that folder is the bundle; load " + out.resolve("rb") + " instead");
        // a file beside the folder: not a bundle packed in a folder
        write(out, "README", "x");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(out), publicKeys())).message())
                .isEqualTo("missing signature: the bundle has no .signatures.json; sign it with `veil bundle sign`");
    }

    /** An unsigned bundle whose .manifest is a folder down: refused, or its roots and revision would be lost unsaid. */
    @Test
    void shouldRefuseAManifestAFolderDown(@TempDir Path out) {
        write(out, "qs/.manifest", "{\"revision\": \"quickstart-1\", \"roots\": [\"veil\"]}");
        write(out, "qs/veil/policy.rego", "package veil\n");
        assertThat(error(() -> BundleLoader.load(out)).message()).isEqualTo("bundle " + out + " is packed one folder"
                + " down: every entry is in the folder 'qs/', whose qs/.manifest is ignored (only the bundle's top"
                + " holds them): that folder is the bundle; load " + out.resolve("qs") + " instead");
        assertThat(BundleLoader.load(out.resolve("qs")).manifest().revision()).isEqualTo("quickstart-1");
    }

    @Test
    void shouldVerifyWithPlainPublicKeys() throws JOSEException {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), rsa.toRSAPublicKey()).algorithm()).isEqualTo("RS256");
        BundleSigner.sign(dir, p384, "ES384", null);
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), p384.toECPublicKey()).keyId()).isNull();
    }

    @Test
    void shouldRejectPublicKeysOtherThanRsaAndEc() throws Exception {
        bundle();
        java.security.PublicKey ed = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
                .getPublic();
        assertThatThrownBy(() -> BundleVerifier.verify(BundleLoader.load(dir), ed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key must be an RSA or EC public key, was EdDSA");
    }

    @Test
    void shouldResignOverAnExistingSignature() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        write(dir, "veil/policy.rego", "package veil\n\nallow := true\n");
        BundleSigner.sign(dir, rsa, "RS256", "rsa-1");
        BundleVerifier.verify(BundleLoader.load(dir), publicKeys());
        assertThat(dir.resolve(".signatures.json.tmp")).doesNotExist();
    }

    @Test
    void shouldRejectUnsignedBundle() {
        PolicyError e = error(() -> BundleVerifier.verify(BundleLoader.load(bundle()), publicKeys()));
        assertThat(e.file()).isEqualTo(".signatures.json");
        assertThat(e.message()).startsWith("missing signature: the bundle has no .signatures.json");
    }

    @Test
    void shouldRejectSignatureFileWithoutJws() {
        write(bundle(), ".signatures.json", "{\"signatures\": []}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .startsWith("missing signature: .signatures.json holds no JWS");
    }

    @Test
    void shouldRejectSeveralJws() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        String jws = token(dir);
        write(dir, ".signatures.json", "{\"signatures\": [\"" + jws + "\", \"" + jws + "\"]}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: .signatures.json holds 2 JWS; exactly one is supported");
    }

    @Test
    void shouldRejectMalformedSignatureFiles() {
        bundle();
        write(dir, ".signatures.json", "{\"signatures\": [\"not-a-jws\"]}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .startsWith("bad signature: the signature is not a compact JWS");
        write(dir, ".signatures.json", "{\"signatures\": [1]}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: 'signatures' must be a list holding one JWS string");
        write(dir, ".signatures.json", "{\"signatures\": [\"a.b.c\"], \"extra\": 1}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: unknown key 'extra' in .signatures.json");
        write(dir, ".signatures.json", "{\"signatures\": [\"a.b.c\"], \"plugin\": \"kms\"}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: signature plugin 'kms' is not supported");
        write(dir, ".signatures.json", "{\"signatures\": [\n\"a\" oops]}");
        PolicyError syntax = error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
        assertThat(syntax.message()).startsWith("bad signature: .signatures.json is not valid JSON");
        assertThat(syntax.line()).isEqualTo(2);
    }

    @Test
    void shouldRejectChangedFileNamingIt() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        write(dir, "veil/policy.rego", "package veil\n\ndefault allow := true\n");
        PolicyError e = error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
        assertThat(e.file()).isEqualTo("veil/policy.rego");
        assertThat(e.message()).isEqualTo("hash mismatch: 'veil/policy.rego' differs from the signed version; it was"
                + " changed after signing");
    }

    @Test
    void shouldHashStructuredDocumentsOverTheirValue() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        write(dir, "veil/data.json", "{\n  \"ratio\": 1.50,\n  \"rate\": 10\n}\n");
        write(dir, ".manifest", "{\"roots\": [\"veil\"],   \"revision\": \"1\"}");
        write(dir, "veil/keys/data.yaml", "# a comment\n\"alice\": 'reader'\n");
        BundleVerifier.verify(BundleLoader.load(dir), publicKeys());

        write(dir, "veil/data.json", "{\"rate\": 10, \"ratio\": 1.5}");
        PolicyError e = error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
        assertThat(e.message()).startsWith("hash mismatch: 'veil/data.json'");
    }

    /** OPA's hash reads a lone surrogate as U+FFFD: a signed U+FFFD would vouch for a lone surrogate. */
    @Test
    void shouldNotLoadALoneSurrogateWhereTheSignedDataHeldTheReplacementCharacter() {
        write(bundle(), "veil/data.json", "{\"s\": \"\\ufffd\"}");
        BundleSigner.sign(dir, p256, "ES256", "ec-256");
        assertThat(BundleLoader.load(dir).data()).isEqualTo(java.util.Map.of("veil", java.util.Map.of("s", "\ufffd",
                "keys", java.util.Map.of("alice", "reader"))));
        write(dir, "veil/data.json", "{\"s\": \"\\ud800\"}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("veil/data.json");
        assertThat(e.message()).startsWith("the string at s holds an unpaired surrogate \\ud800,");
    }

    @Test
    void shouldHashOtherYamlFilesOverTheirBytesAsOpaDoes() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        write(dir, "veil/output.veil.yaml", "output:\n    top_k: 1\n");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).file())
                .isEqualTo("veil/output.veil.yaml");
    }

    @Test
    void shouldRejectAddedAndRemovedFilesNamingEach() throws Exception {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        write(dir, "veil/extra.rego", "package veil.extra\n");
        Files.delete(dir.resolve("veil/output.veil.yaml"));
        List<PolicyError> errors = errors(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
        assertThat(errors).extracting(PolicyError::file).containsExactly("veil/extra.rego", "veil/output.veil.yaml");
        assertThat(errors.get(0).message()).isEqualTo("file list mismatch: 'veil/extra.rego' is in the bundle but not"
                + " in its signature; re-sign the bundle or remove the file");
        assertThat(errors.get(1).message()).isEqualTo("file list mismatch: 'veil/output.veil.yaml' is listed in the"
                + " signature but missing from the bundle");
    }

    @Test
    void shouldIgnoreHiddenFilesAddedAfterSigning() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        write(dir, ".git/HEAD", "ref: main\n");
        BundleVerifier.verify(BundleLoader.load(dir), publicKeys());
    }

    @Test
    void shouldRejectSignatureFromAnotherKeyWithTheSameId() {
        BundleSigner.sign(bundle(), otherRsa, "RS256", "rsa-1");
        PolicyError e = error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
        assertThat(e.message()).startsWith("bad signature: the JWS does not verify with key 'rsa-1'");
    }

    @Test
    void shouldRejectTamperedPayload() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1");
        String[] parts = token(dir).split("\\.");
        String forged = Base64URL.encode("{\"files\": []}").toString();
        write(dir, ".signatures.json", "{\"signatures\": [\"" + parts[0] + "." + forged + "." + parts[2] + "\"]}");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .startsWith("bad signature: the JWS does not verify");
    }

    @Test
    void shouldRejectAKeyPastItsExpirationOrBeforeItsNotBeforeTime() throws Exception {
        BundleSigner.sign(bundle(), p256, "ES256", "ec-256");
        java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(p256.toPublicJWK().toJSONObject());
        json.put("exp", 1_000_000_000L);
        JWK expired = JWK.parse(json);
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), new JWKSet(expired))).message())
                .matches("bad signature: key 'ec-256' expired at 2001-09-09T01:46:40Z \\(its JWK exp; now is"
                        + " \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ by the system clock, with 30 s of tolerance\\); sign the bundle with a current key");
        json.remove("exp");
        json.put("nbf", 4_000_000_000L);
        JWK notYet = JWK.parse(json);
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), new JWKSet(notYet))).message())
                .startsWith("bad signature: key 'ec-256' is not valid before 2096-10-02T07:06:40Z (its JWK nbf; now is ")
                .endsWith(" by the system clock, with 30 s of tolerance); sign the bundle with a key valid now, or check this machine's clock");
        json.put("nbf", 1_000_000_000L);
        json.put("exp", 4_000_000_000L);
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), new JWKSet(JWK.parse(json))).keyId())
                .isEqualTo("ec-256");
        // an expired key beside the one that signed (a rotation) is not in the way
        json.put("kid", "old");
        json.put("exp", 1_000_000_000L);
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), new JWKSet(List.of(JWK.parse(json),
                p256.toPublicJWK()))).keyId()).isEqualTo("ec-256");
    }

    /**
     * A signing key's exp and nbf get the tolerance a JWKS key of the JWT path gets (the default
     * jwt.clock_skew_seconds, 30 s), with the same edges: valid from nbf - 30 s, expired from
     * exp + 30 s.
     */
    @Test
    void shouldCompareTheValidityPeriodWithTheTimeOfVerificationWithTheJwtPathsTolerance() throws Exception {
        assertThat(BundleVerifier.CLOCK_SKEW_SECONDS).isEqualTo(30)
                .isEqualTo(dev.veil.internal.access.JwtAuthenticator.DEFAULT_CLOCK_SKEW_SECONDS);
        java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(p256.toPublicJWK().toJSONObject());
        json.put("nbf", 1_000L);
        json.put("exp", 2_000L);
        JWK key = JWK.parse(json);
        assertThatThrownBy(() -> BundleVerifier.checkValidNow(key, java.time.Instant.ofEpochSecond(969, 999_999_999)))
                .hasMessage("policy bundle rejected: .signatures.json: bad signature: key 'ec-256' is not valid before"
                        + " 1970-01-01T00:16:40Z (its JWK nbf; now is"
                        + " 1970-01-01T00:16:09Z by the system clock, with 30 s of tolerance); sign the bundle with a key"
                        + " valid now, or check this machine's clock");
        BundleVerifier.checkValidNow(key, java.time.Instant.ofEpochSecond(970));
        BundleVerifier.checkValidNow(key, java.time.Instant.ofEpochSecond(1_000));
        BundleVerifier.checkValidNow(key, java.time.Instant.ofEpochSecond(2_000)); // exp itself: within the tolerance
        BundleVerifier.checkValidNow(key, java.time.Instant.ofEpochSecond(2_029, 999_999_999));
        assertThatThrownBy(() -> BundleVerifier.checkValidNow(key, java.time.Instant.ofEpochSecond(2_030)))
                .hasMessage("policy bundle rejected: .signatures.json: bad signature: key 'ec-256' expired at"
                        + " 1970-01-01T00:33:20Z (its JWK exp; now is"
                        + " 1970-01-01T00:33:50Z by the system clock, with 30 s of tolerance); sign the bundle with a"
                        + " current key");
    }

    /**
     * The edges of a signing key's window as the JWT path's (Validity): a key whose exp is not after
     * its nbf is never valid, whatever the time (before, one inverted by less than 60 s was valid for a
     * moment); a key without nbf or exp is open on that side.
     */
    @Test
    void shouldTreatAKeyWithExpBeforeNbfOrWithoutEitherAsTheJwtPathDoes() throws Exception {
        java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(p256.toPublicJWK().toJSONObject());
        json.put("nbf", 2_000L);
        json.put("exp", 1_000L);
        JWK inverted = JWK.parse(json);
        json.put("nbf", 1_000L);
        json.put("exp", 1_020L); // a real window of 20 s
        JWK shortWindow = JWK.parse(json);
        json.put("exp", 1_000L);
        JWK empty = JWK.parse(json);
        for (long at : new long[] {0, 975, 1_000, 1_029, 1_030, 2_000}) {
            assertThatThrownBy(() -> BundleVerifier.checkValidNow(inverted, java.time.Instant.ofEpochSecond(at)))
                    .hasMessage("policy bundle rejected: .signatures.json: bad signature: key 'ec-256' is never valid:"
                            + " its JWK exp (1970-01-01T00:16:40Z) is not after its nbf (1970-01-01T00:33:20Z); sign the"
                            + " bundle with a current key");
            assertThatThrownBy(() -> BundleVerifier.checkValidNow(empty, java.time.Instant.ofEpochSecond(at)))
                    .hasMessageContaining("is never valid");
        }
        BundleVerifier.checkValidNow(shortWindow, java.time.Instant.ofEpochSecond(975)); // widened by the tolerance
        json.put("nbf", 2_000L);
        json.put("exp", 1_000L);

        json.remove("nbf");
        JWK noNbf = JWK.parse(json);
        BundleVerifier.checkValidNow(noNbf, java.time.Instant.ofEpochSecond(-1_000_000));
        BundleVerifier.checkValidNow(noNbf, java.time.Instant.ofEpochSecond(1_029, 999_999_999));
        assertThatThrownBy(() -> BundleVerifier.checkValidNow(noNbf, java.time.Instant.ofEpochSecond(1_030)))
                .hasMessageContaining("expired at");
        json.remove("exp");
        json.put("nbf", 2_000L);
        JWK noExp = JWK.parse(json);
        assertThatThrownBy(() -> BundleVerifier.checkValidNow(noExp, java.time.Instant.ofEpochSecond(1_969, 999_999_999)))
                .hasMessageContaining("is not valid before");
        BundleVerifier.checkValidNow(noExp, java.time.Instant.ofEpochSecond(1_970));
        BundleVerifier.checkValidNow(noExp, java.time.Instant.parse("9999-12-31T23:59:59Z"));
        json.remove("nbf");
        BundleVerifier.checkValidNow(JWK.parse(json), java.time.Instant.ofEpochSecond(0));
    }

    @Test
    void shouldRejectUnknownKeyId() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rotated-away");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: no verification key with id 'rotated-away' (configured: [rsa-1, ec-256,"
                        + " ec-384, ec-521, hs])");
    }

    @Test
    void shouldRejectAKeyIdThatTheOneTrustedKeyWithoutAnIdDoesNotHave() throws Exception {
        // the signature says it was made with rel-1; a trusted key that names no id is not rel-1
        BundleSigner.sign(bundle(), rsa, "RS256", "rel-1");
        com.nimbusds.jose.jwk.JWK noKid = new com.nimbusds.jose.jwk.RSAKey.Builder(rsa.toRSAKey().toRSAPublicKey())
                .build();
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), new com.nimbusds.jose.jwk.JWKSet(noKid)))
                .message()).isEqualTo("bad signature: no verification key with id 'rel-1' (configured: [(no id)])");
    }

    @Test
    void shouldRequireKeyIdWhenSeveralKeysAreConfigured() {
        BundleSigner.sign(bundle(), rsa, "RS256", null);
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: the signature names no key id (kid) and 5 verification keys are"
                        + " configured; sign with a key id");
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), rsa.toPublicJWK()).keyId()).isNull();
    }

    @Test
    void shouldFallBackToDeprecatedKeyidClaim() throws Exception {
        bundle();
        String payload = "{\"files\": " + filesJson() + ", \"keyid\": \"rsa-1\"}";
        writeToken(rsaToken(new JWSHeader.Builder(JWSAlgorithm.RS256).build(), payload));
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), publicKeys()).keyId()).isEqualTo("rsa-1");
    }

    @Test
    void shouldRejectAlgorithmConfusion() throws Exception {
        bundle();
        // An attacker signs with HS256 using the RSA public key's bytes as the secret.
        OctetSequenceKey forged = new OctetSequenceKey.Builder(rsa.toPublicJWK().toJSONString()
                .getBytes(StandardCharsets.UTF_8)).keyID("rsa-1").build();
        BundleSigner.sign(dir, forged, "HS256", "rsa-1");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: key 'rsa-1' is an RSA key but HS256 needs a shared secret (an oct key)");
    }

    @Test
    void shouldRejectKeyPinnedToAnotherAlgorithm() throws JOSEException {
        BundleSigner.sign(bundle(), rsa, "PS256", "rsa-1");
        JWK pinned = new RSAKey.Builder(rsa.toRSAPublicKey()).keyID("rsa-1").algorithm(JWSAlgorithm.RS256).build();
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), pinned)).message())
                .isEqualTo("bad signature: key 'rsa-1' is for RS256, not PS256");
    }

    @Test
    void shouldRejectEcKeyOnTheWrongCurve() {
        BundleSigner.sign(bundle(), p256, "ES256", "ec");
        JWK wrong = new ECKey.Builder(p384.toPublicJWK()).keyID("ec").build();
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), wrong)).message())
                .startsWith("bad signature: key 'ec' is on curve P-384 but ES256 needs");
    }

    @Test
    void shouldRejectUnsupportedJwsAlgorithms() {
        bundle();
        for (String alg : List.of("none", "ES256K", "EdDSA", "XS999")) {
            String header = Base64URL.encode("{\"alg\":\"" + alg + "\",\"kid\":\"rsa-1\"}").toString();
            String payload = Base64URL.encode("{\"files\": []}").toString();
            writeToken(header + "." + payload + ".c2ln");
            PolicyError e = error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
            assertThat(e.message()).as(alg).startsWith(alg.equals("none")
                    ? "unsupported algorithm: the signature uses alg none (an unsecured JWS, which anyone can make),"
                            + " which is always refused; accepted: [HS256"
                    : "unsupported algorithm: the signature uses " + alg + "; accepted: [HS256");
        }
        // an unsecured JWS proper: no signature part
        String none = Base64URL.encode("{\"alg\":\"none\"}") + "." + Base64URL.encode("{\"files\": []}") + ".";
        writeToken(none);
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .startsWith("unsupported algorithm: the signature uses alg none");
    }

    @Test
    void shouldRejectWeakOrUnknownHashAlgorithms() throws Exception {
        bundle();
        String payload = filesJson().replace("\"SHA-256\"", "\"MD5\"");
        writeToken(rsaToken(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                "{\"files\": " + payload + "}"));
        List<PolicyError> errors = errors(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys()));
        assertThat(errors).hasSize(5).allSatisfy(e -> assertThat(e.message())
                .startsWith("unsupported algorithm: hash algorithm 'MD5' for '" + e.file() + "' is not accepted"));
    }

    @Test
    void shouldRejectFileEntryWithoutHashAlgorithm() throws Exception {
        bundle();
        String payload = filesJson().replace(",\"algorithm\":\"SHA-256\"", "");
        writeToken(rsaToken(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                "{\"files\": " + payload + "}"));
        assertThat(errors(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).get(0).message())
                .startsWith("bad signature: no hash algorithm given for");
    }

    @Test
    void shouldAcceptOtherShaAlgorithmsAndUpperCaseHex() throws Exception {
        bundle();
        LoadedBundle b = BundleLoader.load(dir);
        StringBuilder files = new StringBuilder("[");
        for (String f : b.files()) {
            files.append(files.length() > 1 ? "," : "").append("{\"name\":\"").append(f).append("\",\"hash\":\"")
                    .append(BundleHasher.hash(f, b.read(f), "SHA-512").toUpperCase())
                    .append("\",\"algorithm\":\"SHA-512\"}");
        }
        writeToken(rsaToken(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                "{\"files\": " + files + "]}"));
        BundleVerifier.verify(BundleLoader.load(dir), publicKeys());
    }

    @Test
    void shouldCheckScope() {
        BundleSigner.sign(bundle(), rsa, "RS256", "rsa-1", "write");
        assertThat(error(() -> BundleVerifier.verify(BundleLoader.load(dir), publicKeys())).message())
                .isEqualTo("bad signature: scope mismatch: the signature has scope 'write' but '' is required");
        assertThat(BundleVerifier.verify(BundleLoader.load(dir), publicKeys(), "write").scope()).isEqualTo("write");
    }

    @Test
    void shouldRejectSigningWithUnfitKeysOrAlgorithms() {
        bundle();
        assertThatThrownBy(() -> BundleSigner.sign(dir, rsa, "none", "k")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("alg must be one of [HS256");
        assertThatThrownBy(() -> BundleSigner.sign(dir, rsa.toPublicJWK(), "RS256", "k"))
                .hasMessage("key must fit RS256: key 'rsa-1' is a public key; signing needs the private key");
        assertThatThrownBy(() -> BundleSigner.sign(dir, p256, "RS256", "k"))
                .hasMessage("key must fit RS256: key 'ec-256' is an EC key but RS256 needs an RSA key");
        assertThatThrownBy(() -> BundleSigner.sign(dir, p256, "ES384", "k"))
                .hasMessageStartingWith("key must fit ES384: key 'ec-256' is on curve P-256");
        assertThatThrownBy(() -> BundleSigner.sign(dir.resolve("veil/policy.rego"), rsa, "RS256", "k"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("dir must be a bundle directory");
    }

    @Test
    void shouldNotSignAnInvalidBundle() {
        write(bundle(), "veil/data.json", "{");
        assertThat(error(() -> BundleSigner.sign(dir, rsa, "RS256", "k")).file()).isEqualTo("veil/data.json");
        assertThat(dir.resolve(".signatures.json")).doesNotExist();
    }

    private String filesJson() {
        LoadedBundle b = BundleLoader.load(dir);
        StringBuilder sb = new StringBuilder("[");
        for (String f : b.files()) {
            if (f.equals(".signatures.json")) {
                continue;
            }
            sb.append(sb.length() > 1 ? "," : "").append("{\"name\":\"").append(f).append("\",\"hash\":\"")
                    .append(BundleHasher.hash(f, b.read(f), "SHA-256")).append("\",\"algorithm\":\"SHA-256\"}");
        }
        return sb.append(']').toString();
    }

    private static String rsaToken(JWSHeader header, String payload) throws JOSEException {
        JWSObject jws = new JWSObject(header, new Payload(payload));
        jws.sign(new RSASSASigner(rsa));
        return jws.serialize();
    }

    private void writeToken(String token) {
        write(dir, ".signatures.json", "{\"signatures\": [\"" + token + "\"]}");
    }

    private static String token(Path dir) {
        String json = new String(BundleLoader.load(dir).read(".signatures.json"), StandardCharsets.UTF_8);
        int start = json.indexOf("[\"") + 2;
        return json.substring(start, json.indexOf('"', start));
    }
}
