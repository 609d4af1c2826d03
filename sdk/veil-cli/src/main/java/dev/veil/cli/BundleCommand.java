package dev.veil.cli;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.RSAKey;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.internal.access.Authenticator;
import dev.veil.internal.bundle.BundleLimits;
import dev.veil.internal.bundle.BundleLoader;
import dev.veil.internal.bundle.BundleSignature;
import dev.veil.internal.bundle.BundleSigner;
import dev.veil.internal.bundle.BundleVerifier;
import dev.veil.internal.bundle.TrustedKeys;
import dev.veil.internal.guard.Revisions;
import dev.veil.internal.policy.Documents;
import dev.veil.internal.policy.LoadWarnings;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.Bundle;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil bundle}: policy bundle tools; {@code veil bundle inspect DIR} shows what a bundle holds,
 * {@code veil bundle sign} writes its {@code .signatures.json} and {@code veil bundle verify} checks it.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Policy bundle tools.",
        subcommands = {BundleCommand.Inspect.class, BundleCommand.Sign.class, BundleCommand.Verify.class,
            CommandLine.HelpCommand.class})
final class BundleCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil bundle inspect BUNDLE}: prints the source, revision, roots, files with their
     * sizes, the top-level keys of the data document, the signature, the policy's name and engine,
     * a {@code warning:} line for each risk the bundle allows ({@link LoadWarnings}: detectors on their
     * published default seed, an HMAC secret in the JWKS, ...) and for each question that fails for a sample input, and {@code ok} (exit 0); or,
     * when the bundle does not load, what could be read and then the load
     * errors one per line (exit 1). Without {@code --trusted-keys} the signature is not checked:
     * {@code signature: none}, or {@code signature: present, NOT verified: ...} saying that
     * {@link PolicyBundle#load} would not check it either and that {@code --trusted-keys} does. With
     * it the bundle must be validly signed by one of the keys, as {@link PolicyBundle#loadSigned}
     * requires, or it is rejected.
     */
    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description = {
                "Show what a policy bundle holds: source, revision, roots, files and sizes, data keys, the "
                        + "signature, the policy name and engine, a 'warning:' line for each risk the bundle allows "
                        + "(such as detectors on their published default seed or an HMAC secret in its JWKS), then 'ok'.",
                "The signature is checked only with --trusted-keys; then a bundle that is not validly signed by "
                        + "one of the keys is rejected.",
                "When it does not load, prints 'rejected (N errors):' and one FILE:LINE:COLUMN: message line per "
                        + "error (FILE relative to the bundle)."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the bundle loads",
                "1:the bundle has load errors",
                "2:bad usage, or the path or the trusted keys do not exist or cannot be read or used"
            })
    static final class Inspect implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "BUNDLE", description = "Bundle directory or .tar.gz.")
        Path path;

        @Option(names = "--trusted-keys", paramLabel = "JWKS_FILE",
                description = "Verify the bundle's signature against these public keys (a JWK Set or one JWK).")
        Path trustedKeys;

        @Override
        public Integer call() {
            CliFiles.requireReadable(path, "bundle");
            JWKSet keys = trustedKeys == null ? null : trustedKeys(trustedKeys);
            PrintWriter out = spec.commandLine().getOut();
            Bundle contents;
            // with keys, the signature is checked on the files as read, before any is parsed (as loadSigned does)
            BundleSignature[] verified = new BundleSignature[1];
            boolean[] checked = new boolean[1];
            try {
                contents = keys == null ? PolicyBundle.read(path) : BundleLoader.load(path, BundleLimits.DEFAULTS, raw -> {
                    checked[0] = true;
                    verified[0] = BundleVerifier.verify(raw, keys);
                });
            } catch (PolicyLoadException e) {
                if (checked[0] && verified[0] == null) {
                    out.println("signature: not valid");
                }
                VeilCli.printBundleErrors(out, "rejected", e);
                return VeilCli.EXIT_CHECK_FAILED;
            }
            out.println("source:   " + ControlChars.escaped(String.valueOf(contents.source())));
            out.println("revision: "
                    + (contents.revision().isEmpty() ? "(none)" : ControlChars.escaped(contents.revision())));
            out.println("roots:    " + contents.roots().stream().map(r -> r.isEmpty() ? "\"\"" : ControlChars.escaped(r))
                    .toList());
            List<String> files = contents.files().stream().sorted().toList();
            out.println("files:    " + files.size());
            for (String f : files) {
                out.println("  " + ControlChars.escaped(f) + " (" + contents.read(f).length + " bytes)");
            }
            out.println("data:     " + (contents.data().isEmpty()
                    ? "(none)"
                    : ControlChars.escaped(String.join(", ", contents.data().keySet().stream().sorted().toList()))));
            if (keys == null) {
                out.println("signature: " + (contents.files().contains(SIGNATURES)
                        ? "present, NOT verified: PolicyBundle.load does not check it and loads the bundle even if a"
                                + " file was changed after signing; check it with --trusted-keys, as"
                                + " PolicyBundle.loadSigned does"
                        : "none"));
            } else {
                out.println("signature: verified, " + describe(verified[0]));
            }
            PolicyBundle b;
            try {
                b = PolicyBundle.of(contents);
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(out, "rejected", e);
                return VeilCli.EXIT_CHECK_FAILED;
            }
            out.println("policy:   " + ControlChars.escaped(b.name()) + " (engine " + b.engine() + ")");
            for (String warning : LoadWarnings.of(b.policy(),
                    Authenticator.from(b.policy().settings().authentication(), contents, Clock.systemUTC()),
                    contents)) {
                out.println("warning:  " + ControlChars.escaped(warning));
            }
            sampleQuestions(b, out);
            out.println("ok");
            return VeilCli.EXIT_OK;
        }
    }

    /**
     * A policy input any bundle should be able to answer: an authenticated caller with no roles, no
     * signals, a two-class prediction. A question that fails on it (a Rego rule that returns a
     * malformed decision, a conflict) would fail on real requests too, after the model has run.
     */
    static final Map<String, Object> SAMPLE_INPUT = Map.of(
            "caller", Map.of("id", "veil-inspect-sample", "authenticated", true, "method", "api_key",
                    "roles", List.of(), "tenant", "", "attributes", Map.of()),
            "prediction", Map.of("top_label", "a", "top_score", 0.6, "margin", 0.2, "entropy", 0.67, "classes", 2));

    /**
     * Asks the six questions for {@link #SAMPLE_INPUT} and prints a warning for each that fails. When
     * access refuses the sample, a Guard would ask only validation and logging after it, so only
     * those are reported.
     */
    static void sampleQuestions(PolicyBundle b, PrintWriter out) {
        Map<String, String> failures = new java.util.LinkedHashMap<>();
        dev.veil.spi.PolicyInput sample = Documents.inputFromDocument(SAMPLE_INPUT);
        Map<String, Object> answers = Documents.evaluateAll(b.policy(), sample,
                (question, e) -> {
                    failures.put(question, e.getMessage());
                    return null;
                });
        boolean refused = answers.get("access") instanceof Map<?, ?> access && Boolean.FALSE.equals(access.get("allow"));
        failures.forEach((question, message) -> {
            if (!refused || List.of("access", "validation", "logging").contains(question)) {
                out.println("warning:  the " + question + " question fails for the sample input of 'veil bundle "
                        + "inspect' (" + ControlChars.escaped(String.valueOf(message)) + "); " + (question.equals("logging")
                        ? "if it fails for requests too, their records get the most protective treatment and the rule "
                                + "logging:error (docs/policy-reference.md, 6.3)"
                        : "requests that reach it are denied (or degraded) if it fails for them too")
                        + ": check it with veil eval");
            }
        });
        if (refused && !"yaml".equals(b.policy().engine())) {
            // (a YAML policy's questions are compiled and checked at load: nothing left to find at run time)
            out.println("note:     access refuses the sample caller (authenticated, no roles, no tenant), so the "
                    + "monitoring, model and output questions were not asked: check them with veil eval and the input "
                    + "of a caller the policy allows");
        }
        if (!refused && !failures.containsKey("output")) {
            unchargeableSample(b, sample, out);
        }
    }

    /**
     * A Rego output decision is read per request, so a release with noise that no budget can pay
     * (the YAML engine refuses it at load) loads: warns when the sample input gets one.
     */
    private static void unchargeableSample(PolicyBundle b, dev.veil.spi.PolicyInput sample, PrintWriter out) {
        dev.veil.spi.OutputDecision d;
        try {
            d = b.policy().output(sample);
        } catch (RuntimeException e) {
            return; // reported above if it fails for the sample
        }
        dev.veil.spi.ReleaseSpec.Noise noise = d.release().noise();
        if (noise == null) {
            return;
        }
        dev.veil.spi.GuardSettings.PrivacyBudget privacy = b.policy().settings().privacy();
        String why = privacy == null ? "has noise, but the settings have no output.privacy (a release with noise "
                + "needs output.privacy, the budget its epsilon is charged to)" : privacy.unpayable(noise);
        if (why != null) {
            out.println("warning:  the release of output rule '" + d.rule() + "' for the sample input of 'veil bundle "
                    + "inspect' can never be charged: " + (privacy == null ? "it " : "") + why + "; requests that get "
                    + "it are denied (docs/policy-reference.md section 13)");
        }
    }

    /**
     * {@code veil bundle sign DIR --key PRIVATE_JWK_FILE [--kid ID] [--alg ALG]}: checks that the
     * bundle loads and its policy compiles (a signed bundle that {@link PolicyBundle#loadSigned} then
     * refuses helps nobody), writes {@code DIR/.signatures.json} in OPA's format with
     * {@link BundleSigner}, checks it with the key's public half and prints
     * {@code signed N files with ALG, key id ID: wrote PATH}. Never prints key material.
     */
    @Command(
            name = "sign",
            mixinStandardHelpOptions = true,
            description = {
                "Sign a bundle directory: writes DIR/.signatures.json (OPA's format: one JWS over the SHA-256 "
                        + "hash of every file), replacing any earlier signature.",
                "The bundle must load and its policy compile. Sign the directory, then pack its contents "
                        + "(tar -C DIR -czf DIR.tar.gz .): the signature stays valid in a .tar.gz."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the bundle was signed",
                "2:bad usage; the bundle does not load or its policy does not compile, the key cannot be read "
                        + "or does not fit the algorithm (nothing was written)"
            })
    static final class Sign implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "Bundle directory.")
        Path dir;

        @Option(names = "--key", required = true, paramLabel = "PRIVATE_JWK_FILE",
                description = "The private key as a JWK (RSA or EC), or a shared secret (oct) for HS algorithms.")
        Path key;

        @Option(names = "--kid", paramLabel = "ID",
                description = "Key id to put in the signature (default: the JWK's kid, if it has one).")
        String kid;

        @Option(names = "--alg", paramLabel = "ALG",
                description = "RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|HS256|HS384|HS512 (default: "
                        + "the JWK's alg, else RS256 for RSA, ES256/ES384/ES512 by curve for EC, HS256 for oct).")
        String alg;

        @Option(names = "--allow-unordered-revision",
                description = "Sign a bundle whose revision has no order (no .manifest, a commit id, no number): a "
                        + "Guard cannot tell an older signed release of it from a newer one, so such a release "
                        + "could be put back at will where no Guard has a mark for the bundle yet.")
        boolean allowUnorderedRevision;

        @Override
        public Integer call() {
            CliFiles.requireReadable(dir, "bundle");
            if (!Files.isDirectory(dir)) {
                throw new CliException("bundle " + dir + ": is not a directory; sign the bundle directory, then pack"
                        + " it");
            }
            JWK jwk = readKey(key);
            if (kid != null && jwk.getKeyID() != null && !kid.equals(jwk.getKeyID())) {
                // a verifier picks the key by the signature's kid: the trusted copy of this key carries its own
                throw new CliException("--kid " + kid + " differs from the key's own kid '" + jwk.getKeyID()
                        + "': a verifier picks the key by kid, so the signature would not verify; leave out --kid, or"
                        + " give the key that kid");
            }
            String keyId = kid != null ? kid : jwk.getKeyID();
            String algorithm = alg != null ? alg : defaultAlgorithm(jwk);
            PolicyBundle loaded;
            try {
                loaded = PolicyBundle.of(BundleLoader.load(dir));
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(spec.commandLine().getErr(), spec.qualifiedName() + ": bundle " + dir
                        + " does not load, not signed", e);
                return VeilCli.EXIT_USAGE;
            }
            if (!allowUnorderedRevision && !Revisions.ordered(loaded.revision())) {
                throw new CliException("bundle " + dir + ": " + (loaded.revision().isEmpty()
                        ? "has no revision (no .manifest, or none in it)"
                        : "has revision '" + ControlChars.escaped(loaded.revision()) + "', which has no order (a commit "
                                + "id, or no number)")
                        + ": a Guard could not tell an older signed release of it from a newer one, so one could be "
                        + "put back to roll back a fix; give .manifest a date or version revision that orders after "
                        + "the last release ({\"revision\": \"2026-11-30.2\"} or \"v1.4.10\"), or sign anyway with "
                        + "--allow-unordered-revision; not signed");
            }
            Path written;
            try {
                written = BundleSigner.sign(dir, jwk, algorithm, keyId);
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(spec.commandLine().getErr(), spec.qualifiedName() + ": bundle " + dir
                        + " does not load, not signed", e);
                return VeilCli.EXIT_USAGE;
            } catch (IllegalArgumentException e) {
                throw new CliException("--key " + key + ": " + e.getMessage(), e);
            } catch (UncheckedIOException e) {
                throw new CliException("bundle " + dir + ": " + e.getMessage() + ": "
                        + CliFiles.describe(e.getCause()), e);
            }
            JWK check = KeyType.OCT.equals(jwk.getKeyType()) ? jwk : jwk.toPublicJWK();
            boolean kidGiven = keyId != null && check.getKeyID() == null;
            if (kidGiven) {
                // verifiers pick the key by the signature's kid: their copy of the key carries it
                try {
                    java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(check.toJSONObject());
                    json.put("kid", keyId);
                    check = JWK.parse(json);
                } catch (ParseException e) {
                    throw new CliException("--key " + key + ": " + e.getMessage(), e);
                }
            }
            BundleSignature signature;
            try {
                signature = BundleVerifier.verify(BundleLoader.load(dir), new JWKSet(check));
            } catch (PolicyLoadException e) {
                try {
                    Files.deleteIfExists(written);
                } catch (java.io.IOException d) {
                    e.addSuppressed(d);
                }
                throw new CliException("the signature made does not verify with the key's public half, so it was"
                        + " removed: " + e.getMessage(), e);
            }
            VeilCli.confirm(spec, written.toString(), w -> w.println("signed " + signature.files().size() + " files with "
                    + signature.algorithm() + (keyId == null ? ", no key id" : ", key id " + keyId) + ": wrote "
                    + written));
            if (kidGiven) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": note: the key has no kid of its own: "
                        + "the trusted copy of its public half must carry \"kid\": \"" + keyId + "\", or the "
                        + "signature names a key nobody trusts");
            }
            return VeilCli.EXIT_OK;
        }

        private static JWK readKey(Path file) {
            String json = new String(CliFiles.read(file, "--key"), StandardCharsets.UTF_8);
            try {
                return JWK.parse(json);
            } catch (ParseException e) {
                throw new CliException("--key " + file + ": not a JWK (a JSON object with \"kty\"): "
                        + e.getMessage(), e);
            }
        }

        private static String defaultAlgorithm(JWK jwk) {
            if (jwk.getAlgorithm() != null) {
                return jwk.getAlgorithm().getName();
            }
            if (jwk instanceof RSAKey) {
                return BundleSigner.DEFAULT_ALGORITHM;
            }
            if (jwk instanceof ECKey ec) {
                Curve c = ec.getCurve();
                return Curve.P_384.equals(c) ? "ES384" : Curve.P_521.equals(c) ? "ES512" : "ES256";
            }
            return "HS256";
        }
    }

    /**
     * {@code veil bundle verify BUNDLE --trusted-keys JWKS_FILE}: checks what
     * {@link PolicyBundle#loadSigned} checks (the bundle loads, its signature is valid and by one of
     * the keys, its policy compiles) and prints {@code ok: signed by KID, N files} (exit 0), or
     * {@code rejected (N errors):} and one error per line (exit 1).
     */
    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = {
                "Check a signed bundle as PolicyBundle.loadSigned does: its .signatures.json must be a valid "
                        + "signature by one of the trusted keys over exactly the bundle's files, and its policy "
                        + "must compile.",
                "Prints 'ok: signed by KID, N files', or 'rejected (N errors):' and one FILE: message line per error."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the bundle is validly signed and loads",
                "1:the signature is missing or not valid, or the bundle does not load",
                "2:bad usage, or the path or the trusted keys do not exist or cannot be read or used"
            })
    static final class Verify implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "BUNDLE", description = "Bundle directory or .tar.gz.")
        Path path;

        @Option(names = "--trusted-keys", required = true, paramLabel = "JWKS_FILE",
                description = "The public keys a signature may be made with: a JWK Set ({\"keys\": [...]}) or one "
                        + "JWK.")
        Path trustedKeys;

        @Override
        public Integer call() {
            CliFiles.requireReadable(path, "bundle");
            JWKSet keys = trustedKeys(trustedKeys);
            PrintWriter out = spec.commandLine().getOut();
            try {
                // checked on the files as read, before any is parsed, as PolicyBundle.loadSigned does
                BundleSignature[] signature = new BundleSignature[1];
                Bundle contents = BundleLoader.load(path, BundleLimits.DEFAULTS,
                        raw -> signature[0] = BundleVerifier.verify(raw, keys));
                PolicyBundle.of(contents);
                out.println("ok: " + describe(signature[0]));
                return VeilCli.EXIT_OK;
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(out, "rejected", e);
                return VeilCli.EXIT_CHECK_FAILED;
            }
        }
    }

    private static final String SIGNATURES = ".signatures.json";

    /** Reads a {@code --trusted-keys} file; a problem with it is a usage error. */
    static JWKSet trustedKeys(Path file) {
        CliFiles.requireReadableFile(file, "--trusted-keys");
        try {
            return TrustedKeys.read(file);
        } catch (PolicyLoadException e) {
            throw new CliException("--trusted-keys " + file + ": "
                    + e.errors().get(0).message().replaceFirst("^trusted keys: ", ""), e);
        }
    }

    private static String describe(BundleSignature s) {
        return "signed by " + (s.keyId() == null ? "the one trusted key (the signature names no kid)" : s.keyId())
                + ", " + s.files().size() + " files";
    }
}
