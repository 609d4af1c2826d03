package dev.veil;

import java.util.Objects;

/**
 * What a caller presents. {@link #toString()} never prints the secret.
 */
public sealed interface Credentials permits Credentials.ApiKey, Credentials.Bearer, Credentials.Anonymous {

    /**
     * An API key of the form {@code veil_<keyId>_<secret>}, as issued by {@code veil key create}. It
     * is used exactly as given: a key with whitespace around it (a newline read from a file) is
     * refused, not stripped.
     */
    static Credentials apiKey(String key) {
        return new ApiKey(key);
    }

    /**
     * A JWT bearer token (the part after {@code Bearer }). It is used exactly as given: a token with
     * whitespace around or inside it is refused, not stripped.
     */
    static Credentials bearer(String token) {
        return new Bearer(token);
    }

    /** No credentials at all. Only a policy that explicitly allows anonymous callers lets these through. */
    static Credentials anonymous() {
        return Anonymous.INSTANCE;
    }

    /** An API key. */
    record ApiKey(String key) implements Credentials {
        public ApiKey {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "ApiKey[***]";
        }
    }

    /** A bearer token. */
    record Bearer(String token) implements Credentials {
        public Bearer {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String toString() {
            return "Bearer[***]";
        }
    }

    /** No credentials. */
    final class Anonymous implements Credentials {
        static final Anonymous INSTANCE = new Anonymous();

        private Anonymous() {}

        @Override
        public String toString() {
            return "Anonymous";
        }
    }
}
