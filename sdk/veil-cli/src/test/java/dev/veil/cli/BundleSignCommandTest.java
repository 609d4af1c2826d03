package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil bundle sign}, {@code veil bundle verify} and {@code veil bundle inspect --trusted-keys}. */
class BundleSignCommandTest {
    private static ECKey ec;
    private static ECKey otherEc;
    private static RSAKey rsa;

    @TempDir
    Path tmp;

    QuickstartBundle bundle;
    Path privateKey;
    Path trusted;

    @BeforeAll
    static void keys() throws JOSEException {
        ec = new ECKeyGenerator(Curve.P_256).keyID("release-1").generate();
        otherEc = new ECKeyGenerator(Curve.P_256).keyID("release-1").generate();
        rsa = new RSAKeyGenerator(2048).generate();
    }

    @BeforeEach
    void writeBundleAndKeys() throws Exception {
        bundle = quickstartBundle(tmp.resolve("bundle"));
        privateKey = tmp.resolve("release-1.private.jwk");
        Files.writeString(privateKey, ec.toJSONString());
        trusted = tmp.resolve("trusted.jwks");
        Files.writeString(trusted, new JWKSet(ec.toPublicJWK()).toString());
    }

    private void sign() {
        Result r = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey));
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @Test
    void roundTripSignWithTheCliVerifyWithTheCliLoadWithTheApi() {
        Result signed = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey));
        assertThat(signed.exit()).as(signed.toString()).isZero();
        assertThat(signed.err()).isEmpty();
        assertThat(signed.outLines()).containsExactly("signed 3 files with ES256, key id release-1: wrote "
                + bundle.dir().resolve(".signatures.json"));
        assertThat(signed.out()).doesNotContain(ec.getD().toString());

        Result verified = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(verified.exit()).as(verified.toString()).isZero();
        assertThat(verified.err()).isEmpty();
        assertThat(verified.outLines()).containsExactly("ok: signed by release-1, 3 files");

        PolicyBundle loaded = PolicyBundle.loadSigned(bundle.dir(), trusted);
        assertThat(loaded.name()).isEqualTo("loan-quickstart");
        assertThat(loaded.revision()).isEqualTo("quickstart-1");
    }

    @Test
    void kidAndAlgOptionsOverrideTheKeysOwn() throws Exception {
        Path rsaKey = tmp.resolve("rsa.jwk");
        Files.writeString(rsaKey, rsa.toJSONString());
        Result r = veil("bundle", "sign", s(bundle.dir()), "--key", s(rsaKey), "--kid", "ops-2", "--alg", "PS384");
        assertThat(r.outLines()).as(r.toString()).containsExactly("signed 3 files with PS384, key id ops-2: wrote "
                + bundle.dir().resolve(".signatures.json"));
        assertThat(r.errLines()).containsExactly("veil bundle sign: note: the key has no kid of its own: the trusted "
                + "copy of its public half must carry \"kid\": \"ops-2\", or the signature names a key nobody trusts");
        Files.writeString(trusted, new JWKSet(new RSAKey.Builder(rsa.toRSAPublicKey()).keyID("ops-2").build())
                .toString());
        assertThat(veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted)).outLines())
                .containsExactly("ok: signed by ops-2, 3 files");
    }

    @Test
    void aKidOtherThanTheKeysOwnIsRefusedAndNothingIsWritten() {
        Result r = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey), "--kid", "release-2");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--kid release-2 differs from the key's own kid 'release-1'")
                .doesNotContain("failed:");
        assertThat(bundle.dir().resolve(".signatures.json")).doesNotExist();
    }

    @Test
    void tamperingWithOneByteOfThePolicyIsRejectedNamingTheFile() throws Exception {
        sign();
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        byte[] bytes = Files.readAllBytes(policy);
        int at = new String(bytes, StandardCharsets.UTF_8).indexOf("per_second: 50") + "per_second: ".length();
        bytes[at] = '9';
        Files.write(policy, bytes);

        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEmpty();
        assertThat(r.outLines()).containsExactly("rejected (1 error):", "loan.veil.yaml: hash mismatch:"
                + " 'loan.veil.yaml' differs from the signed version; it was changed after signing");

        PolicyLoadException e = catchThrowableOfType(() -> PolicyBundle.loadSigned(bundle.dir(), trusted),
                PolicyLoadException.class);
        assertThat(e.errors()).singleElement().satisfies(err -> assertThat(err.file()).isEqualTo("loan.veil.yaml"));
    }

    /**
     * A bundle whose revision has no order is not signed unless asked for: a Guard could not tell an
     * older signed release of it from a newer one.
     */
    @Test
    void aBundleWithoutAnOrderedRevisionIsSignedOnlyWhenAskedFor() throws Exception {
        for (String manifest : new String[] {null, "{\"revision\": \"3f9a2c1e\"}"}) {
            if (manifest == null) {
                Files.deleteIfExists(bundle.dir().resolve(".manifest"));
            } else {
                Files.writeString(bundle.dir().resolve(".manifest"), manifest);
            }
            Result r = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey));
            assertThat(r.exit()).as(r.toString()).isEqualTo(2);
            assertThat(r.errLines()).singleElement().asString().contains(manifest == null
                    ? "has no revision (no .manifest, or none in it)" : "has revision '3f9a2c1e', which has no order")
                    .contains("a Guard could not tell an older signed release of it from a newer one")
                    .endsWith("or sign anyway with --allow-unordered-revision; not signed");
            assertThat(bundle.dir().resolve(".signatures.json")).doesNotExist();
            Result allowed = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey), "--allow-unordered-revision");
            assertThat(allowed.exit()).as(allowed.toString()).isZero();
            Files.delete(bundle.dir().resolve(".signatures.json"));
        }
    }

    /**
     * A manifest changed after signing (an unknown key) is the signature's failure for verify and inspect, as for
     * PolicyBundle.loadSigned, not a parse error of the file (it is not parsed).
     */
    @Test
    void aManifestChangedAfterSigningIsAHashMismatchNotAManifestError() throws Exception {
        sign();
        Files.writeString(bundle.dir().resolve(".manifest"), "{\"revision\": \"2099-01-01\", \"x\": 1}");
        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("rejected (1 error):", ".manifest: hash mismatch: '.manifest' differs "
                + "from the signed version; it was changed after signing");
        Result inspect = veil("bundle", "inspect", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(inspect.exit()).as(inspect.toString()).isEqualTo(1);
        assertThat(inspect.outLines()).containsExactly("signature: not valid", "rejected (1 error):", ".manifest: hash "
                + "mismatch: '.manifest' differs from the signed version; it was changed after signing");
    }

    @Test
    void aSignatureByAnotherKeyWithTheSameIdIsRejected() throws Exception {
        Files.writeString(privateKey, otherEc.toJSONString());
        sign();
        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).first().isEqualTo("rejected (1 error):");
        assertThat(r.outLines().get(1))
                .startsWith(".signatures.json: bad signature: the JWS does not verify with key 'release-1'");
    }

    @Test
    void aSignatureByAnUnknownKeyIsRejected() throws Exception {
        sign();
        Files.writeString(trusted, new JWKSet(rsa.toPublicJWK()).toString().replace("\"kty\"",
                "\"kid\":\"ops-2\",\"kty\""));
        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("rejected (1 error):",
                ".signatures.json: bad signature: no verification key with id 'release-1' (configured: [ops-2])");
    }

    @Test
    void aMissingOrMalformedSignatureIsRejected() throws Exception {
        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("rejected (1 error):", ".signatures.json: missing signature: the"
                + " bundle has no .signatures.json; sign it with `veil bundle sign`");

        Files.writeString(bundle.dir().resolve(".signatures.json"), "{\"signatures\":[\"not-a-jws\"]}");
        r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines().get(1)).startsWith(".signatures.json: bad signature: the signature is not a compact"
                + " JWS");
    }

    @Test
    void inspectSaysWhetherTheSignatureWasChecked() throws Exception {
        assertThat(veil("bundle", "inspect", s(bundle.dir())).outLines()).contains("signature: none");

        Files.writeString(bundle.dir().resolve(".signatures.json"), "{\"signatures\":[\"not-a-jws\"]}");
        Result unchecked = veil("bundle", "inspect", s(bundle.dir()));
        assertThat(unchecked.exit()).as(unchecked.toString()).isZero();
        assertThat(unchecked.outLines()).contains("signature: present, NOT verified: PolicyBundle.load does not check"
                + " it and loads the bundle even if a file was changed after signing; check it with --trusted-keys, as"
                + " PolicyBundle.loadSigned does")
                .last().isEqualTo("ok");

        Result rejected = veil("bundle", "inspect", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(rejected.exit()).as(rejected.toString()).isEqualTo(1);
        assertThat(rejected.outLines()).contains("signature: not valid", "rejected (1 error):")
                .doesNotContain("ok");

        sign();
        Result verified = veil("bundle", "inspect", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(verified.exit()).as(verified.toString()).isZero();
        assertThat(verified.outLines()).contains("signature: verified, signed by release-1, 3 files")
                .last().isEqualTo("ok");
    }

    @Test
    void verifyAlsoRequiresThePolicyToCompile() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        Files.writeString(policy, Files.readString(policy).replace("top_k: 2", "top_k: 2, bogus: 1"));
        // signed elsewhere (veil bundle sign refuses it, see below)
        dev.veil.internal.bundle.BundleSigner.sign(bundle.dir(), ec, "ES256", "release-1");
        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.outLines()).first().isEqualTo("rejected (1 error):");
        assertThat(r.outLines().get(1)).startsWith("loan.veil.yaml:").contains("unknown key 'bogus'");
    }

    @Test
    void signingNeedsAPrivateKeyThatFitsTheAlgorithm() throws Exception {
        Path pub = tmp.resolve("public.jwk");
        Files.writeString(pub, ec.toPublicJWK().toJSONString());
        assertFails(veil("bundle", "sign", s(bundle.dir()), "--key", s(pub)), 2,
                "veil bundle sign: --key " + pub + ": key must fit ES256: key 'release-1' is a public key;"
                        + " signing needs the private key");
        assertFails(veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey), "--alg", "RS256"), 2,
                "key must fit RS256: key 'release-1' is an EC key but RS256 needs an RSA key");
        assertFails(veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey), "--alg", "none"), 2,
                "alg must be one of [HS256");
        Path garbage = tmp.resolve("garbage.jwk");
        Files.writeString(garbage, "{\"no\": \"kty\"}");
        assertFails(veil("bundle", "sign", s(bundle.dir()), "--key", s(garbage)), 2,
                "veil bundle sign: --key " + garbage + ": not a JWK");
        assertThat(bundle.dir().resolve(".signatures.json")).doesNotExist();
    }

    @Test
    void signingRefusesArchivesAndBundlesThatDoNotLoad() throws Exception {
        Path archive = tmp.resolve("b.tar.gz");
        Files.writeString(archive, "x");
        assertFails(veil("bundle", "sign", s(archive), "--key", s(privateKey)), 2,
                "veil bundle sign: bundle " + archive + ": is not a directory; sign the bundle directory, then pack it");

        Files.writeString(bundle.dir().resolve("data.json"), "{\"a\": ");
        Result r = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey));
        assertFails(r, 2, "veil bundle sign: bundle " + bundle.dir() + " does not load, not signed (1 error):",
                "data.json:");
        assertThat(bundle.dir().resolve(".signatures.json")).doesNotExist();
    }

    @Test
    void signingRefusesABundleWhosePolicyDoesNotCompile() throws Exception {
        Path policy = bundle.dir().resolve("loan.veil.yaml");
        Files.writeString(policy, Files.readString(policy).replace("top_k: 2", "top_k: 2, bogus: 1"));
        Result r = veil("bundle", "sign", s(bundle.dir()), "--key", s(privateKey));
        assertFails(r, 2, "veil bundle sign: bundle " + bundle.dir() + " does not load, not signed (1 error):",
                "loan.veil.yaml:", "unknown key 'bogus'");
        assertThat(bundle.dir().resolve(".signatures.json")).doesNotExist();
    }

    @Test
    void unusableTrustedKeysAreUsageErrors() throws Exception {
        Path none = tmp.resolve("none.jwks");
        assertFails(veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(none)), 2,
                "veil bundle verify: --trusted-keys " + none + ": no such file");
        assertFails(veil("bundle", "inspect", s(bundle.dir()), "--trusted-keys", s(privateKey)), 2,
                "veil bundle inspect: --trusted-keys " + privateKey + ": key 'release-1' is a private key; give only"
                        + " the public key");
        assertFails(veil("bundle", "verify", s(bundle.dir())), 2, "Missing required option: '--trusted-keys");
    }
}
