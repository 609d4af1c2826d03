package dev.veil.internal.monitor.traffic;

import java.util.SplittableRandom;

/**
 * A realistic synthetic image distribution with class structure: 28x28 grey images in [0, 1] of ten
 * digit-like classes, each drawn as pen strokes (polylines through class-specific control points)
 * with per-sample jitter of every control point, a random affine transform (scale, rotation,
 * shear, shift), random pen width and ink, rendered with a soft round pen on a black background,
 * much like MNIST. Same-class images are therefore close but never identical, and different classes
 * overlap a little (a slanted 1 and a 7), which is what a nearest-neighbour detector has to live with.
 */
public final class SyntheticDigits {
    /** Image side. */
    public static final int SIDE = 28;
    /** Features per image. */
    public static final int D = SIDE * SIDE;
    /** Number of classes. */
    public static final int CLASSES = 10;

    /** Class templates: strokes as polylines in the unit box (x right, y down). */
    private static final double[][][] TEMPLATES = {
        {ellipse(0.5, 0.5, 0.28, 0.42, 14)},
        {{0.55, 0.05, 0.5, 0.5, 0.45, 0.95}},
        {{0.2, 0.25, 0.35, 0.08, 0.65, 0.08, 0.8, 0.3, 0.6, 0.6, 0.2, 0.92, 0.85, 0.92}},
        {{0.2, 0.1, 0.7, 0.1, 0.75, 0.3, 0.45, 0.48, 0.8, 0.65, 0.7, 0.9, 0.2, 0.9}},
        {{0.65, 0.05, 0.2, 0.6, 0.85, 0.6}, {0.62, 0.3, 0.62, 0.95}},
        {{0.8, 0.08, 0.3, 0.08, 0.25, 0.45, 0.6, 0.4, 0.8, 0.65, 0.6, 0.92, 0.2, 0.88}},
        {{0.7, 0.05, 0.35, 0.4, 0.25, 0.75, 0.45, 0.95, 0.72, 0.8, 0.65, 0.55, 0.35, 0.6}},
        {{0.15, 0.1, 0.85, 0.1, 0.5, 0.95}, {0.35, 0.5, 0.75, 0.5}},
        {ellipse(0.5, 0.28, 0.22, 0.2, 10), ellipse(0.5, 0.72, 0.27, 0.22, 10)},
        {ellipse(0.5, 0.3, 0.25, 0.22, 10), {0.75, 0.3, 0.7, 0.6, 0.55, 0.95}},
    };

    private static final int KERNEL_STEPS = 4096;
    private static final double KERNEL_MAX = 9.0; // exp(-KERNEL_MAX) ~ 1e-4: zero beyond
    private static final double[] KERNEL = new double[KERNEL_STEPS + 1];

    static {
        for (int i = 0; i <= KERNEL_STEPS; i++) {
            KERNEL[i] = Math.exp(-KERNEL_MAX * i / KERNEL_STEPS);
        }
    }

    private SyntheticDigits() {}

    private static double[] ellipse(double cx, double cy, double rx, double ry, int n) {
        double[] p = new double[2 * (n + 1)];
        for (int i = 0; i <= n; i++) {
            double a = 2 * Math.PI * i / n;
            p[2 * i] = cx + rx * Math.sin(a);
            p[2 * i + 1] = cy - ry * Math.cos(a);
        }
        return p;
    }

    /** A uniformly random class and an image of it. */
    public static double[] sample(SplittableRandom r) {
        return sample(r, r.nextInt(CLASSES));
    }

    /** An image of class {@code cls}. */
    public static double[] sample(SplittableRandom r, int cls) {
        double[][] strokes = TEMPLATES[cls];
        // affine: unit box -> a 20x20 box centred in 28x28 (as MNIST), randomly scaled, rotated, sheared, shifted
        double scale = 20 * (0.85 + 0.25 * r.nextDouble());
        double aspect = 0.8 + 0.35 * r.nextDouble();
        double rot = 0.18 * gaussian(r);
        double shear = 0.2 * gaussian(r);
        double tx = 14 + 1.2 * gaussian(r);
        double ty = 14 + 1.2 * gaussian(r);
        double cos = Math.cos(rot);
        double sin = Math.sin(rot);
        double width = 0.7 + 0.6 * r.nextDouble(); // pen radius (sigma of the soft pen), pixels
        double ink = 0.75 + 0.25 * r.nextDouble();
        double jitter = 0.045;
        double[] img = new double[D];
        double inv2s2 = 1 / (2 * width * width);
        for (double[] stroke : strokes) {
            int n = stroke.length / 2;
            double[] px = new double[n];
            double[] py = new double[n];
            for (int i = 0; i < n; i++) {
                double u = (stroke[2 * i] - 0.5 + jitter * gaussian(r)) * aspect;
                double v = stroke[2 * i + 1] - 0.5 + jitter * gaussian(r);
                u += shear * v;
                px[i] = tx + scale * (cos * u - sin * v);
                py[i] = ty + scale * (sin * u + cos * v);
            }
            for (int i = 0; i + 1 < n; i++) {
                drawSegment(img, px[i], py[i], px[i + 1], py[i + 1], ink, width, inv2s2);
            }
        }
        return img;
    }

    private static void drawSegment(double[] img, double x0, double y0, double x1, double y1, double ink, double width,
            double inv2s2) {
        double reach = width * Math.sqrt(2 * KERNEL_MAX);
        int minX = Math.max(0, (int) Math.floor(Math.min(x0, x1) - reach));
        int maxX = Math.min(SIDE - 1, (int) Math.ceil(Math.max(x0, x1) + reach));
        int minY = Math.max(0, (int) Math.floor(Math.min(y0, y1) - reach));
        int maxY = Math.min(SIDE - 1, (int) Math.ceil(Math.max(y0, y1) + reach));
        double dx = x1 - x0;
        double dy = y1 - y0;
        double len2 = dx * dx + dy * dy;
        for (int y = minY; y <= maxY; y++) {
            for (int x = minX; x <= maxX; x++) {
                double t = len2 == 0 ? 0 : ((x - x0) * dx + (y - y0) * dy) / len2;
                t = t < 0 ? 0 : (t > 1 ? 1 : t);
                double ex = x - (x0 + t * dx);
                double ey = y - (y0 + t * dy);
                double e = (ex * ex + ey * ey) * inv2s2;
                if (e >= KERNEL_MAX) {
                    continue;
                }
                // a pen of this width lays down full ink at its centre, softly less towards its edge
                double v = Math.min(1, 1.6 * ink * KERNEL[(int) (e * (KERNEL_STEPS / KERNEL_MAX))]);
                int i = y * SIDE + x;
                if (v > img[i]) {
                    img[i] = v;
                }
            }
        }
    }

    /** A standard normal draw. */
    public static double gaussian(SplittableRandom r) {
        // Marsaglia polar method, one value per call (simple and deterministic for a seed)
        while (true) {
            double u = 2 * r.nextDouble() - 1;
            double v = 2 * r.nextDouble() - 1;
            double s = u * u + v * v;
            if (s > 0 && s < 1) {
                return u * Math.sqrt(-2 * Math.log(s) / s);
            }
        }
    }

    /** ASCII rendering for eyeballing a sample. */
    public static String ascii(double[] img) {
        StringBuilder b = new StringBuilder();
        String shades = " .:-=+*#%@";
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double v = Math.max(0, Math.min(1, img[y * SIDE + x]));
                b.append(shades.charAt((int) Math.min(9, v * 10)));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
