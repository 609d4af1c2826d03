package dev.veil.internal.bundle;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.List;

/**
 * The JWS algorithms accepted for bundle signatures (OPA's HS, RS, PS and ES families) and the
 * key checks that keep a key of one kind from being used with an algorithm of another. Stateless.
 */
final class JwsAlgorithms {
    static final List<String> SUPPORTED = List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
            "PS384", "PS512", "ES256", "ES384", "ES512");

    private JwsAlgorithms() {}

    static boolean isSupported(String alg) {
        return SUPPORTED.contains(alg);
    }

    /**
     * Why {@code key} cannot be used with {@code alg}, or {@code null} when it can.
     *
     * @param needPrivate whether the key must hold private material (signing)
     */
    static String keyProblem(JWK key, JWSAlgorithm alg, boolean needPrivate) {
        String name = alg.getName();
        if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(name)) {
            return "key" + id(key) + " is for " + key.getAlgorithm().getName() + ", not " + name;
        }
        if (name.startsWith("HS")) {
            return key instanceof OctetSequenceKey ? null
                    : "key" + id(key) + " is " + kind(key) + " but " + name + " needs a shared secret (an oct key)";
        }
        if (name.startsWith("RS") || name.startsWith("PS")) {
            if (!(key instanceof RSAKey)) {
                return "key" + id(key) + " is " + kind(key) + " but " + name + " needs an RSA key";
            }
            return needPrivate && !key.isPrivate() ? "key" + id(key) + " is a public key; signing needs the private key"
                    : null;
        }
        if (!(key instanceof ECKey ec)) {
            return "key" + id(key) + " is " + kind(key) + " but " + name + " needs an EC key";
        }
        if (!Curve.forJWSAlgorithm(alg).contains(ec.getCurve())) {
            return "key" + id(key) + " is on curve " + ec.getCurve() + " but " + name + " needs "
                    + Curve.forJWSAlgorithm(alg);
        }
        return needPrivate && !key.isPrivate() ? "key" + id(key) + " is a public key; signing needs the private key"
                : null;
    }

    static JWSSigner signer(JWK key, JWSAlgorithm alg) throws JOSEException {
        String name = alg.getName();
        if (name.startsWith("HS")) {
            return new MACSigner((OctetSequenceKey) key);
        }
        if (name.startsWith("RS") || name.startsWith("PS")) {
            return new RSASSASigner((RSAKey) key);
        }
        return new ECDSASigner((ECKey) key);
    }

    static JWSVerifier verifier(JWK key, JWSAlgorithm alg) throws JOSEException {
        String name = alg.getName();
        if (name.startsWith("HS")) {
            return new MACVerifier((OctetSequenceKey) key);
        }
        if (name.startsWith("RS") || name.startsWith("PS")) {
            return new RSASSAVerifier((RSAKey) key);
        }
        return new ECDSAVerifier((ECKey) key);
    }

    private static String id(JWK key) {
        return key.getKeyID() == null ? "" : " '" + key.getKeyID() + "'";
    }

    private static String kind(JWK key) {
        if (key instanceof RSAKey) {
            return "an RSA key";
        }
        if (key instanceof ECKey) {
            return "an EC key";
        }
        if (key instanceof OctetSequenceKey) {
            return "a shared secret (oct key)";
        }
        return "a " + key.getKeyType() + " key";
    }
}
