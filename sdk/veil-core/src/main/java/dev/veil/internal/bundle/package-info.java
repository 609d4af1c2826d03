/**
 * Policy bundles in OPA's bundle layout: loading ({@link dev.veil.internal.bundle.BundleLoader}),
 * the in-memory bundle ({@link dev.veil.internal.bundle.LoadedBundle}) and OPA-format signatures
 * ({@link dev.veil.internal.bundle.BundleSigner}, {@link dev.veil.internal.bundle.BundleVerifier}).
 *
 * <p>A bundle is a directory, a {@code .tar.gz} or a class path directory holding:
 * <ul>
 *   <li>{@code .manifest} (optional JSON): {@code revision}, {@code roots}, {@code metadata} and
 *       OPA's {@code rego_version}, {@code file_rego_versions}, {@code wasm}; any other key is an
 *       error.
 *   <li>{@code data.json} / {@code data.yaml} / {@code data.yml}: merged into the data document at
 *       the path of their directory; every part of the data must lie inside a manifest root.
 *   <li>{@code .signatures.json} (optional): a JWS over the file hashes.
 *   <li>Anything else ({@code *.rego}, {@code *.veil.yaml}): kept as bytes for the policy engines.
 * </ul>
 * Hidden files and directories (a name starting with {@code .}, {@code .git} included) are
 * ignored, except {@code .manifest} and {@code .signatures.json} at the top of the bundle.
 *
 * <p>YAML documents are read as YAML 1.1 (jackson-dataformat-yaml): quote strings such as
 * {@code "no"}, {@code "off"}, {@code "yes"} and {@code "on"}, which are otherwise booleans.
 * Numbers become {@code Long}, {@code BigInteger} (integers beyond 64 bits) or {@code Double}
 * (everything else, rounded to binary64).
 *
 * <p>Bundles are untrusted input: paths are checked, archives may hold only files and
 * directories, and {@link dev.veil.internal.bundle.BundleLimits} bound files, sizes and
 * decompression. Every failure is a {@link dev.veil.PolicyLoadException} naming the file, with
 * line and column when known.
 *
 * <p>Typical use by a Guard (load, verify, then hand to an engine):
 * <pre>{@code
 * LoadedBundle bundle = BundleLoader.load(Path.of("policies/default.tar.gz"));
 * BundleVerifier.verify(bundle, trustedKeys);   // when signatures are required
 * CompiledPolicy policy = engine.compile(bundle, ...);
 * }</pre>
 */
package dev.veil.internal.bundle;
