package dev.veil.internal.access;

import dev.veil.Caller;
import dev.veil.Credentials;
import dev.veil.PolicyLoadException;
import dev.veil.spi.Bundle;
import dev.veil.spi.GuardSettings;
import java.time.Clock;
import java.util.Objects;

/**
 * Turns {@link Credentials} into a {@link Caller}, as the policy's
 * {@link GuardSettings.AuthenticationSettings} say: API keys against an {@link ApiKeyStore} (a
 * bundle file or a path of the bundle's data), bearer tokens with a {@link JwtAuthenticator}
 * (a JWKS file of the bundle), and anonymous callers only when the policy allows them.
 *
 * <p>A kind of credential the policy does not configure is refused, never passed through:
 * "API keys are not accepted by this policy", "bearer tokens are not accepted by this policy",
 * "credentials required: this policy does not accept anonymous callers".
 *
 * <p>Immutable and thread-safe. One instance belongs to one loaded bundle; a reload builds a new
 * one (so key and JWKS changes take effect atomically with the policy).
 */
public final class Authenticator {
    static final String API_KEYS_NOT_ACCEPTED = "API keys are not accepted by this policy";
    static final String TOKENS_NOT_ACCEPTED = "bearer tokens are not accepted by this policy";
    static final String ANONYMOUS_NOT_ACCEPTED =
            "credentials required: this policy does not accept anonymous callers (send an API key or a bearer token)";

    private static final AuthResult ANONYMOUS = AuthResult.success(Caller.ANONYMOUS);

    private final boolean allowAnonymous;
    private final ApiKeyStore keys;
    private final JwtAuthenticator jwt;

    private Authenticator(boolean allowAnonymous, ApiKeyStore keys, JwtAuthenticator jwt) {
        this.allowAnonymous = allowAnonymous;
        this.keys = keys;
        this.jwt = jwt;
    }

    /**
     * Builds the authenticator for a bundle.
     *
     * @param settings the policy's authentication settings
     * @param bundle the bundle holding the key file, key data and JWKS file the settings name
     * @param clock the clock for key expiry and token {@code exp}/{@code nbf}
     * @return the authenticator; never {@code null}
     * @throws PolicyLoadException naming the file (or {@code data.<path>}) that is missing or invalid
     */
    public static Authenticator from(GuardSettings.AuthenticationSettings settings, Bundle bundle, Clock clock) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(clock, "clock");
        ApiKeyStore keys = null;
        GuardSettings.ApiKeys apiKeys = settings.apiKeys();
        if (apiKeys != null) {
            if (apiKeys.file() != null) {
                keys = ApiKeyStore.parse(read(bundle, apiKeys.file(), "api_keys.file"), apiKeys.file(), clock);
            } else {
                keys = ApiKeyStore.fromData(bundle.data(apiKeys.data()), apiKeys.data(), clock);
            }
        }
        JwtAuthenticator jwt = null;
        if (settings.jwt() != null) {
            jwt = JwtAuthenticator.create(settings.jwt(), read(bundle, settings.jwt().jwks(), "jwt.jwks"), clock);
        }
        return new Authenticator(settings.allowAnonymous(), keys, jwt);
    }

    /** An authenticator over parts already built (for the Guard's builder and for tests). */
    public static Authenticator of(boolean allowAnonymous, ApiKeyStore keysOrNull, JwtAuthenticator jwtOrNull) {
        return new Authenticator(allowAnonymous, keysOrNull, jwtOrNull);
    }

    private static byte[] read(Bundle bundle, String path, String setting) {
        if (!bundle.files().contains(path)) {
            throw PolicyLoadException.of(path, "file not found in bundle " + bundle.source() + " (named by "
                    + setting + "); " + dev.veil.internal.policy.DataPaths.missingFile(bundle, path));
        }
        try {
            return bundle.read(path);
        } catch (IllegalArgumentException e) {
            throw new PolicyLoadException(dev.veil.PolicyError.of(path, "cannot read: " + e.getMessage()), e);
        }
    }

    /**
     * Authenticates one request's credentials. Never throws for bad credentials: every refusal is
     * an {@link AuthResult.Failure} with a specific message free of secrets.
     *
     * @param credentials what the caller presented
     * @return the caller, or why the credentials were refused
     */
    public AuthResult authenticate(Credentials credentials) {
        Objects.requireNonNull(credentials, "credentials");
        if (credentials instanceof Credentials.ApiKey k) {
            return keys == null ? AuthResult.failure(API_KEYS_NOT_ACCEPTED) : keys.authenticate(k.key());
        }
        if (credentials instanceof Credentials.Bearer b) {
            return jwt == null ? AuthResult.failure(TOKENS_NOT_ACCEPTED) : jwt.authenticate(b.token());
        }
        return allowAnonymous ? ANONYMOUS : AuthResult.failure(ANONYMOUS_NOT_ACCEPTED);
    }

    /**
     * What the credentials configuration accepts but should not, one sentence each (an HMAC secret
     * in the JWKS, {@link JwtAuthenticator#warnings()}); empty when nothing.
     */
    public java.util.List<String> warnings() {
        return jwt == null ? java.util.List.of() : jwt.warnings();
    }

    /** Whether anonymous callers are let through to the access policy. */
    public boolean allowsAnonymous() {
        return allowAnonymous;
    }

    /** Whether API keys are accepted (a key store is configured). */
    public boolean acceptsApiKeys() {
        return keys != null;
    }

    /** Whether bearer tokens are accepted (a JWKS is configured). */
    public boolean acceptsTokens() {
        return jwt != null;
    }

    @Override
    public String toString() {
        return "Authenticator[anonymous=" + allowAnonymous + ", keys=" + keys + ", jwt=" + jwt + "]";
    }
}
