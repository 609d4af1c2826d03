package dev.veil.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The request-independent part of a policy.
 *
 * @param name the policy's name (for audit records and messages)
 * @param onError what a failure after access and validation gives: {@link OnError#DENY} (default)
 *     or {@link OnError#DEGRADE}, the most minimised release ({@link #degradedRelease()})
 * @param authentication how callers prove who they are
 * @param degradedRelease the release used whenever a request is degraded (label only by default)
 * @param privacy the privacy-budget ledgers for noise releases, or {@code null} when no budget is kept
 * @param detectors configuration of each detector by name, as plain JSON-like values
 * @param onStateUnavailable what happens when the state store (e.g. Redis) cannot be reached:
 *     {@link OnStateUnavailable#DENY} (default), {@link OnStateUnavailable#DEGRADE} (answer with
 *     the most minimised release, without rate limits or monitoring) or
 *     {@link OnStateUnavailable#LOCAL} (use this process's own memory until the store is back)
 */
public record GuardSettings(
        String name,
        OnError onError,
        AuthenticationSettings authentication,
        ReleaseSpec degradedRelease,
        PrivacyBudget privacy,
        Map<String, Map<String, Object>> detectors,
        OnStateUnavailable onStateUnavailable) {

    /** What to do when the state store cannot be reached. */
    public enum OnStateUnavailable {
        DENY,
        DEGRADE,
        LOCAL
    }

    /** Failure mode. */
    public enum OnError {
        DENY,
        DEGRADE
    }

    public GuardSettings {
        Objects.requireNonNull(name, "name");
        onError = onError == null ? OnError.DENY : onError;
        authentication = authentication == null ? AuthenticationSettings.NONE : authentication;
        degradedRelease = degradedRelease == null ? ReleaseSpec.LABEL_ONLY : degradedRelease;
        // In the policy's order (Map.copyOf would iterate in an order that changes from one JVM to the
        // next, and so would the Guard's detectors, the signals in audit records and replay output).
        detectors = detectors == null ? Map.of() : ordered(detectors);
        onStateUnavailable = onStateUnavailable == null ? OnStateUnavailable.DENY : onStateUnavailable;
        if (degradedRelease.form() != ReleaseSpec.Form.LABEL_ONLY) {
            throw new IllegalArgumentException("output.degraded must be the most minimised release, form:"
                    + " label_only (with round for a regression's value), was form: "
                    + degradedRelease.form().name().toLowerCase(java.util.Locale.ROOT)
                    + "; a degraded request must never get more than a normal one");
        }
    }

    private static Map<String, Map<String, Object>> ordered(Map<String, Map<String, Object>> detectors) {
        Map<String, Map<String, Object>> copy = new java.util.LinkedHashMap<>();
        detectors.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "detector name"),
                Objects.requireNonNull(v, "detector configuration")));
        return java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * Privacy budgets for releases with noise. Basic composition: a period's releases cost the sum of
     * their epsilons and the sum of their deltas (0 for Laplace).
     *
     * @param perCallerEpsilon each caller's total epsilon per period ({@code > 0})
     * @param globalEpsilon everybody's total epsilon per period (Sybil accounts pool their
     *     answers), {@code 0} for no global ledger
     * @param periodSeconds length of a budget period; 0 means the budget never renews
     * @param onExhausted {@link OnExhausted#DEGRADE} (answer label only) or {@link OnExhausted#DENY}
     * @param perCallerDelta each caller's total delta per period, in [0, 1)
     *     ({@link #DEFAULT_DELTA} by the shorter constructor)
     * @param globalDelta everybody's total delta per period when a global ledger is kept, in [0, 1)
     */
    public record PrivacyBudget(double perCallerEpsilon, double globalEpsilon, long periodSeconds, OnExhausted onExhausted,
            double perCallerDelta, double globalDelta) {
        /** The delta budget, per caller and global, when the policy names none. */
        public static final double DEFAULT_DELTA = 1e-3;

        /** What happens when a budget is spent. */
        public enum OnExhausted {
            DEGRADE,
            DENY
        }

        public PrivacyBudget {
            if (!(perCallerEpsilon > 0) || Double.isInfinite(perCallerEpsilon)) {
                throw new IllegalArgumentException("privacy.per_caller_epsilon must be > 0, was " + perCallerEpsilon);
            }
            if (!(globalEpsilon >= 0) || Double.isInfinite(globalEpsilon)) {
                throw new IllegalArgumentException("privacy.global_epsilon must be >= 0 (0 = none), was " + globalEpsilon);
            }
            if (periodSeconds < 0) {
                throw new IllegalArgumentException("privacy.period_seconds must be >= 0, was " + periodSeconds);
            }
            if (!(perCallerDelta >= 0 && perCallerDelta < 1)) {
                throw new IllegalArgumentException("privacy.per_caller_delta must be in [0, 1), was " + perCallerDelta);
            }
            if (!(globalDelta >= 0 && globalDelta < 1)) {
                throw new IllegalArgumentException("privacy.global_delta must be in [0, 1), was " + globalDelta);
            }
            onExhausted = onExhausted == null ? OnExhausted.DENY : onExhausted;
        }

        /** Budgets with the {@link #DEFAULT_DELTA} for each caller and for everybody. */
        public PrivacyBudget(double perCallerEpsilon, double globalEpsilon, long periodSeconds, OnExhausted onExhausted) {
            this(perCallerEpsilon, globalEpsilon, periodSeconds, onExhausted, DEFAULT_DELTA, DEFAULT_DELTA);
        }

        /**
         * Why a release of {@code noise} could never be charged under these budgets, or {@code null}
         * when it could: its epsilon or delta exceeds a whole period's budget as the privacy ledger
         * counts them, in fixed-point units of 1e-12 epsilon and 1e-18 delta, charges rounded up and
         * budgets down, epsilon budgets above 1e6 counting as 1e6 and charges above 1e6 refused. So
         * the check and the ledger agree: a release this check lets through is one a fresh period's
         * budget grants (a budget of 1e-13 is 0 units, and no release can ever be charged to it).
         */
        public String unpayable(ReleaseSpec.Noise noise) {
            String eps = unpayable("epsilon", noise.epsilon(), PrivacyUnits.epsilonCharge(noise.epsilon()),
                    "privacy.per_caller_epsilon", perCallerEpsilon, PrivacyUnits.epsilonBudget(perCallerEpsilon));
            if (eps == null && globalEpsilon > 0) {
                eps = unpayable("epsilon", noise.epsilon(), PrivacyUnits.epsilonCharge(noise.epsilon()),
                        "privacy.global_epsilon", globalEpsilon, PrivacyUnits.epsilonBudget(globalEpsilon));
            }
            if (eps != null) {
                return eps;
            }
            String delta = unpayable("delta", noise.delta(), PrivacyUnits.deltaCharge(noise.delta()),
                    "privacy.per_caller_delta", perCallerDelta, PrivacyUnits.deltaBudget(perCallerDelta));
            if (delta == null && globalEpsilon > 0) {
                delta = unpayable("delta", noise.delta(), PrivacyUnits.deltaCharge(noise.delta()),
                        "privacy.global_delta", globalDelta, PrivacyUnits.deltaBudget(globalDelta));
            }
            return delta;
        }

        private static String unpayable(String what, double charge, long chargeUnits, String budgetName, double budget,
                long budgetUnits) {
            if (chargeUnits <= budgetUnits) {
                return null;
            }
            String exceeds = "its " + what + " " + charge + " exceeds " + budgetName + " " + budget;
            if (charge > budget) {
                return exceeds;
            }
            if (what.equals("epsilon") && charge > PrivacyUnits.MAX_EPSILON) {
                return "its epsilon " + charge + " is above 1e6, the largest epsilon the privacy ledger charges (it"
                        + " counts budgets above 1e6 as 1e6)";
            }
            return exceeds + " as the privacy ledger counts them, in whole units of " + (what.equals("epsilon")
                    ? "1e-12" : "1e-18") + " (charges rounded up, budgets down): " + chargeUnits + " unit(s) against "
                    + budgetUnits;
        }
    }

    /**
     * How callers authenticate.
     *
     * @param allowAnonymous whether requests without credentials reach the {@code access} policy as
     *     the anonymous caller (otherwise they are refused as unauthenticated)
     * @param apiKeys where API keys are stored, or {@code null} when keys are not accepted
     * @param jwt how bearer tokens are verified, or {@code null} when tokens are not accepted
     */
    public record AuthenticationSettings(boolean allowAnonymous, ApiKeys apiKeys, Jwt jwt) {
        public static final AuthenticationSettings NONE = new AuthenticationSettings(false, null, null);
    }

    /**
     * The API-key store: a JSON file in the bundle, or a path into the bundle's data. Exactly one.
     *
     * @param file bundle-relative path of a key file
     * @param data dotted path into the data document
     */
    public record ApiKeys(String file, String data) {
        public ApiKeys {
            if ((file == null) == (data == null)) {
                throw new IllegalArgumentException("api_keys needs exactly one of 'file' or 'data'");
            }
        }
    }

    /**
     * JWT bearer verification.
     *
     * @param issuer required {@code iss}
     * @param audience accepted {@code aud} values (at least one must be in the token)
     * @param jwks bundle-relative path of a JWKS file
     * @param algorithms accepted {@code alg} values, e.g. {@code [RS256, ES256]}
     * @param subjectClaim claim holding the caller id (default {@code sub})
     * @param rolesClaim claim holding roles, a list or a space-separated string (default {@code roles})
     * @param tenantClaim claim holding the tenant (default {@code tenant})
     * @param attributeClaims further string claims copied into the caller's attributes
     * @param clockSkewSeconds tolerance on {@code exp} and {@code nbf} (default 30, at most 300)
     * @param types accepted values of the token's {@code typ} header, compared as RFC 7515 says (letter
     *     case ignored, {@code application/} implied when there is no {@code /}), e.g.
     *     {@code [at+jwt]}; empty (the default) means the type is not checked
     * @param requiredClaims claims the token must carry with exactly these string values, e.g.
     *     {@code token_use: access}; empty (the default) means none
     */
    public record Jwt(
            String issuer, List<String> audience, String jwks, List<String> algorithms, String subjectClaim,
            String rolesClaim, String tenantClaim, List<String> attributeClaims, long clockSkewSeconds,
            List<String> types, Map<String, String> requiredClaims) {
        /** Settings that check neither the token type nor further claims. */
        public Jwt(String issuer, List<String> audience, String jwks, List<String> algorithms, String subjectClaim,
                String rolesClaim, String tenantClaim, List<String> attributeClaims, long clockSkewSeconds) {
            this(issuer, audience, jwks, algorithms, subjectClaim, rolesClaim, tenantClaim, attributeClaims,
                    clockSkewSeconds, null, null);
        }

        public Jwt {
            if (issuer == null || issuer.isBlank()) {
                throw new IllegalArgumentException("jwt.issuer is required");
            }
            if (audience == null || audience.isEmpty()) {
                throw new IllegalArgumentException("jwt.audience needs at least one value");
            }
            audience = List.copyOf(audience);
            if (jwks == null || jwks.isBlank()) {
                throw new IllegalArgumentException("jwt.jwks (a bundle-relative JWKS file) is required");
            }
            algorithms = algorithms == null || algorithms.isEmpty() ? List.of("RS256", "ES256") : List.copyOf(algorithms);
            for (String a : algorithms) {
                if (!List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
                        "PS256", "PS384", "PS512").contains(a)) {
                    throw new IllegalArgumentException("jwt.algorithms: unsupported algorithm '" + a + "'");
                }
            }
            subjectClaim = subjectClaim == null ? "sub" : subjectClaim;
            rolesClaim = rolesClaim == null ? "roles" : rolesClaim;
            tenantClaim = tenantClaim == null ? "tenant" : tenantClaim;
            attributeClaims = attributeClaims == null ? List.of() : List.copyOf(attributeClaims);
            if (clockSkewSeconds < 0 || clockSkewSeconds > 300) {
                throw new IllegalArgumentException("jwt.clock_skew_seconds must be in [0, 300], was " + clockSkewSeconds);
            }
            types = types == null ? List.of() : List.copyOf(types);
            for (String t : types) {
                if (t.isBlank() || !t.equals(t.strip())) {
                    throw new IllegalArgumentException("jwt.types: a token type must be non-blank, without surrounding"
                            + " whitespace (such as at+jwt), was '" + t + "'");
                }
            }
            if (requiredClaims == null) {
                requiredClaims = Map.of();
            } else {
                Map<String, String> copy = new java.util.LinkedHashMap<>();
                requiredClaims.forEach((claim, value) -> {
                    if (claim == null || claim.isBlank()) {
                        throw new IllegalArgumentException("jwt.required_claims: claim names must be non-blank, was '"
                                + claim + "'");
                    }
                    copy.put(claim, Objects.requireNonNull(value, "jwt.required_claims." + claim));
                });
                requiredClaims = java.util.Collections.unmodifiableMap(copy);
            }
        }
    }
}
