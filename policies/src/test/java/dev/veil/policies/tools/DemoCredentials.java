package dev.veil.policies.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.ApiKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Issues the demo credentials of the shipped bundles, with {@link ApiKeys#issue} and Nimbus:
 *
 * <ul>
 *   <li>{@code policies/bundles/image-classifier/keys.json}: salted hashes of the keys of an
 *       analyst, a researcher and a partner app; their plaintexts in {@code DEMO-KEYS.md} beside it;
 *   <li>{@code policies/bundles/image-classifier/jwks.json}: the public half of a fresh EC P-256
 *       signing key; the private half in
 *       {@code policies/src/test/resources/demo-jwt/image-classifier-es256.private.jwk.json}, for
 *       tests and demos that sign tokens;
 *   <li>{@code policies/bundles/tabular-credit/keys.json} and {@code DEMO-KEYS.md}: an underwriter,
 *       a broker app and a credit-risk researcher.
 * </ul>
 *
 * <p>Every file it writes is demo material, published in this repository: never use these keys for
 * anything real. Run from the repository root (the exact command is in {@code policies/README.md});
 * it refuses to replace existing files unless given {@code --force}, because replacing them
 * invalidates the keys the tests and the demo use.
 */
public final class DemoCredentials {
    /** Where the bundles live, relative to the repository root. */
    static final Path BUNDLES = Path.of("policies/bundles");
    /** Where the demo JWT signing key lives, relative to the repository root. */
    public static final String PRIVATE_JWK_RESOURCE = "demo-jwt/image-classifier-es256.private.jwk.json";
    static final Path PRIVATE_JWK = Path.of("policies/src/test/resources").resolve(PRIVATE_JWK_RESOURCE);
    /** The {@code kid} of the demo signing key. */
    public static final String KEY_ID = "image-classifier-demo-es256";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One demo caller. */
    record Demo(String caller, List<String> roles, String tenant, Map<String, String> attributes, String purpose) {}

    static final List<Demo> IMAGE_CLASSIFIER = List.of(
            new Demo("demo-analyst", List.of("analyst"), "acme", Map.of("department", "quality"),
                    "analyst: top 3 classes rounded to 0.05, 5/s, 5,000 a day"),
            new Demo("demo-researcher", List.of("researcher"), "acme", Map.of("department", "ml-research"),
                    "researcher: full scores rounded to 0.01, 20/s, 50,000 a day"),
            new Demo("demo-partner-app", List.of("partner"), "northwind",
                    mapOf("contract", "active", "region", "eu"),
                    "partner app (tenant northwind): top 3 with Laplace noise against a privacy budget, inputs "
                            + "masked in the audit log"));

    static final List<Demo> TABULAR_CREDIT = List.of(
            new Demo("demo-underwriter", List.of("underwriter"), "bank", Map.of("desk", "retail-lending"),
                    "internal underwriter: top 2 decisions with scores rounded to 0.01"),
            new Demo("demo-broker-app", List.of("broker"), "brokerline", Map.of("contract", "active"),
                    "external broker app: the decision label only"),
            new Demo("demo-risk-researcher", List.of("researcher"), "bank", Map.of("desk", "credit-risk"),
                    "credit-risk researcher: all scores with Gaussian noise against a privacy budget"));

    private DemoCredentials() {}

    /**
     * Writes all demo credentials.
     *
     * @param args {@code --force} to replace existing files
     * @throws IOException when a file cannot be written
     * @throws JOSEException when the signing key cannot be generated
     */
    public static void main(String[] args) throws IOException, JOSEException {
        boolean force = List.of(args).contains("--force");
        for (String a : args) {
            if (!a.equals("--force")) {
                throw new IllegalArgumentException("unknown argument '" + a + "'; usage: DemoCredentials [--force]");
            }
        }
        Path image = BUNDLES.resolve("image-classifier");
        Path credit = BUNDLES.resolve("tabular-credit");
        List<Path> targets = List.of(image.resolve("keys.json"), image.resolve("DEMO-KEYS.md"),
                image.resolve("jwks.json"), PRIVATE_JWK, credit.resolve("keys.json"), credit.resolve("DEMO-KEYS.md"));
        if (!force) {
            for (Path p : targets) {
                if (Files.exists(p)) {
                    throw new IllegalStateException(p + " exists; rerun with --force to replace every demo "
                            + "credential (the tests and the demo then use the new ones)");
                }
            }
        }
        keys(image, "image-classifier", IMAGE_CLASSIFIER,
                "JWT bearer tokens are accepted too: they must be ES256, signed by the key whose public half is\n"
                        + "`jwks.json` (kid `" + KEY_ID + "`), with `iss` `https://login.example.com/`, `aud`\n"
                        + "`image-classifier`, an `exp`, a `sub`, and `roles`, `tenant`, `contract`, `region`, "
                        + "`status`\n"
                        + "claims as needed. The private half of the demo key is\n"
                        + "`policies/src/test/resources/" + PRIVATE_JWK_RESOURCE + "` (demo only, like these keys).\n");
        keys(credit, "tabular-credit", TABULAR_CREDIT, "");
        jwks(image.resolve("jwks.json"));
        System.out.println("wrote " + targets);
    }

    private static void keys(Path bundle, String name, List<Demo> demos, String extra) throws IOException {
        List<Map<String, Object>> entries = new ArrayList<>();
        StringBuilder md = new StringBuilder();
        md.append("# Demo API keys of the `").append(name).append("` bundle: DEMO ONLY\n\n")
                .append("**These keys are published in this repository. They are for tests and demos only: never use\n")
                .append("them, or this bundle's `keys.json`, for anything real.** Replace `keys.json` with your own\n")
                .append("keys (`veil key create`, or `dev.veil.ApiKeys.issue`) before you deploy the bundle; see\n")
                .append("`policies/README.md`.\n\n")
                .append("`keys.json` holds only the salted SHA-256 hashes of these keys; they were issued by\n")
                .append("`dev.veil.policies.tools.DemoCredentials` (policies/src/test/java).\n\n")
                .append("| caller | roles | tenant | attributes | what it gets | demo key |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Demo d : demos) {
            ApiKeys.Issued k = ApiKeys.issue(d.caller(), d.roles(), d.tenant(), d.attributes(), null);
            entries.add(k.entry());
            md.append("| ").append(d.caller()).append(" | ").append(String.join(", ", d.roles())).append(" | ")
                    .append(d.tenant()).append(" | ").append(attributes(d.attributes())).append(" | ")
                    .append(d.purpose()).append(" | `").append(k.plaintext()).append("` |\n");
        }
        if (!extra.isEmpty()) {
            md.append('\n').append(extra);
        }
        Files.createDirectories(bundle);
        JSON.writeValue(bundle.resolve("keys.json").toFile(), Map.of("keys", entries));
        Files.writeString(bundle.resolve("DEMO-KEYS.md"), md.toString(), StandardCharsets.UTF_8);
    }

    private static void jwks(Path publicFile) throws IOException, JOSEException {
        ECKey key = new ECKeyGenerator(Curve.P_256)
                .keyID(KEY_ID)
                .keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.ES256)
                .generate();
        Object publicSet = JSON.readValue(new JWKSet(key.toPublicJWK()).toString(), Object.class);
        JSON.writeValue(publicFile.toFile(), publicSet);
        Files.createDirectories(PRIVATE_JWK.getParent());
        Object privateKey = JSON.readValue(key.toJSONString(), Object.class);
        JSON.writeValue(PRIVATE_JWK.toFile(), privateKey);
    }

    private static String attributes(Map<String, String> a) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(a).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=')
                .append(v));
        return sb.toString();
    }

    private static Map<String, String> mapOf(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
