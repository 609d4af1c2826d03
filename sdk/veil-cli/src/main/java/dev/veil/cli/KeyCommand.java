package dev.veil.cli;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.veil.ApiKeys;
import dev.veil.PolicyLoadException;
import dev.veil.internal.access.ApiKeyStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil key}: key tools; {@code veil key create} issues an API key, {@code veil key pair} makes a
 * key pair for signing bundles.
 */
@Command(name = "key", mixinStandardHelpOptions = true, description = "API key and bundle signing key tools.",
        subcommands = {KeyCommand.Create.class, KeyCommand.Pair.class, CommandLine.HelpCommand.class})
final class KeyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw VeilCli.missingSubcommand(spec);
    }

    /**
     * {@code veil key create --caller C [--role R]... [--tenant T] [--attr K=V]... [--expires ISO]
     * --store FILE}: issues a key with {@link ApiKeys#issue}, prints the plaintext key once on
     * standard output, and appends the salted-hash entry to the key store file.
     *
     * <p>The store is created when missing. An existing store must be a valid key store (as the
     * Guard parses it); otherwise it is refused and left unchanged. The key is printed before the
     * store is written: when standard output cannot be written, the key is not stored and the store
     * is left unchanged (exit 2). The new file is written beside
     * the old one and renamed over it, so a reader sees the old store or the new one, never a part.
     * Two {@code veil key create} runs on the same store at the same moment are not serialised: the
     * later rename wins, so issue keys one at a time.
     */
    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = {
                "Issue an API key: prints the key (veil_<id>_<secret>) once on standard output and appends its "
                        + "salted hash to the key store file, which is created if missing and replaced atomically.",
                "An existing file that is not a valid key store is refused and left unchanged. The store keeps "
                        + "its permissions, owner and group (a user who cannot give the file its owner is refused: "
                        + "run as that owner); the key is printed only once the new store is on disk beside the old, "
                        + "so a store that cannot be written shows no key. Adding a key to a signed bundle breaks its "
                        + "signature: a note says to re-sign it."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the key was issued and stored",
                "2:bad usage or a bad value; the store is not a valid key store or cannot be written; standard "
                        + "output cannot be written, so the key could not be shown (in every case the store is left "
                        + "unchanged)"
            })
    static final class Create implements Callable<Integer> {
        private static final int MAX_ID_TRIES = 100;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--caller", required = true, paramLabel = "CALLER",
                description = "Caller id the key authenticates as.")
        String caller;

        @Option(names = "--role", paramLabel = "ROLE", description = "A role (repeatable).")
        List<String> roles = new ArrayList<>();

        @Option(names = "--tenant", paramLabel = "TENANT", defaultValue = "", description = "Tenant (default: none).")
        String tenant;

        @Option(names = "--attr", paramLabel = "NAME=VALUE",
                description = "An attribute (repeatable, each NAME once).")
        Map<String, String> attributes = new LinkedHashMap<>();

        @Option(names = "--expires", paramLabel = "INSTANT",
                description = "When the key stops working, an ISO-8601 instant such as 2027-01-01T00:00:00Z "
                        + "(default: never).")
        String expires;

        @Option(names = "--store", required = true, paramLabel = "FILE",
                description = "The key store JSON file ({\"keys\": [...]}) to add the key to.")
        Path store;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() {
            checkValues();
            Instant expiresAt = expiresAt();
            Path target = resolve(store);
            CliFiles.requireWritableTarget(target, "--store");
            Map<String, Object> doc = new LinkedHashMap<>();
            List<Object> keys = new ArrayList<>();
            if (Files.exists(target)) {
                byte[] bytes = CliFiles.read(target, "--store");
                if (!validStore(bytes)) {
                    return VeilCli.EXIT_USAGE;
                }
                doc = Json.readObject(target, "--store");
                keys = (List<Object>) doc.get("keys");
            }
            Set<Object> ids = new HashSet<>();
            for (Object k : keys) {
                ids.add(((Map<String, Object>) k).get("id"));
            }
            ApiKeys.Issued issued = issueUnique(expiresAt, ids);
            keys.add(new LinkedHashMap<>(issued.entry()));
            doc.put("keys", keys);
            byte[] updated = (Json.text(doc) + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                // the store written must be one the Guard accepts
                ApiKeyStore.parse(updated, store.toString(), Clock.systemUTC());
            } catch (PolicyLoadException e) {
                throw new IllegalStateException("the updated key store does not parse: " + e.getMessage(), e);
            }
            // The store written beside it first (what can fail, fails before the key is shown), then the
            // key: a key that could not be shown must not be stored (nobody could ever use it, and the
            // store would hold an entry for a secret that is lost); then only the rename is left.
            CliFiles.Staged staged = CliFiles.stage(target, updated, "--store");
            spec.commandLine().getOut().println(issued.plaintext());
            if (!VeilCli.stdoutWritten(spec)) {
                staged.abandon();
                spec.commandLine().getErr().println(spec.qualifiedName() + ": the new key could not be shown, so it "
                        + "was not added: --store " + store + " is unchanged");
                return VeilCli.EXIT_USAGE;
            }
            try {
                staged.commit();
            } catch (CliException e) {
                throw new CliException(e.getMessage() + "; the key printed above was not stored and does not work",
                        e);
            }
            spec.commandLine().getErr().println("added key " + issued.id() + " for caller " + caller + " to "
                    + store + " (" + keys.size() + " key" + (keys.size() == 1 ? "" : "s")
                    + "); the key above is shown only this once: hand it over now");
            Path signed = signedBundleOf(target);
            if (signed != null) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": note: " + signed.resolve(".signatures.json")
                        + " signs the bundle that holds " + store + ", and no longer matches it: re-sign it with "
                        + "'veil bundle sign " + signed + " --key ...', or a signed load refuses the bundle");
            }
            return VeilCli.EXIT_OK;
        }

        /** The nearest directory above {@code file} that holds a bundle signature, or null. */
        private static Path signedBundleOf(Path file) {
            for (Path dir = file.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve(".signatures.json"))) {
                    return dir;
                }
            }
            return null;
        }

        private void checkValues() {
            if (caller.isBlank()) {
                throw new CliException("--caller must not be blank");
            }
            if (ApiKeyStore.nameProblem(caller) != null) {
                throw new CliException("--caller " + ApiKeyStore.nameProblem(caller));
            }
            for (String r : roles) {
                if (r.isBlank()) {
                    throw new CliException("--role must not be blank");
                }
                if (ApiKeyStore.nameProblem(r) != null) {
                    throw new CliException("--role " + ApiKeyStore.nameProblem(r));
                }
            }
            if (ApiKeyStore.nameProblem(tenant) != null) {
                throw new CliException("--tenant " + ApiKeyStore.nameProblem(tenant));
            }
            for (String name : attributes.keySet()) {
                if (name.isBlank()) {
                    throw new CliException("--attr needs a non-blank NAME in NAME=VALUE");
                }
            }
            requireDistinctAttributes();
        }

        /**
         * Refuses an attribute named twice: the map keeps the last value, which a user who wrote two
         * would not notice (picocli splits {@code NAME=VALUE} at the first {@code =}, as here).
         */
        private void requireDistinctAttributes() {
            CommandLine.Model.OptionSpec attr = spec.commandLine().getParseResult().matchedOption("--attr");
            if (attr == null) {
                return;
            }
            Map<String, String> seen = new LinkedHashMap<>();
            for (String given : attr.originalStringValues()) {
                String name = given.substring(0, Math.max(0, given.indexOf('=')));
                String earlier = seen.putIfAbsent(name, given);
                if (earlier != null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--attr " + name + " is given twice ("
                            + earlier + ", then " + given + "): give each attribute once");
                }
            }
        }

        private Instant expiresAt() {
            if (expires == null) {
                return null;
            }
            Instant exp;
            try {
                exp = Instant.parse(expires);
            } catch (DateTimeParseException e) {
                throw new CliException("--expires must be an ISO-8601 instant such as 2027-01-01T00:00:00Z, was '"
                        + expires + "'", e);
            }
            if (!exp.isAfter(Instant.now())) {
                throw new CliException("--expires must be in the future, was " + exp + " (the key would never work)");
            }
            return exp;
        }

        private static Path resolve(Path p) {
            if (Files.isSymbolicLink(p)) {
                try {
                    return p.toRealPath();
                } catch (IOException e) {
                    throw new CliException("--store " + p + ": is a symbolic link that cannot be followed: "
                            + CliFiles.describe(e), e);
                }
            }
            return p;
        }

        private boolean validStore(byte[] bytes) {
            var err = spec.commandLine().getErr();
            String header = spec.qualifiedName() + ": --store " + store + " is not a valid key store, left unchanged";
            if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
                err.println(header + ": it is empty; write {\"keys\": []} into it or delete it");
                return false;
            }
            try {
                ApiKeyStore.parse(bytes, store.toString(), Clock.systemUTC());
                return true;
            } catch (PolicyLoadException e) {
                VeilCli.printBundleErrors(err, header, e);
                return false;
            }
        }

        private ApiKeys.Issued issueUnique(Instant expiresAt, Set<Object> ids) {
            for (int i = 0; i < MAX_ID_TRIES; i++) {
                ApiKeys.Issued issued;
                try {
                    issued = ApiKeys.issue(caller, roles, tenant, attributes, expiresAt);
                } catch (IllegalArgumentException e) {
                    throw new CliException(e.getMessage(), e);
                }
                if (!ids.contains(issued.id())) {
                    return issued;
                }
            }
            throw new IllegalStateException("no unused key id after " + MAX_ID_TRIES + " tries");
        }
    }

    /**
     * {@code veil key pair --out-private F --out-public F [--alg ALG] [--kid ID]}: generates a key pair
     * for {@code veil bundle sign}: the private key as one JWK (written owner-readable only) and the
     * public key as a JWK Set for {@code --trusted-keys} and {@code PolicyBundle.loadSigned}. Both keys
     * carry the kid and are pinned to the algorithm. Refuses to overwrite a file; prints no key material.
     */
    @Command(
            name = "pair",
            mixinStandardHelpOptions = true,
            description = {
                "Generate a key pair for signing bundles: writes the private key (a JWK, readable by its owner "
                        + "only) and the public key (a JWK Set, for veil bundle verify --trusted-keys).",
                "Existing files are never overwritten."
            },
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the key pair was written",
                "2:bad usage, or a file exists already or cannot be written (nothing was written)"
            })
    static final class Pair implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--out-private", required = true, paramLabel = "FILE", description = "Private key file.")
        Path outPrivate;

        @Option(names = "--out-public", required = true, paramLabel = "FILE", description = "Public key set file.")
        Path outPublic;

        @Option(names = "--alg", paramLabel = "ALG", defaultValue = "ES256",
                description = "ES256|ES384|ES512 (EC), RS256|RS384|RS512|PS256|PS384|PS512 (RSA, 3072 bits); "
                        + "default: ${DEFAULT-VALUE}.")
        String alg;

        @Option(names = "--kid", paramLabel = "ID",
                description = "Key id (default: the key's RFC 7638 thumbprint).")
        String kid;

        @Override
        public Integer call() throws Exception {
            if (kid != null && kid.isBlank()) {
                throw new CliException("--kid must not be blank");
            }
            for (Path p : List.of(outPrivate, outPublic)) {
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new CliException((p == outPrivate ? "--out-private " : "--out-public ") + p
                            + ": exists already; keys are never overwritten, choose another name");
                }
                CliFiles.requireWritableTarget(p, p == outPrivate ? "--out-private" : "--out-public");
            }
            if (outPrivate.toAbsolutePath().normalize().equals(outPublic.toAbsolutePath().normalize())) {
                throw new CliException("--out-private and --out-public must be different files");
            }
            JWSAlgorithm algorithm = JWSAlgorithm.parse(alg);
            JWK key;
            switch (alg) {
                case "ES256", "ES384", "ES512" -> {
                    var gen = new ECKeyGenerator(
                            Curve.forJWSAlgorithm(algorithm).iterator().next());
                    gen.algorithm(algorithm).keyUse(KeyUse.SIGNATURE);
                    key = kid != null ? gen.keyID(kid).generate() : gen.keyIDFromThumbprint(true).generate();
                }
                case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512" -> {
                    var gen = new RSAKeyGenerator(3072);
                    gen.algorithm(algorithm).keyUse(KeyUse.SIGNATURE);
                    key = kid != null ? gen.keyID(kid).generate() : gen.keyIDFromThumbprint(true).generate();
                }
                default -> throw new CliException("--alg must be one of ES256, ES384, ES512, RS256, RS384, RS512,"
                        + " PS256, PS384, PS512, was '" + alg + "' (HS algorithms use a shared secret, not a pair)");
            }
            writePrivate(outPrivate, (key.toJSONString() + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                CliFiles.writeAtomically(outPublic, (new JWKSet(key.toPublicJWK()).toString(false) + "\n")
                        .getBytes(StandardCharsets.UTF_8), "--out-public");
            } catch (CliException e) {
                Files.deleteIfExists(outPrivate); // nothing half-written: no private key without its public one
                throw e;
            }
            String id = key.getKeyID();
            VeilCli.confirm(spec, outPrivate + " and " + outPublic, w -> w.println("wrote " + alg + " key pair, key id "
                    + id + ": private key " + outPrivate + " (keep it secret), public key set " + outPublic));
            return VeilCli.EXIT_OK;
        }

        private static void writePrivate(Path target, byte[] content) {
            try {
                if (Files.getFileStore(target.toAbsolutePath().getParent())
                        .supportsFileAttributeView(PosixFileAttributeView.class)) {
                    Files.createFile(target, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                } else {
                    Files.createFile(target);
                }
                Files.write(target, content);
            } catch (IOException e) {
                throw new CliException("--out-private " + target + ": cannot be written: " + CliFiles.describe(e), e);
            }
        }
    }
}
