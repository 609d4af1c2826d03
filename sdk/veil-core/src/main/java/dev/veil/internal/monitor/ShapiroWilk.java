package dev.veil.internal.monitor;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The Shapiro-Wilk W statistic of normality with Royston's approximation of the coefficients
 * (Royston 1992, "Approximating the Shapiro-Wilk W-test for non-normality", Statistics and
 * Computing 2, 117-119; algorithm AS R94, 1995), valid for 3 to {@value #MAX_N} values.
 *
 * <p>W is in (0, 1]; values near 1 look normal. The coefficients of each sample size are computed
 * once and cached. Thread-safe.
 */
public final class ShapiroWilk {
    /** Largest sample size (Royston's approximation is calibrated up to 5000). */
    static final int MAX_N = 5000;

    private static final double[] C1 = {0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056};
    private static final double[] C2 = {0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633};
    private static final AtomicReferenceArray<double[]> COEFFICIENTS = new AtomicReferenceArray<>(MAX_N + 1);

    private ShapiroWilk() {}

    /**
     * W of {@code values[0..n)}, which need not be sorted (this method sorts that range in place).
     *
     * @return W, or NaN when all values are equal (W is undefined)
     * @throws IllegalArgumentException when n is not in [3, {@value #MAX_N}] or a value is not finite
     */
    public static double w(double[] values, int n) {
        if (n < 3 || n > MAX_N || n > values.length) {
            throw new IllegalArgumentException("Shapiro-Wilk needs between 3 and " + MAX_N + " values, was " + n);
        }
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("Shapiro-Wilk needs finite values, value " + i + " was "
                        + values[i]);
            }
            mean += values[i];
        }
        mean /= n;
        Arrays.sort(values, 0, n);
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = values[i] - mean;
            ss += d * d;
        }
        if (!(ss > 0)) {
            return Double.NaN;
        }
        double[] a = coefficients(n);
        double num = 0;
        for (int i = 0; i < a.length; i++) {
            num += a[i] * (values[n - 1 - i] - values[i]);
        }
        return Math.min(1.0, num * num / ss);
    }

    /**
     * Royston's coefficients for sample size n: {@code a[i]} weighs {@code x(n-i) - x(i+1)} for
     * {@code i < n / 2} (the upper half; the lower half is their negative).
     */
    public static double[] coefficients(int n) {
        double[] a = COEFFICIENTS.get(n);
        if (a == null) {
            a = compute(n);
            COEFFICIENTS.set(n, a);
        }
        return a;
    }

    private static double[] compute(int n) {
        int half = n / 2;
        double[] a = new double[half];
        if (n == 3) {
            a[0] = Math.sqrt(0.5);
            return a;
        }
        double an25 = n + 0.25;
        double[] m = new double[half];
        double summ2 = 0;
        for (int i = 0; i < half; i++) {
            m[i] = normalQuantile((i + 1 - 0.375) / an25);
            summ2 += m[i] * m[i];
        }
        summ2 *= 2;
        double ssumm2 = Math.sqrt(summ2);
        double rsn = 1 / Math.sqrt(n);
        double a1 = poly(C1, rsn) - m[0] / ssumm2;
        int first;
        double fac;
        if (n > 5) {
            first = 2;
            double a2 = -m[1] / ssumm2 + poly(C2, rsn);
            fac = Math.sqrt((summ2 - 2 * (m[0] * m[0]) - 2 * (m[1] * m[1])) / (1 - 2 * (a1 * a1) - 2 * (a2 * a2)));
            a[1] = a2;
        } else {
            first = 1;
            fac = Math.sqrt((summ2 - 2 * (m[0] * m[0])) / (1 - 2 * (a1 * a1)));
        }
        a[0] = a1;
        for (int i = first; i < half; i++) {
            a[i] = -m[i] / fac;
        }
        return a;
    }

    private static double poly(double[] c, double x) {
        double r = 0;
        for (int i = c.length - 1; i >= 0; i--) {
            r = r * x + c[i];
        }
        return r;
    }

    /**
     * The standard normal quantile, Wichura's algorithm AS 241 (PPND16, about 1e-16 relative
     * accuracy).
     *
     * @param p a probability in (0, 1)
     */
    public static double normalQuantile(double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p must be in (0, 1), was " + p);
        }
        double q = p - 0.5;
        if (Math.abs(q) <= 0.425) {
            double r = 0.180625 - q * q;
            return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                    + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                    + 133.14166789178437745) * r + 3.387132872796366608)
                    / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                    + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                    + 42.313330701600911252) * r + 1.0);
        }
        double r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
        double v;
        if (r <= 5) {
            r -= 1.6;
            v = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                    + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                    + 4.6303378461565452959) * r + 1.42343711074968357734)
                    / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966)
                    * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                    + 2.05319162663775882187) * r + 1.0);
        } else {
            r -= 5;
            v = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386)
                    * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                    + 5.4637849111641143699) * r + 6.6579046435011037772)
                    / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r
                    + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1.0);
        }
        return q < 0 ? -v : v;
    }
}
