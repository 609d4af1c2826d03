package dev.veil.internal.monitor.traffic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What several test classes share, built once per JVM: the target model, the attackers' "public"
 * unlabeled images and the PCA basis learned from them. Read-only once built.
 */
public final class Fixtures {
    private static SoftmaxModel model;
    private static List<double[]> pool;
    private static PcaBasis pca;

    private Fixtures() {}

    /** The target model: softmax regression on 4,000 samples (about 88% accurate). */
    public static synchronized SoftmaxModel model() {
        if (model == null) {
            model = SoftmaxModel.train(11, 4000, 3);
        }
        return model;
    }

    /** 1,000 public unlabeled images, independent of every benign caller's. */
    public static synchronized List<double[]> pool() {
        if (pool == null) {
            SplittableRandom r = new SplittableRandom(2026);
            List<double[]> p = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                p.add(SyntheticDigits.sample(r));
            }
            pool = List.copyOf(p);
        }
        return pool;
    }

    /** A 40-component PCA basis of {@link #pool}. */
    public static synchronized PcaBasis pca() {
        if (pca == null) {
            pca = PcaBasis.learn(pool(), 40, 3);
        }
        return pca;
    }
}
