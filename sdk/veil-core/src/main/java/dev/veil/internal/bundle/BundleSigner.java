package dev.veil.internal.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.jwk.JWK;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Signs a bundle directory in OPA's format: writes {@code .signatures.json} holding
 * {@code {"signatures": ["<compact JWS>"]}}, whose payload lists every file of the bundle (except
 * {@code .signatures.json}) with its SHA-256 hash ({@link BundleHasher}). The JWS header carries
 * {@code alg} and, when a key id is given, {@code kid}; the payload also carries the deprecated
 * {@code keyid} claim, as {@code opa sign} writes it.
 *
 * <p>The bundle is loaded (and so validated) before it is signed. The signature file is written
 * to a hidden temporary file and moved into place atomically. Never prints key material.
 * Stateless and thread-safe (two signers writing the same directory race; the last move wins).
 */
public final class BundleSigner {
    /** OPA's default algorithm. */
    public static final String DEFAULT_ALGORITHM = "RS256";

    private static final ObjectMapper JSON = new ObjectMapper();

    private BundleSigner() {}

    /** {@link #sign(Path, JWK, String, String, String)} without a scope. */
    public static Path sign(Path dir, JWK key, String alg, String keyId) {
        return sign(dir, key, alg, keyId, null);
    }

    /**
     * Signs the bundle directory {@code dir} and writes {@code dir/.signatures.json}.
     *
     * @param key the private key (RSA or EC) or shared secret (oct) to sign with
     * @param alg the JWS algorithm (HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512);
     *     {@code null} means {@value #DEFAULT_ALGORITHM}
     * @param keyId the key id to put in the header's {@code kid}, or {@code null}
     * @param scope the payload's {@code scope} claim, or {@code null} for none
     * @return the path of the written {@code .signatures.json}
     * @throws IllegalArgumentException when dir is not a directory, the algorithm is not supported or
     *     the key does not fit it
     * @throws dev.veil.PolicyLoadException when the bundle does not load
     */
    public static Path sign(Path dir, JWK key, String alg, String keyId, String scope) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(key, "key");
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("dir must be a bundle directory, was " + dir
                    + " (sign the directory, then pack it)");
        }
        LoadedBundle bundle = BundleLoader.load(dir);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String f : bundle.files()) {
            if (!f.equals(EntryCollector.SIGNATURES)) {
                files.put(f, bundle.read(f));
            }
        }
        String token = token(files, key, alg == null ? DEFAULT_ALGORITHM : alg, keyId, scope);
        byte[] content;
        try {
            content = (JSON.writeValueAsString(Map.of("signatures", List.of(token))) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Path target = dir.resolve(EntryCollector.SIGNATURES);
        Path tmp = dir.resolve(EntryCollector.SIGNATURES + ".tmp");
        try {
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        return target;
    }

    /** The compact JWS over the given files (paths to contents, {@code .signatures.json} excluded). */
    static String token(Map<String, byte[]> files, JWK key, String alg, String keyId, String scope) {
        if (!JwsAlgorithms.isSupported(alg)) {
            throw new IllegalArgumentException("alg must be one of " + JwsAlgorithms.SUPPORTED + ", was " + alg);
        }
        JWSAlgorithm algorithm = JWSAlgorithm.parse(alg);
        String problem = JwsAlgorithms.keyProblem(key, algorithm, true);
        if (problem != null) {
            throw new IllegalArgumentException("key must fit " + alg + ": " + problem);
        }
        List<Map<String, String>> entries = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put("name", f.getKey());
            entry.put("hash", BundleHasher.hash(f.getKey(), f.getValue(), BundleHasher.DEFAULT_ALGORITHM));
            entry.put("algorithm", BundleHasher.DEFAULT_ALGORITHM);
            entries.add(entry);
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("files", entries);
        if (keyId != null && !keyId.isEmpty()) {
            payload.put("keyid", keyId);
        }
        if (scope != null && !scope.isEmpty()) {
            payload.put("scope", scope);
        }
        JWSHeader.Builder header = new JWSHeader.Builder(algorithm);
        if (keyId != null && !keyId.isEmpty()) {
            header.keyID(keyId);
        }
        try {
            JWSObject jws = new JWSObject(header.build(), new Payload(JSON.writeValueAsString(payload)));
            jws.sign(JwsAlgorithms.signer(key, algorithm));
            return jws.serialize();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("key cannot sign with " + alg + ": " + e.getMessage(), e);
        }
    }
}
