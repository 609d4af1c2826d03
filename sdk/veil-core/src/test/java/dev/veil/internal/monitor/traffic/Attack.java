package dev.veil.internal.monitor.traffic;

/**
 * A black-box attack as a stream of queries: {@link #next} gives the next query, {@link #answer}
 * the model's scores for it (before the next call to {@link #next}).
 */
public interface Attack {
    /** Short name for reports. */
    String name();

    /** The next query, features in [0, 1]. */
    double[] next();

    /** The model's class probabilities for the last query. */
    void answer(double[] scores);

    /** The class the attack climbs toward, or -1 when it has none (a boundary walk). */
    int target();

    /** The attacker's current best point (what it reconstructs or optimises). */
    double[] current();
}
