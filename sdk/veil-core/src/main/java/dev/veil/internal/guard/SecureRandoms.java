package dev.veil.internal.guard;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * One {@link SecureRandom} per thread for noise sampling: noise that an attacker could predict
 * would protect nothing, and a shared SecureRandom would serialise every request.
 */
final class SecureRandoms {
    private final ThreadLocal<RandomGenerator> perThread = ThreadLocal.withInitial(SecureRandom::new);

    RandomGenerator get() {
        return perThread.get();
    }
}
