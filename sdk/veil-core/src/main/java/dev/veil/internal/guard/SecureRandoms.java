package dev.veil.internal.guard;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * One {@link SecureRandom} per thread for noise sampling: noise that an attacker could predict
 * would protect nothing, and a shared SecureRandom would serialise every request.
 */
final class SecureRandoms {
    private final ThreadLocal<RandomGenerator> perThread = ThreadLocal.withInitial(SecureRandoms::create);

    /**
     * SHA1PRNG seeded from the platform's default SecureRandom: a CSPRNG that draws in about 70 ns,
     * where NativePRNG takes about 200 ns and DRBG about 700 ns per draw (10 classes of Laplace
     * noise would otherwise cost 2 microseconds in the generator alone).
     */
    private static RandomGenerator create() {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(new SecureRandom().generateSeed(32));
            return r;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA1PRNG is required by the Java platform but is missing", e);
        }
    }

    RandomGenerator get() {
        return perThread.get();
    }
}
