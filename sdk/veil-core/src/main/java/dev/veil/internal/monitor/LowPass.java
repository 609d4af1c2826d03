package dev.veil.internal.monitor;

/**
 * A low-pass view of an image's features for the distance detectors: the means of
 * {@code block} x {@code block} tiles of a row-major image {@code width} features wide. Per-pixel
 * noise averages out in a tile (its standard deviation falls by the factor {@code block}), while
 * what distinguishes two natural images (shapes, not pixels) stays, so a walk of probes with large
 * per-pixel noise around one point is as compact in this view as a walk of small probes is in the
 * raw one. Keys {@code pool} (the tile size, 1 = off, at most 32) and {@code width} (the image's
 * width in features, a multiple of {@code pool}).
 *
 * @param block tile size; 1 = the features as they are
 * @param width the image's width in features, a multiple of {@code block} (0 when {@code block} is 1)
 */
record LowPass(int block, int width) {
    /** The features as they are. */
    static final LowPass NONE = new LowPass(1, 0);

    LowPass {
        if (block < 1 || block > 32) {
            throw new IllegalArgumentException("pool must be in [1, 32] (1 = off), was " + block);
        }
        if (block == 1 && width != 0) {
            throw new IllegalArgumentException("width is read only with pool > 1 (the image's width in features)");
        }
        if (block > 1 && (width < block || width % block != 0)) {
            throw new IllegalArgumentException("width must be a positive multiple of pool (" + block
                    + ") with pool > 1, was " + width);
        }
    }

    /** Reads {@code pool} and {@code width} (both optional). */
    static LowPass from(DetectorConfig c) {
        int block = c.intValue("pool", 1);
        return new LowPass(block, c.intValue("width", 0));
    }

    /** Why inputs of {@code features} features cannot be tiled this way, or {@code null} when they can. */
    String misfit(long features) {
        if (block == 1 || features % width == 0 && (features / width) % block == 0) {
            return null;
        }
        return "pool " + block + " with width " + width + " needs an image of whole rows, a multiple of " + block
                + " of them; the input has " + features + " features";
    }

    /** Whether this view changes anything. */
    boolean active() {
        return block > 1;
    }

    /**
     * The tile means of {@code x} (a new array), or {@code x} itself when inactive.
     *
     * @throws IllegalArgumentException when {@code x} is not a whole number of rows of {@code width}
     *     features, or its rows are not a multiple of {@code block}
     */
    double[] apply(double[] x) {
        if (block == 1) {
            return x;
        }
        int n = x.length;
        String misfit = misfit(n);
        if (misfit != null) {
            throw new IllegalArgumentException(misfit);
        }
        int rows = n / width;
        int outWidth = width / block;
        double[] out = new double[(rows / block) * outWidth];
        for (int r = 0; r < rows; r++) {
            int base = (r / block) * outWidth;
            int row = r * width;
            for (int c = 0; c < width; c++) {
                out[base + c / block] += x[row + c];
            }
        }
        double scale = 1.0 / (block * block);
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return out;
    }
}
