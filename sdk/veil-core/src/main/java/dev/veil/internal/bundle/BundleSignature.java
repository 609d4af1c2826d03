package dev.veil.internal.bundle;

import java.util.List;

/**
 * What a successful {@link BundleVerifier#verify} established, for audit logs. Immutable.
 *
 * @param keyId the key id the signature named (JWS {@code kid}, else the payload's deprecated
 *     {@code keyid}), or {@code null} when it named none
 * @param algorithm the JWS algorithm, for example {@code RS256}
 * @param scope the payload's {@code scope}, {@code ""} when absent
 * @param files the bundle files the signature covers, sorted
 */
public record BundleSignature(String keyId, String algorithm, String scope, List<String> files) {
    /** Copies the file list. */
    public BundleSignature {
        files = List.copyOf(files);
    }
}
