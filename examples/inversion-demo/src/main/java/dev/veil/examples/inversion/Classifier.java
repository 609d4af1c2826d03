package dev.veil.examples.inversion;

/** A classifier of 784-pixel images into the ten classes: the attacked model, and the judge. */
interface Classifier {
    /** The class of one image. */
    int classify(double[] x);

    /** The share of {@code x[from..to)} classified as labelled. */
    default double accuracy(double[][] x, int[] y, int from, int to) {
        int right = 0;
        for (int i = from; i < to; i++) {
            if (classify(x[i]) == y[i]) {
                right++;
            }
        }
        return (double) right / (to - from);
    }
}
