package dev.veil;

import dev.veil.internal.bundle.BundleLimits;
import dev.veil.internal.bundle.BundleLoader;
import dev.veil.internal.bundle.BundleVerifier;
import dev.veil.internal.bundle.LoadedBundle;
import dev.veil.internal.bundle.TrustedKeys;
import dev.veil.internal.policy.Documents;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.Bundle;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.PolicyEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * A loaded and compiled policy bundle: OPA's bundle layout (a directory or {@code .tar.gz} with
 * {@code .manifest}, {@code data.json}/{@code data.yaml} files placed by directory) holding a
 * {@code *.veil.yaml} policy (or {@code .rego} modules, with veil-rego on the class path).
 *
 * <p>Loading is all or nothing: a bundle that fails to parse or compile throws
 * {@link PolicyLoadException} listing every error with file, line and column, and nothing is
 * half-built. Immutable and thread-safe; hand a new one to {@link Guard#reload(PolicyBundle)} to
 * swap policies at run time.
 *
 * <p>{@link #load} and {@link #classpath} do not check a bundle's {@code .signatures.json} (they
 * log a warning when a bundle has one); use {@link #loadSigned} to accept only a bundle signed by a
 * trusted key.
 */
public final class PolicyBundle {
    private static final System.Logger LOG = System.getLogger(PolicyBundle.class.getName());
    private static final String SIGNATURES = ".signatures.json";

    private final Bundle contents;
    private final CompiledPolicy policy;
    private final boolean signed;

    private PolicyBundle(Bundle contents, CompiledPolicy policy, boolean signed) {
        this.contents = contents;
        this.policy = policy;
        this.signed = signed;
    }

    /**
     * Loads a bundle directory or {@code .tar.gz} file and compiles it. A signature
     * ({@code .signatures.json}) is not checked: when the bundle has one, a warning says so and
     * names {@link #loadSigned}, which checks it.
     */
    public static PolicyBundle load(Path path) {
        Objects.requireNonNull(path, "path");
        return of(warnIfSignatureUnchecked(BundleLoader.load(path)));
    }

    /**
     * Loads a bundle directory or {@code .tar.gz} file that must carry a valid OPA-format signature
     * ({@code .signatures.json}, as {@code veil bundle sign} or {@code opa sign} write it) by one of
     * the trusted keys, then compiles it. The signature is checked before the policy is compiled.
     *
     * <p>The signature must be one compact JWS (HS, RS, PS or ES with 256, 384 or 512 bits) whose
     * key is chosen by its {@code kid} (a signature without one verifies only against a file holding
     * a single key) and must be valid now by its JWK {@code exp} and {@code nbf}, if it has them, and
     * its payload must list every file of the bundle but
     * {@code .signatures.json}, each with an unchanged hash. Hidden files other than
     * {@code .manifest} are not part of a bundle, so they are neither signed nor checked. A
     * signature with a {@code scope} is refused.
     *
     * <p>A valid signature says who made a bundle, not that it is the newest one they made: an
     * older signed revision put back in the directory verifies too. {@link Guard#reload} therefore
     * refuses a signed bundle older than one the Guard has had in force; give each release a
     * revision of an ordered scheme that orders after the last (a date and counter,
     * {@code 2026-11-30.2}, or a version; see {@link Guard#reload}).
     *
     * @param bundle the bundle directory or {@code .tar.gz} file
     * @param trustedJwks a JSON file holding a JWK Set ({@code {"keys": [...]}}) or one JWK: RSA or EC
     *     public keys, or {@code oct} shared secrets for HS algorithms; a private RSA or EC key is refused
     * @throws PolicyLoadException when the bundle does not load or compile, the trusted-keys file cannot
     *     be read or used, or the signature is not valid; the message starts with the kind of failure:
     *     {@code missing signature} (no {@code .signatures.json}, or no JWS in it), {@code bad signature}
     *     (malformed file or JWS, a key id not among the trusted keys, a key past its JWK {@code exp} or
     *     before its {@code nbf}, a signature that does not verify),
     *     {@code unsupported algorithm}, {@code file list mismatch} (a file added or removed since signing,
     *     one error per file, naming it) or {@code hash mismatch} (a file changed since signing, naming it)
     */
    public static PolicyBundle loadSigned(Path bundle, Path trustedJwks) {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(trustedJwks, "trustedJwks");
        var keys = TrustedKeys.read(trustedJwks);
        // verified on the files as read, before any is parsed: tampering is a signature failure
        LoadedBundle contents = BundleLoader.load(bundle, BundleLimits.DEFAULTS, raw -> BundleVerifier.verify(raw, keys));
        PolicyBundle b = of(contents);
        return new PolicyBundle(b.contents, b.policy, true);
    }

    /**
     * Loads a bundle directory from the class path (in a directory or inside a jar). As with
     * {@link #load}, a signature is not checked, and a bundle that has one is loaded with a warning.
     */
    public static PolicyBundle classpath(String resourceDir) {
        Objects.requireNonNull(resourceDir, "resourceDir");
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return of(warnIfSignatureUnchecked(
                BundleLoader.loadClasspath(resourceDir, cl != null ? cl : PolicyBundle.class.getClassLoader())));
    }

    /**
     * A signed bundle loaded without its signature being checked is most likely a mistake (the
     * signature was meant to be enforced), and a changed file would go unnoticed: say so.
     */
    private static LoadedBundle warnIfSignatureUnchecked(LoadedBundle contents) {
        if (contents.files().contains(SIGNATURES)) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("bundle " + contents.source() + " has a signature ("
                    + SIGNATURES + ") that was NOT verified: PolicyBundle.load and PolicyBundle.classpath do not"
                    + " check signatures, so a file changed after signing goes unnoticed; load it with"
                    + " PolicyBundle.loadSigned(bundle, trustedKeys) to accept it only when validly signed by a key"
                    + " you trust (veil bundle verify BUNDLE --trusted-keys FILE checks it from the command line)"));
        }
        return contents;
    }

    /**
     * Reads a bundle's files, manifest and data without compiling its policy (for tools that
     * show what a bundle holds even when its policy does not compile).
     */
    public static Bundle read(Path path) {
        Objects.requireNonNull(path, "path");
        return BundleLoader.load(path);
    }

    /** Compiles already-read bundle contents with the one engine that recognises them. */
    public static PolicyBundle of(Bundle contents) {
        Objects.requireNonNull(contents, "contents");
        List<PolicyEngine> engines = new ArrayList<>();
        List<String> registered = new ArrayList<>();
        for (PolicyEngine e : ServiceLoader.load(PolicyEngine.class, PolicyBundle.class.getClassLoader())) {
            registered.add(e.name());
            if (e.handles(contents)) {
                engines.add(e);
            }
        }
        if (engines.isEmpty()) {
            boolean rego = contents.files().stream().anyMatch(f -> f.endsWith(".rego"));
            throw PolicyLoadException.of("<bundle>", "no policy in " + contents.source()
                    + ": expected one *.veil.yaml file (or .rego modules with veil-rego on the class path)"
                    + (rego ? "; the bundle has .rego modules but the policy engines registered are " + registered
                            + ": put veil-rego on the class path; in a shaded jar, merge the"
                            + " META-INF/services files (maven-shade-plugin's ServicesResourceTransformer), or"
                            + " veil-rego's registration is lost" : ""));
        }
        if (engines.size() > 1) {
            throw PolicyLoadException.of("<bundle>", contents.source() + " holds policies for several engines "
                    + engines.stream().map(PolicyEngine::name).toList() + "; a bundle must use exactly one language");
        }
        return new PolicyBundle(contents, engines.get(0).compile(contents), false);
    }

    /**
     * Whether {@link #loadSigned} checked this bundle's signature. A Guard whose bundle in force is
     * signed refuses, on {@link Guard#reload}, a signed bundle of the same name with an older
     * revision (see there).
     */
    public boolean signed() {
        return signed;
    }

    /** The policy's {@code name}. */
    public String name() {
        return policy.settings().name();
    }

    /** The manifest's revision, or {@code ""}. */
    public String revision() {
        return contents.revision();
    }

    /** Where the bundle was loaded from. */
    public String source() {
        return contents.source();
    }

    /** The engine that compiled it ({@code yaml} or {@code rego}). */
    public String engine() {
        return policy.engine();
    }

    /** The raw contents (files, manifest, data). */
    public Bundle contents() {
        return contents;
    }

    /** The compiled policy. */
    public CompiledPolicy policy() {
        return policy;
    }

    /**
     * Asks every stage question for one policy input document (the layout of
     * {@link dev.veil.spi.PolicyInput#toDocument()}) and returns the decision documents by stage:
     * {@code {"access": ..., "validation": ..., "monitoring": ..., "model": ..., "output": ...,
     * "logging": ...}}. This is what {@code veil eval} prints.
     *
     * @throws IllegalArgumentException when the input document has a field of the wrong type, or a number
     *     that is not finite (NaN, infinite: JSON cannot hold them, so not every engine could read them)
     */
    public Map<String, Object> evaluate(Map<String, Object> inputDocument) {
        return Documents.evaluateAll(policy, Documents.inputFromDocument(inputDocument));
    }

    @Override
    public String toString() {
        return "PolicyBundle[" + name() + ", revision=" + revision() + ", engine=" + engine() + ", " + source() + "]";
    }
}
