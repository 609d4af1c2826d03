package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.veil.PolicyBundle;
import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil key pair}, and the whole flow: pair, sign, verify, load with the API. */
class KeyPairCommandTest {
    @TempDir
    Path tmp;

    @Test
    void pairThenSignThenVerifyThenLoadSigned() throws Exception {
        Path priv = tmp.resolve("release.private.jwk");
        Path pub = tmp.resolve("release.jwks");
        Result r = veil("key", "pair", "--out-private", s(priv), "--out-public", s(pub), "--kid", "release-1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).containsExactly("wrote ES256 key pair, key id release-1: private key " + priv
                + " (keep it secret), public key set " + pub);

        JWK privateKey = JWK.parse(Files.readString(priv));
        assertThat(privateKey.isPrivate()).isTrue();
        assertThat(privateKey.getAlgorithm().getName()).isEqualTo("ES256");
        assertThat(r.out()).doesNotContain(privateKey.toECKey().getD().toString());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv))).isEqualTo("rw-------");
        JWKSet publicKeys = JWKSet.parse(Files.readString(pub));
        assertThat(publicKeys.getKeys()).singleElement().satisfies(k -> {
            assertThat(k.isPrivate()).isFalse();
            assertThat(k.getKeyID()).isEqualTo("release-1");
        });

        QuickstartBundle bundle = quickstartBundle(tmp.resolve("bundle"));
        assertThat(veil("bundle", "sign", s(bundle.dir()), "--key", s(priv)).exit()).isZero();
        assertThat(veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(pub)).outLines())
                .containsExactly("ok: signed by release-1, 3 files");
        assertThat(PolicyBundle.loadSigned(bundle.dir(), pub).name()).isEqualTo("loan-quickstart");
    }

    @Test
    void defaultKidIsTheThumbprintAndCurveFollowsTheAlgorithm() throws Exception {
        Path priv = tmp.resolve("k.jwk");
        Path pub = tmp.resolve("k.jwks");
        Result r = veil("key", "pair", "--out-private", s(priv), "--out-public", s(pub), "--alg", "ES384");
        assertThat(r.exit()).as(r.toString()).isZero();
        JWK key = JWK.parse(Files.readString(priv));
        assertThat(key.getKeyID()).isEqualTo(key.computeThumbprint().toString());
        assertThat(key.toECKey().getCurve().getName()).isEqualTo("P-384");
    }

    @Test
    void neverOverwritesAndRefusesSharedSecretAlgorithms() throws Exception {
        Path priv = tmp.resolve("k.jwk");
        Path pub = tmp.resolve("k.jwks");
        Files.writeString(priv, "old");
        assertFails(veil("key", "pair", "--out-private", s(priv), "--out-public", s(pub)), 2,
                "veil key pair: --out-private " + priv + ": exists already; keys are never overwritten");
        assertThat(Files.readString(priv)).isEqualTo("old");
        assertThat(pub).doesNotExist();

        Files.delete(priv);
        assertFails(veil("key", "pair", "--out-private", s(priv), "--out-public", s(pub), "--alg", "HS256"), 2,
                "--alg must be one of ES256");
        assertThat(priv).doesNotExist();
    }
}
