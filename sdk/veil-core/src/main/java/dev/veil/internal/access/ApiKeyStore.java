package dev.veil.internal.access;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.policy.Names;
import dev.veil.internal.policy.ValueCount;
import dev.veil.internal.policy.YamlLocations;
import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The API keys a policy accepts, stored only as salted SHA-256 hashes.
 *
 * <h2>Store format</h2>
 *
 * <p>A JSON file in the bundle, or the same structure at a path of the bundle's data document:
 *
 * <pre>{@code
 * {"keys": [{"id": "k1a2b3c4", "caller": "alice",
 *            "salt": "<base64, at least 16 bytes>", "hash": "<base64 of SHA-256(salt || UTF-8(secret))>",
 *            "roles": ["analyst"], "tenant": "acme", "attributes": {"team": "x"},
 *            "expires_at": "2027-01-01T00:00:00Z", "disabled": false}]}
 * }</pre>
 *
 * <p>{@code id}, {@code caller}, {@code salt} and {@code hash} are required; {@code roles} (list of
 * strings), {@code tenant} (string), {@code attributes} (object of strings), {@code expires_at}
 * (ISO-8601 instant) and {@code disabled} (boolean) are optional. Parsing is strict: an unknown
 * field, a caller, role, tenant or attribute name with leading or trailing whitespace, a control,
 * format or line separator character or a lone surrogate ({@link #nameProblem}; an attribute value
 * likewise, though it may be empty), a blank attribute name, a duplicate JSON member, a duplicate key id, bad base64, a hash that is
 * not 32 bytes or a bad timestamp is a {@link PolicyLoadException} naming the file (or {@code data.<path>}) and the
 * entry; in a file, each problem also has the line and column of the value at fault (of the entry
 * for a missing field, of the document for a top-level problem). Every problem in the file is
 * reported at once.
 *
 * <h2>Plaintext keys</h2>
 *
 * <p>A key as presented by a caller is {@code veil_<id>_<secret>}: {@code id} is 8 characters of
 * {@code [a-z0-9]} (public: it names the key), {@code secret} is 32 random bytes in base64url
 * without padding (43 characters). The store hashes {@code salt || UTF-8(secret)}, where
 * {@code secret} is those 43 characters. {@link #issue} creates a key and the entry to store.
 *
 * <h2>Authentication</h2>
 *
 * <p>{@link #authenticate} looks the id up in a hash map and compares hashes in constant time
 * ({@link MessageDigest#isEqual}). An unknown id still hashes the secret against a dummy entry so
 * that the time taken does not tell which ids exist. Disabled and expired states are only reported
 * to a caller who presented the right secret. No message ever contains a secret.
 *
 * <p><b>Secrets already checked.</b> A key's salted SHA-256 is computed once per store, not on
 * every request: after a secret has matched its stored hash, its entry keeps the secret's
 * SipHash-2-4 (128-bit output) under a key that this store drew at random when it was made and that
 * never leaves it; a later request whose secret has the same SipHash value is that secret (a
 * different one would need to hit a 128-bit output of a keyed pseudorandom function) and skips the
 * SHA-256. Every request computes the SipHash value and compares it, in constant time, with its
 * entry's (a random value until the secret has matched once; the dummy entry's stays random), and
 * every request whose value differs computes the SHA-256: an unknown id, a wrong secret and a right
 * secret not yet seen take the same steps. The stored SipHash values are no easier to reverse than
 * the salted hashes (the secrets are 32 random bytes) and live only in memory.
 *
 * <p>Instances are thread-safe and immutable apart from those values (a race between two requests
 * stores the same value twice); {@link #authenticate} takes no locks and allocates only the key
 * id's string (and, the first time a secret matches, its SipHash value): the secret's bytes and
 * their hashes go to per-thread buffers, and the secret's bytes are zeroed after use.
 */
public final class ApiKeyStore {
    /** Prefix of every plaintext key. */
    public static final String PREFIX = "veil_";
    /** Length of a key id. */
    public static final int ID_LENGTH = 8;
    /** Length of a secret: 32 bytes in base64url without padding. */
    public static final int SECRET_LENGTH = 43;
    /** Length of a whole plaintext key. */
    public static final int KEY_LENGTH = PREFIX.length() + ID_LENGTH + 1 + SECRET_LENGTH;
    /** Shortest salt accepted in a store. */
    public static final int MIN_SALT_BYTES = 16;

    static final String MALFORMED = "malformed API key: expected veil_<8 characters a-z 0-9>_<43-character"
            + " base64url secret>, as issued by 'veil key create'";
    /** The refusal of a key with whitespace around it (never stripped: a credential is used as presented). */
    static final String SURROUNDING_WHITESPACE =
            "the API key has surrounding whitespace (a trailing newline from a file?): strip it";

    private static final int HASH_BYTES = 32;
    private static final int SECRET_BYTES = 32;
    private static final int ISSUED_SALT_BYTES = 16;
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final Pattern ID_PATTERN = Pattern.compile("[a-z0-9]{8}");
    private static final Set<String> FIELDS = Set.of(
            "id", "caller", "salt", "hash", "roles", "tenant", "attributes", "expires_at", "disabled");
    private static final List<String> FIELD_LIST = FIELDS.stream().sorted().toList();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Map<String, Entry> byId;
    private final Entry dummy;
    private final Clock clock;
    private final String source;
    /** The key of the SipHash values of checked secrets (see the class comment). */
    private final long tagKey0;
    private final long tagKey1;

    private ApiKeyStore(Map<String, Entry> byId, Clock clock, String source) {
        this.byId = Map.copyOf(byId);
        this.clock = clock;
        this.source = source;
        SecureRandom random = new SecureRandom();
        this.tagKey0 = random.nextLong();
        this.tagKey1 = random.nextLong();
        byte[] salt = new byte[ISSUED_SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = new byte[HASH_BYTES];
        random.nextBytes(hash);
        this.dummy = new Entry("", salt, hash, new AuthResult.Success(Caller.ANONYMOUS), null, true);
        dummy.checked = new Tag(random.nextLong(), random.nextLong());
        for (Entry e : this.byId.values()) {
            e.checked = new Tag(random.nextLong(), random.nextLong());
        }
    }

    /**
     * Parses a key file.
     *
     * @param json the file's bytes (UTF-8 JSON)
     * @param file the bundle-relative file name, used in every error
     * @param clock the clock against which {@code expires_at} is checked on each authentication
     * @return the store; never {@code null}
     * @throws PolicyLoadException naming {@code file}, with the line and column of each problem (a
     *     file of more than {@link ValueCount#MAX_VALUES} values is refused before it is parsed)
     */
    public static ApiKeyStore parse(byte[] json, String file, Clock clock) {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        ValueCount.check(JSON.getFactory(), json, file, "key file");
        Object root;
        try {
            root = JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String what = e.getOriginalMessage();
            if (loc != null && loc.getLineNr() > 0) {
                throw new PolicyLoadException(
                        new PolicyError(file, loc.getLineNr(), loc.getColumnNr(), "invalid JSON: " + what), e);
            }
            throw new PolicyLoadException(PolicyError.of(file, "invalid JSON: " + what), e);
        } catch (IOException e) {
            throw new PolicyLoadException(PolicyError.of(file, "cannot read: " + e.getMessage()), e);
        }
        return fromValue(root, new Problems(file, () -> YamlLocations.index(JSON.getFactory(), json)), clock);
    }

    /**
     * Builds a store from the bundle's data document.
     *
     * @param value the value at {@code dataPath} (maps, lists, strings, numbers, booleans), or
     *     {@code null} when the path does not exist
     * @param dataPath the dotted path the value was read from; errors name {@code data.<dataPath>}
     * @param clock the clock against which {@code expires_at} is checked
     * @return the store; never {@code null}
     * @throws PolicyLoadException naming {@code data.<dataPath>}
     */
    public static ApiKeyStore fromData(Object value, String dataPath, Clock clock) {
        Objects.requireNonNull(dataPath, "dataPath");
        Objects.requireNonNull(clock, "clock");
        String label = "data." + dataPath;
        if (value == null) {
            throw PolicyLoadException.of(label, "no value at this path of the bundle's data document;"
                    + " add {\"keys\": [...]} there or point api_keys.data at the right path");
        }
        return fromValue(value, new Problems(label), clock);
    }

    private static ApiKeyStore fromValue(Object root, Problems problems, Clock clock) {
        Map<String, Entry> byId = new HashMap<>();
        if (!(root instanceof Map<?, ?> top)) {
            problems.add("", "must be an object {\"keys\": [...]}, was " + Problems.describe(root));
            throw problems.exception();
        }
        for (Object k : top.keySet()) {
            if (!"keys".equals(k)) {
                problems.add(String.valueOf(k), "unknown field '" + k + "' at top level; the only field is 'keys'");
            }
        }
        Object keys = top.get("keys");
        if (!(keys instanceof List<?> list)) {
            problems.add("keys", keys == null && !top.containsKey("keys")
                    ? "missing field 'keys' (a list of key entries)"
                    : "'keys' must be a list, was " + Problems.describe(keys));
            throw problems.exception();
        }
        for (int i = 0; i < list.size(); i++) {
            Entry e = parseEntry(list.get(i), "keys[" + i + "]", problems);
            if (e != null && byId.putIfAbsent(e.id, e) != null) {
                problems.add("keys[" + i + "].id",
                        "keys[" + i + "]: duplicate key id '" + e.id + "'; every key needs its own id");
            }
        }
        problems.throwIfAny();
        return new ApiKeyStore(byId, clock, problems.file());
    }

    private static Entry parseEntry(Object raw, String at, Problems problems) {
        if (!(raw instanceof Map<?, ?> m)) {
            problems.addAt(at, "must be an object, was " + Problems.describe(raw));
            return null;
        }
        boolean ok = true;
        for (Object field : m.keySet()) {
            if (!FIELDS.contains(field)) {
                problems.add(at + "." + field,
                        at + ": unknown field '" + Sanitize.text(String.valueOf(field)) + "'; allowed: " + FIELD_LIST);
                ok = false;
            }
        }
        String id = requiredString(m, "id", at, problems);
        if (id != null && !ID_PATTERN.matcher(id).matches()) {
            problems.addAt(at + ".id", "must be 8 characters of a-z and 0-9, was '" + Sanitize.text(id) + "'");
            id = null;
        }
        String caller = requiredString(m, "caller", at, problems);
        if (caller != null && caller.isBlank()) {
            problems.addAt(at + ".caller", "must not be blank");
            caller = null;
        } else if (caller != null && nameProblem(caller) != null) {
            problems.addAt(at + ".caller", nameProblem(caller));
            caller = null;
        } else if (caller != null && caller.equals(Caller.ANONYMOUS.id())) {
            problems.addAt(at + ".caller", "'" + caller + "' is reserved for requests without credentials; give the"
                    + " key's owner another name");
            caller = null;
        }
        byte[] salt = base64(m, "salt", at, problems);
        if (salt != null && salt.length < MIN_SALT_BYTES) {
            problems.addAt(at + ".salt", "must be at least " + MIN_SALT_BYTES + " bytes, was " + salt.length);
            salt = null;
        }
        byte[] hash = base64(m, "hash", at, problems);
        if (hash != null && hash.length != HASH_BYTES) {
            problems.addAt(at + ".hash", "must be a SHA-256 hash (32 bytes), was " + hash.length + " bytes");
            hash = null;
        }
        Set<String> roles = new LinkedHashSet<>();
        Object rawRoles = m.get("roles");
        if (rawRoles != null) {
            if (rawRoles instanceof List<?> rl) {
                for (int j = 0; j < rl.size(); j++) {
                    if (rl.get(j) instanceof String s && !s.isBlank() && nameProblem(s) != null) {
                        problems.addAt(at + ".roles[" + j + "]", nameProblem(s));
                        ok = false;
                    } else if (rl.get(j) instanceof String s && !s.isBlank()) {
                        roles.add(s);
                    } else {
                        problems.addAt(at + ".roles[" + j + "]", "must be a non-blank string, was "
                                + Problems.describe(rl.get(j)));
                        ok = false;
                    }
                }
            } else {
                problems.addAt(at + ".roles", "must be a list of strings, was " + Problems.describe(rawRoles));
                ok = false;
            }
        }
        String tenant = "";
        Object rawTenant = m.get("tenant");
        if (rawTenant != null) {
            if (rawTenant instanceof String s && nameProblem(s) != null) {
                problems.addAt(at + ".tenant", nameProblem(s));
                ok = false;
            } else if (rawTenant instanceof String s) {
                tenant = s;
            } else {
                problems.addAt(at + ".tenant", "must be a string, was " + Problems.describe(rawTenant));
                ok = false;
            }
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        Object rawAttrs = m.get("attributes");
        if (rawAttrs != null) {
            if (rawAttrs instanceof Map<?, ?> am) {
                for (Map.Entry<?, ?> a : am.entrySet()) {
                    String name = String.valueOf(a.getKey());
                    String nameProblem = attributeNameProblem(name);
                    if (nameProblem != null) {
                        problems.add(at + ".attributes." + name, at + ".attributes: " + nameProblem);
                        ok = false;
                    } else if (a.getValue() instanceof String s && nameProblem(s) != null) {
                        problems.add(at + ".attributes." + name, at + ".attributes." + name + ": "
                                + nameProblem(s));
                        ok = false;
                    } else if (a.getValue() instanceof String s) {
                        attributes.put(name, s);
                    } else {
                        problems.add(at + ".attributes." + a.getKey(), at + ".attributes."
                                + Sanitize.text(String.valueOf(a.getKey())) + ": must be a string, was "
                                + Problems.describe(a.getValue()));
                        ok = false;
                    }
                }
            } else {
                problems.addAt(at + ".attributes",
                        "must be an object of strings, was " + Problems.describe(rawAttrs));
                ok = false;
            }
        }
        Instant expiresAt = null;
        Object rawExp = m.get("expires_at");
        if (rawExp != null) {
            if (rawExp instanceof String s) {
                try {
                    expiresAt = Instant.parse(s);
                } catch (DateTimeParseException e) {
                    problems.addAt(at + ".expires_at", "must be an ISO-8601 instant like 2027-01-01T00:00:00Z, was '"
                            + Sanitize.text(s) + "'");
                    ok = false;
                }
            } else {
                problems.addAt(at + ".expires_at", "must be a string like 2027-01-01T00:00:00Z, was "
                        + Problems.describe(rawExp));
                ok = false;
            }
        }
        boolean disabled = false;
        Object rawDisabled = m.get("disabled");
        if (rawDisabled != null) {
            if (rawDisabled instanceof Boolean b) {
                disabled = b;
            } else {
                problems.addAt(at + ".disabled",
                        "must be true or false, was " + Problems.describe(rawDisabled));
                ok = false;
            }
        }
        if (!ok || id == null || caller == null || salt == null || hash == null) {
            return null;
        }
        Caller c = new Caller(caller, AuthMethod.API_KEY, roles, tenant, attributes);
        return new Entry(id, salt, hash, new AuthResult.Success(c), expiresAt, disabled);
    }

    /**
     * Why a caller id, role or tenant cannot be stored as written, or {@code null}: leading or
     * trailing whitespace (they are compared exactly, so {@code "alice "} would be a second caller
     * beside {@code "alice"}, with rate limits and quotas of its own, and a role {@code "analyst "}
     * would match no rule), a control character, an invisible format character (a zero-width space
     * U+200B, a bidi override U+202E, a soft hyphen U+00AD: "al&lt;U+200B&gt;ice" would be a caller of
     * its own that reads as alice in every record and message), a line or paragraph separator
     * (U+2028, U+2029), or a lone UTF-16 surrogate (the audit log writes it as U+FFFD and the Redis
     * state store's keys as {@code ?}, so names that differ only there could not be told apart).
     * Shared by the store's parser, {@link #issue}, {@code veil key create}, the JWT subject, roles
     * and tenant, and the names and values of policy conditions.
     *
     * @param value a caller id, role or tenant
     * @return the problem, as a phrase to follow the field's name; {@code null} when there is none
     */
    public static String nameProblem(String value) {
        int n = value.length();
        if (Sanitize.hasSurroundingSpace(value)) {
            return "has leading or trailing whitespace ('" + Sanitize.text(value) + "'); it is compared exactly, so it"
                    + " would not be '" + Sanitize.text(value.strip()) + "': remove the whitespace";
        }
        // the characters that hide or reorder text (ControlChars), each refused with its own reason;
        // the same class as every escape of printed text, which also escapes what renders as nothing
        // (ControlChars.invisible: a Hangul filler, a variation selector), accepted here as it was
        for (int i = 0; i < n; i++) {
            ControlChars.Hidden hidden = ControlChars.hiddenAt(value, i);
            if (hidden == null) {
                continue;
            }
            int cp = value.codePointAt(i);
            String where = " (" + codePoint(cp) + " at position " + i + ", '" + Sanitize.text(value) + "')";
            return switch (hidden) {
                case LONE_SURROGATE -> "contains a lone UTF-16 surrogate" + where + ", which is not text: remove it";
                case CONTROL -> "contains a control character" + where + ": remove it";
                case FORMAT -> "contains an invisible format character" + where
                        + ": it would be a name of its own that reads as another; remove it";
                case SEPARATOR -> "contains a line or paragraph separator" + where + ": remove it";
            };
        }
        return null;
    }

    /**
     * Why an attribute name cannot be stored, or {@code null}: blank, or a {@link #nameProblem}. A
     * policy cannot name such an attribute (its conditions refuse the same names), so no rule could
     * ever match it.
     */
    public static String attributeNameProblem(String name) {
        if (Names.isBlank(name)) {
            return "attribute name '" + Sanitize.text(name) + "' is blank: no policy rule can name it; write the name"
                    + " or remove the attribute";
        }
        String problem = nameProblem(name);
        return problem == null ? null : "attribute name " + problem;
    }

    private static String codePoint(int cp) {
        return ControlChars.codePoint(cp);
    }

    private static String requiredString(Map<?, ?> m, String field, String at, Problems problems) {
        Object v = m.get(field);
        if (v instanceof String s) {
            return s;
        }
        problems.add(v == null ? at : at + "." + field, at + (v == null ? ": missing required field '" + field + "'"
                : "." + field + ": must be a string, was " + Problems.describe(v)));
        return null;
    }

    private static byte[] base64(Map<?, ?> m, String field, String at, Problems problems) {
        String s = requiredString(m, field, at, problems);
        if (s == null) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            problems.addAt(at + "." + field, "not valid base64 (standard alphabet, with padding)");
            return null;
        }
    }

    /**
     * Checks a presented plaintext key.
     *
     * @param presented the key as the caller sent it
     * @return a success with the key's caller ({@link AuthMethod#API_KEY}), or a failure saying the
     *     key has whitespace around it (it is not stripped), is malformed, is unknown or has the wrong
     *     secret (one message, so that ids cannot be probed), is disabled or has expired (only told to a caller who holds the right secret)
     */
    public AuthResult authenticate(String presented) {
        if (!wellFormed(presented)) {
            return AuthResult.failure(Sanitize.hasSurroundingSpace(presented) ? SURROUNDING_WHITESPACE : MALFORMED);
        }
        String id = presented.substring(PREFIX.length(), PREFIX.length() + ID_LENGTH);
        Entry entry = byId.get(id);
        boolean known = entry != null;
        Entry checked = known ? entry : dummy;
        Scratch s = SCRATCH.get();
        byte[] secret = secretBytes(presented, s);
        boolean match;
        try {
            SipHash.hash128(tagKey0, tagKey1, secret, SECRET_LENGTH, s.tag);
            long tag0 = s.tag[0];
            long tag1 = s.tag[1];
            Tag seen = checked.checked;
            if (((seen.v0 ^ tag0) | (seen.v1 ^ tag1)) == 0) {
                match = known; // this very secret matched the stored hash before (the dummy's value is random)
            } else {
                match = MessageDigest.isEqual(checked.hash, sha256(checked.salt, secret, s)) & known;
                if (match) {
                    entry.checked = new Tag(tag0, tag1);
                }
            }
        } finally {
            Arrays.fill(secret, (byte) 0); // no plaintext left in a long-lived buffer
        }
        if (!match) {
            // One message for both cases, so that the answer does not reveal which key ids exist.
            return AuthResult.failure("API key '" + id + "' is unknown or its secret is wrong; check the key you were "
                    + "given, or ask its issuer for a new one");
        }
        if (entry.disabled) {
            return AuthResult.failure("API key '" + id + "' is disabled; ask its issuer for a new one");
        }
        if (entry.expiresAt != null && !clock.instant().isBefore(entry.expiresAt)) {
            return AuthResult.failure("API key '" + id + "' expired at " + entry.expiresAt + "; ask its issuer for a new one");
        }
        return entry.success;
    }

    /** Whether a key with this id is in the store (for {@code veil key create} to avoid a clash). */
    public boolean containsId(String id) {
        return byId.containsKey(id);
    }

    /** Number of keys in the store. */
    public int size() {
        return byId.size();
    }

    /** The file or {@code data.<path>} this store was loaded from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "ApiKeyStore[" + source + ", " + byId.size() + " keys]";
    }

    /** Whether {@code s} has the shape {@code veil_<8 x [a-z0-9]>_<43 x base64url>}. */
    static boolean wellFormed(String s) {
        if (s == null || s.length() != KEY_LENGTH || !s.startsWith(PREFIX)
                || s.charAt(PREFIX.length() + ID_LENGTH) != '_') {
            return false;
        }
        for (int i = PREFIX.length(); i < PREFIX.length() + ID_LENGTH; i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        for (int i = PREFIX.length() + ID_LENGTH + 1; i < KEY_LENGTH; i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Creates a new key. The plaintext is returned once and stored nowhere; the returned
     * {@link IssuedKey#entry()} is what goes into the store's {@code keys} list. The id is random;
     * check it with {@link #containsId} against the existing store and issue again on a clash.
     *
     * @param caller the caller id the key authenticates as (non-blank, see {@link #nameProblem})
     * @param roles the caller's roles (non-blank strings, see {@link #nameProblem})
     * @param tenant the tenant, {@code ""} for none (see {@link #nameProblem})
     * @param attributes further attributes: non-blank names and values ({@code ""} allowed), both
     *     without the problems of {@link #nameProblem}
     * @param expiresAt when the key stops working, or {@code null} for never
     * @param random the source of the id, salt and secret
     * @return the plaintext key and its store entry
     * @throws IllegalArgumentException if an argument is invalid
     */
    public static IssuedKey issue(String caller, List<String> roles, String tenant, Map<String, String> attributes,
            Instant expiresAt, SecureRandom random) {
        if (caller == null || caller.isBlank()) {
            throw new IllegalArgumentException("caller must be a non-blank string, was '" + Sanitize.text(caller) + "'");
        }
        if (nameProblem(caller) != null) {
            throw new IllegalArgumentException("caller " + nameProblem(caller));
        }
        if (caller.equals(Caller.ANONYMOUS.id())) {
            throw new IllegalArgumentException("caller '" + caller + "' is reserved for requests without credentials");
        }
        Objects.requireNonNull(roles, "roles");
        for (String r : roles) {
            if (r == null || r.isBlank()) {
                throw new IllegalArgumentException("roles must be non-blank strings, was " + roles);
            }
            if (nameProblem(r) != null) {
                throw new IllegalArgumentException("role " + nameProblem(r));
            }
        }
        Objects.requireNonNull(tenant, "tenant");
        if (nameProblem(tenant) != null) {
            throw new IllegalArgumentException("tenant " + nameProblem(tenant));
        }
        Objects.requireNonNull(attributes, "attributes");
        for (Map.Entry<String, String> a : attributes.entrySet()) {
            if (a.getKey() == null || a.getValue() == null) {
                throw new IllegalArgumentException(
                        "attributes must have non-null names and values, was " + attributes.keySet());
            }
            // Checked as the store's parser checks them: a policy could never match such a name or value
            String nameProblem = attributeNameProblem(a.getKey());
            if (nameProblem != null) {
                throw new IllegalArgumentException(nameProblem);
            }
            if (nameProblem(a.getValue()) != null) {
                throw new IllegalArgumentException("attribute '" + a.getKey() + "': value " + nameProblem(a.getValue()));
            }
        }
        Objects.requireNonNull(random, "random");
        char[] id = new char[ID_LENGTH];
        for (int i = 0; i < ID_LENGTH; i++) {
            id[i] = ID_ALPHABET.charAt(random.nextInt(ID_ALPHABET.length()));
        }
        byte[] secretBytes = new byte[SECRET_BYTES];
        random.nextBytes(secretBytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        byte[] salt = new byte[ISSUED_SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = hash(salt, secret.getBytes(StandardCharsets.UTF_8));
        String keyId = new String(id);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("id", keyId);
        entry.put("caller", caller);
        entry.put("salt", Base64.getEncoder().encodeToString(salt));
        entry.put("hash", Base64.getEncoder().encodeToString(hash));
        entry.put("roles", new ArrayList<>(roles));
        entry.put("tenant", tenant);
        entry.put("attributes", new LinkedHashMap<>(new TreeMap<>(attributes)));
        if (expiresAt != null) {
            entry.put("expires_at", expiresAt.toString());
        }
        entry.put("disabled", false);
        return new IssuedKey(PREFIX + keyId + "_" + secret, keyId, entry);
    }

    /** The secret of a well-formed key as its UTF-8 bytes, in this thread's buffer (zero it after use). */
    private static byte[] secretBytes(String presented, Scratch s) {
        byte[] secret = s.secret;
        int from = PREFIX.length() + ID_LENGTH + 1;
        for (int i = 0; i < SECRET_LENGTH; i++) {
            secret[i] = (byte) presented.charAt(from + i);
        }
        return secret;
    }

    /** SHA-256 of {@code salt || secret} into this thread's buffer. */
    private static byte[] sha256(byte[] salt, byte[] secret, Scratch s) {
        MessageDigest md = s.sha256;
        md.reset();
        md.update(salt);
        md.update(secret);
        try {
            md.digest(s.hash, 0, HASH_BYTES);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 did not give " + HASH_BYTES + " bytes", e);
        }
        return s.hash;
    }

    /** SHA-256 of {@code salt || secret}, in a new array (for issuing keys). */
    static byte[] hash(byte[] salt, byte[] secret) {
        return sha256(salt, secret, SCRATCH.get()).clone();
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform but is missing", e);
        }
    }

    /**
     * A freshly issued key.
     *
     * @param plaintext the key to hand to the caller, once; {@link #toString()} does not print it
     * @param id the key's public id
     * @param entry the JSON-like entry (id, caller, salt, hash, roles, tenant, attributes,
     *     expires_at when set, disabled) to append to the store's {@code keys} list
     */
    public record IssuedKey(String plaintext, String id, Map<String, Object> entry) {
        /** Copies {@code entry} (unmodifiable, in field order). */
        public IssuedKey {
            Objects.requireNonNull(plaintext, "plaintext");
            Objects.requireNonNull(id, "id");
            entry = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entry));
        }

        @Override
        public String toString() {
            return "IssuedKey[id=" + id + ", plaintext=***]";
        }
    }

    /** One stored key; {@code success} is built once at load so that authentication allocates nothing for it. */
    private static final class Entry {
        final String id;
        final byte[] salt;
        final byte[] hash;
        final AuthResult.Success success;
        final Instant expiresAt;
        final boolean disabled;
        /** The SipHash value of the secret once it has matched {@link #hash}; until then a random one. */
        volatile Tag checked;

        Entry(String id, byte[] salt, byte[] hash, AuthResult.Success success, Instant expiresAt, boolean disabled) {
            this.id = id;
            this.salt = salt;
            this.hash = hash;
            this.success = success;
            this.expiresAt = expiresAt;
            this.disabled = disabled;
        }
    }

    /** A SipHash-2-4 value (its two output words). */
    private record Tag(long v0, long v1) {}

    /** Per-thread working memory of authentication. */
    private static final class Scratch {
        final byte[] secret = new byte[SECRET_LENGTH];
        final byte[] hash = new byte[HASH_BYTES];
        final long[] tag = new long[2];
        final MessageDigest sha256 = newSha256();
    }
}
