package dev.veil;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real components for Guard tests: policy bundles written as files, API keys issued with
 * {@link ApiKeys#issue} into {@code keys.json}, an ES256 identity provider whose JWKS goes into
 * the bundle, a model that counts its calls, and a reader for JSON-lines audit files.
 */
public final class GuardFixtures {
    /** The time every test clock starts at. */
    public static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    /** Labels of the test models. */
    public static final List<String> LABELS = List.of("cat", "dog", "fox");
    /** Raw scores of model A: the release of the base policy is [cat 0.6, dog 0.3]. */
    public static final double[] SCORES_A = {0.6234, 0.2711, 0.1055};
    /** Raw scores of model B: its top label is dog. */
    public static final double[] SCORES_B = {0.2, 0.7, 0.1};
    /** A model trained ten days before {@link #NOW}. */
    public static final ModelInfo INFO_A = ModelInfo.of("animals", "A", NOW.minus(Duration.ofDays(10)));
    /** Another version of the same model. */
    public static final ModelInfo INFO_B = ModelInfo.of("animals", "B", NOW.minus(Duration.ofDays(5)));

    public static final String JWT_ISSUER = "https://idp.test/";
    public static final String JWT_AUDIENCE = "veil-test";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Held strongly so that its level sticks (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger GUARD_LOG = java.util.logging.Logger.getLogger("dev.veil.Guard");

    /** Caller {@code alice}, role analyst: allowed by the base policy. */
    public static final ApiKeys.Issued ALICE = ApiKeys.issue("alice", List.of("analyst"), "acme", Map.of(), null);
    /** Caller {@code erin}, role analyst: a second allowed caller. */
    public static final ApiKeys.Issued ERIN = ApiKeys.issue("erin", List.of("analyst"), "acme", Map.of(), null);
    /** Caller {@code bob}, role intern: forbidden by the base policy. */
    public static final ApiKeys.Issued BOB = ApiKeys.issue("bob", List.of("intern"), "acme", Map.of(), null);
    /** Caller {@code sam}, analyst but suspended: the base policy's deny rule {@code suspended} refuses him. */
    public static final ApiKeys.Issued SAM = ApiKeys.issue("sam", List.of("analyst"), "acme",
            Map.of("status", "suspended"), null);
    /** Caller {@code carol}, analyst, whose key expired an hour before {@link #NOW}. */
    public static final ApiKeys.Issued CAROL = issuedExpired("carol", NOW.minus(Duration.ofHours(1)));

    private static final ECKey IDP_KEY = ecKey("idp-1");
    private static final ECKey IMPOSTOR_KEY = ecKey("idp-1");

    private GuardFixtures() {}

    /** An analyst's key that expires at a time of the test clock ({@link ApiKeys#issue} takes only future ones). */
    private static ApiKeys.Issued issuedExpired(String caller, java.time.Instant expiresAt) {
        dev.veil.internal.access.ApiKeyStore.IssuedKey k = dev.veil.internal.access.ApiKeyStore.issue(caller,
                List.of("analyst"), "acme", Map.of(), expiresAt, new java.security.SecureRandom());
        return new ApiKeys.Issued(k.plaintext(), k.id(), k.entry());
    }

    private static ECKey ecKey(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("could not generate a P-256 key", e);
        }
    }

    // ---------------------------------------------------------------- bundles

    /** The base policy's sections, in file order; tests replace or add sections. */
    public static Map<String, String> basePolicy() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("veil", "1");
        p.put("name", "guard-test");
        p.put("authentication", """
                api_keys: {file: keys.json}
                jwt: {issuer: "https://idp.test/", audience: [veil-test], jwks: jwks.json, algorithms: [ES256]}
                """);
        p.put("access", """
                default: {effect: deny, message: only analysts may ask}
                rules:
                  - {id: suspended, when: {attributes: {status: suspended}}, effect: deny, message: account suspended}
                  - {id: analysts, when: {roles: [analyst]}, effect: allow}
                """);
        p.put("validation", """
                default: {shape: [3], range: {min: 0, max: 100}}
                """);
        p.put("output", """
                default: {form: top_k, top_k: 2, round: 0.1}
                """);
        return p;
    }

    /** A bundle directory under construction: policy sections, keys, data and other files. */
    public static final class BundleDir {
        private final Path dir;
        private final Map<String, String> policy = basePolicy();
        private final List<ApiKeys.Issued> keys = new ArrayList<>(List.of(ALICE, ERIN, BOB, SAM, CAROL));
        private final Map<String, String> files = new LinkedHashMap<>();
        private String policyFile = "policy.veil.yaml";
        private String keysJson;

        private BundleDir(Path dir) {
            this.dir = dir;
        }

        /** Sets (or adds) one top-level policy section; {@code yaml} is the section's block body. */
        public BundleDir set(String section, String yaml) {
            policy.put(section, yaml);
            return this;
        }

        /** Adds API keys to {@code keys.json}. */
        public BundleDir keys(ApiKeys.Issued... more) {
            keys.addAll(List.of(more));
            return this;
        }

        /** Writes {@code keys.json} with exactly this text instead of the issued keys. */
        public BundleDir rawKeysJson(String text) {
            keysJson = text;
            return this;
        }

        /** Adds a file (e.g. {@code data.json}, {@code .manifest}). */
        public BundleDir file(String path, String content) {
            files.put(path, content);
            return this;
        }

        /** Stores the policy under another file name (for engines other than the YAML one). */
        public BundleDir policyFile(String name) {
            policyFile = name;
            return this;
        }

        /** The policy file's text. */
        public String policyText() {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, String> e : policy.entrySet()) {
                String v = e.getValue().strip();
                if (v.contains("\n") || v.contains(": ") || v.startsWith("- ")) {
                    sb.append(e.getKey()).append(":\n");
                    for (String line : v.split("\n")) {
                        sb.append("  ").append(line).append('\n');
                    }
                } else {
                    sb.append(e.getKey()).append(": ").append(v).append('\n');
                }
            }
            return sb.toString();
        }

        /** Writes every file and returns the directory. */
        public Path write() {
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(policyFile), policyText());
                List<Map<String, Object>> entries = new ArrayList<>();
                keys.forEach(k -> entries.add(k.entry()));
                Files.writeString(dir.resolve("keys.json"),
                        keysJson != null ? keysJson : JSON.writeValueAsString(Map.of("keys", entries)));
                Files.writeString(dir.resolve("jwks.json"), new JWKSet(IDP_KEY.toPublicJWK()).toString(true));
                for (Map.Entry<String, String> f : files.entrySet()) {
                    Path p = dir.resolve(f.getKey());
                    Files.createDirectories(p.getParent());
                    Files.writeString(p, f.getValue());
                }
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Writes the bundle and loads it with {@link PolicyBundle#load}. */
        public PolicyBundle load() {
            return PolicyBundle.load(write());
        }
    }

    /** A bundle to be written to {@code dir} (created if missing). */
    public static BundleDir bundle(Path dir) {
        return new BundleDir(dir);
    }

    // ---------------------------------------------------------------- identity provider

    /** A bearer token from the test identity provider, valid for an hour after {@code now}. */
    public static String token(String subject, List<String> roles, Instant now) {
        return sign(IDP_KEY, subject, roles, now, now.plus(Duration.ofHours(1)));
    }

    /** A token from the identity provider that expired a minute before {@code now} (past any skew). */
    public static String expiredToken(String subject, List<String> roles, Instant now) {
        return sign(IDP_KEY, subject, roles, now.minus(Duration.ofHours(2)), now.minus(Duration.ofMinutes(5)));
    }

    /** A token with the provider's key id, signed by another key. */
    public static String forgedToken(String subject, List<String> roles, Instant now) {
        return sign(IMPOSTOR_KEY, subject, roles, now, now.plus(Duration.ofHours(1)));
    }

    private static String sign(ECKey key, String subject, List<String> roles, Instant issued, Instant expires) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(JWT_ISSUER)
                .audience(JWT_AUDIENCE)
                .subject(subject)
                .claim("roles", roles)
                .issueTime(Date.from(issued))
                .expirationTime(Date.from(expires))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("could not sign a test token", e);
        }
        return jwt.serialize();
    }

    // ---------------------------------------------------------------- models

    /** A predict function that counts its calls and always answers with the same scores. */
    public static final class CountingModel implements PredictFunction<double[]> {
        private final AtomicInteger calls = new AtomicInteger();
        private final double[] scores;

        public CountingModel(double[] scores) {
            this.scores = scores.clone();
        }

        public int calls() {
            return calls.get();
        }

        @Override
        public Prediction predict(double[] input) {
            calls.incrementAndGet();
            return Prediction.classification(LABELS, scores.clone());
        }

        /** This function as model A (or any other identity). */
        public Model<double[]> as(ModelInfo info) {
            return Model.ofVector(info, this);
        }
    }

    /** Throws a checked exception without declaring it, as Kotlin or Scala code may. */
    @SuppressWarnings("unchecked")
    public static <E extends Throwable> RuntimeException sneakyThrow(Throwable e) throws E {
        throw (E) e;
    }

    /** Silences (or restores) the Guard's System.Logger, which logs every failure a test injects. */
    public static void quietGuardLog(boolean quiet) {
        GUARD_LOG.setLevel(quiet ? java.util.logging.Level.OFF : null);
    }

    // ---------------------------------------------------------------- audit

    /** Every record of a JSON-lines audit file, in order. */
    public static List<Map<String, Object>> auditRecords(Path file) {
        try {
            List<Map<String, Object>> out = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isEmpty()) {
                    out.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() {}));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A nested value of a record, e.g. {@code at(record, "model", "version")}. */
    @SuppressWarnings("unchecked")
    public static Object at(Map<String, Object> record, String... path) {
        Object cur = record;
        for (String p : path) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = ((Map<String, Object>) m).get(p);
        }
        return cur;
    }
}
