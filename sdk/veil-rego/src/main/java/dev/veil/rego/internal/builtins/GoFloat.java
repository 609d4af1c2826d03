package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.NumberValue;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * OPA's non-integer arithmetic, reproduced exactly: OPA computes with Go's {@code big.Float} (a binary
 * mantissa of 64 bits, 53 for {@code product}, round half to even, unbounded exponent) and prints the
 * result as Go's {@code Text('g', -1)}, or {@code Text('f', -1)} when it is an integer: the shortest
 * decimal that reads back as the same binary value. {@code 0.1 + 0.2} is therefore
 * {@code 0.3}, as in OPA, not the {@code 0.30000000000000004} of doubles.
 *
 * <p>A value is {@code mant * 2^exp} with {@code mant} of at most {@code prec} bits (sign in mant).
 */
final class GoFloat {
    /** big.Float's default precision, used when a decimal string is parsed. */
    static final int PREC = 64;

    final BigInteger mant;
    final int exp;
    final int prec;

    private GoFloat(BigInteger mant, int exp, int prec) {
        this.mant = mant;
        this.exp = exp;
        this.prec = prec;
    }

    /** The largest power of five that fits 64 bits, as Go's {@code pow5tab}. */
    private static final int POW5_EXACT = 27;

    /**
     * The number as Go's {@code big.Float.SetString} reads its decimal text at {@code prec} bits: the
     * integer mantissa multiplied or divided by {@code 5^|e|} and rounded to {@code prec} bits
     * (computed at {@code prec + 64} bits by repeated squaring, as Go's {@code pow5}), then scaled by
     * {@code 2^e}. Cheap even for exponents of 100000, and rounded exactly as OPA rounds.
     */
    static GoFloat of(NumberValue n, int prec) {
        BigDecimal d = n.toBigDecimal();
        int exp10 = -d.scale();
        if (exp10 == 0 || d.signum() == 0) {
            return round(d.unscaledValue(), BigInteger.ONE, 0, prec);
        }
        // the whole mantissa takes part in the operation; only the result is rounded
        GoFloat z = new GoFloat(d.unscaledValue(), 0, prec);
        GoFloat p = pow5(Math.abs(exp10), prec + 64);
        GoFloat r = exp10 < 0 ? z.quo(p, prec) : z.mul(p, prec);
        return new GoFloat(r.mant, r.exp + exp10, r.prec);
    }

    /** Go's {@code (*Float).pow5}: exact up to 5^27, else squaring with a 64-bit wider factor. */
    private static GoFloat pow5(int n, int prec) {
        if (n <= POW5_EXACT) {
            return new GoFloat(BigInteger.valueOf(5).pow(n), 0, prec);
        }
        GoFloat z = new GoFloat(BigInteger.valueOf(5).pow(POW5_EXACT), 0, prec);
        n -= POW5_EXACT;
        GoFloat f = new GoFloat(BigInteger.valueOf(5), 0, prec + 64);
        while (n > 0) {
            if ((n & 1) != 0) {
                z = z.mul(f, prec);
            }
            f = f.mul(f, prec + 64);
            n >>= 1;
        }
        return z;
    }

    /** num/den * 2^shift rounded half-even to {@code prec} bits; den positive. */
    private static GoFloat round(BigInteger num, BigInteger den, int shift, int prec) {
        if (num.signum() == 0) {
            return new GoFloat(BigInteger.ZERO, 0, prec);
        }
        boolean neg = num.signum() < 0;
        BigInteger a = num.abs();
        int e = a.bitLength() - den.bitLength() - prec;
        BigInteger[] qr = divide(a, den, e);
        if (qr[0].bitLength() > prec) {
            e++;
            qr = divide(a, den, e);
        }
        BigInteger q = qr[0];
        BigInteger divisor = qr[2];
        int c = qr[1].shiftLeft(1).compareTo(divisor);
        if (c > 0 || c == 0 && q.testBit(0)) {
            q = q.add(BigInteger.ONE);
            if (q.bitLength() > prec) {
                q = q.shiftRight(1);
                e++;
            }
        }
        return new GoFloat(neg ? q.negate() : q, e + shift, prec);
    }

    /** {quotient, remainder, divisor} of a / (den * 2^e). */
    private static BigInteger[] divide(BigInteger a, BigInteger den, int e) {
        BigInteger n = e < 0 ? a.shiftLeft(-e) : a;
        BigInteger d = e > 0 ? den.shiftLeft(e) : den;
        BigInteger[] qr = n.divideAndRemainder(d);
        return new BigInteger[] {qr[0], qr[1], d};
    }

    /** The exact value. */
    BigDecimal exact() {
        return exact(mant, exp);
    }

    private static BigDecimal exact(BigInteger m, int e) {
        if (e >= 0) {
            return new BigDecimal(m.shiftLeft(e));
        }
        return new BigDecimal(m.multiply(BigInteger.valueOf(5).pow(-e)), -e);
    }

    GoFloat add(GoFloat o) {
        int e = Math.min(exp, o.exp);
        BigInteger sum = mant.shiftLeft(exp - e).add(o.mant.shiftLeft(o.exp - e));
        return round(sum, BigInteger.ONE, e, Math.max(prec, o.prec));
    }

    GoFloat sub(GoFloat o) {
        return add(o.negate());
    }

    /** The product rounded to {@code resultPrec} bits. */
    GoFloat mul(GoFloat o, int resultPrec) {
        BigInteger m = mant.multiply(o.mant);
        return round(m, BigInteger.ONE, exp + o.exp, resultPrec);
    }

    /** The quotient; the caller checks for a zero divisor. */
    GoFloat quo(GoFloat o) {
        return quo(o, Math.max(prec, o.prec));
    }

    private GoFloat quo(GoFloat o, int resultPrec) {
        boolean neg = mant.signum() * o.mant.signum() < 0;
        GoFloat q = round(mant.abs(), o.mant.abs(), exp - o.exp, resultPrec);
        return neg ? q.negate() : q;
    }

    GoFloat negate() {
        return new GoFloat(mant.negate(), exp, prec);
    }

    GoFloat abs() {
        return new GoFloat(mant.abs(), exp, prec);
    }

    int signum() {
        return mant.signum();
    }

    /** The integer part (toward zero) and whether it is exact. */
    boolean isInt() {
        return exp >= 0 || mant.signum() == 0 || mant.getLowestSetBit() >= -exp;
    }

    /** An integer as big.Float's SetInt does: precision max(64, bit length), exact. */
    static GoFloat ofInt(BigInteger i) {
        return new GoFloat(i, 0, Math.max(PREC, i.abs().bitLength()));
    }

    /** Rounds half away from zero (OPA's {@code round}). */
    GoFloat round() {
        if (exp >= 0) {
            return ofInt(mant.shiftLeft(exp));
        }
        BigInteger half = BigInteger.ONE.shiftLeft(-exp - 1);
        BigInteger r = mant.abs().add(half).shiftRight(-exp);
        return ofInt(mant.signum() < 0 ? r.negate() : r);
    }

    GoFloat ceil() {
        return exp >= 0 ? ofInt(mant.shiftLeft(exp)) : ofInt(mant.negate().shiftRight(-exp).negate());
    }

    GoFloat floor() {
        return exp >= 0 ? ofInt(mant.shiftLeft(exp)) : ofInt(mant.shiftRight(-exp));
    }

    /** The OPA number for this float: {@code FloatToNumber}, literal text kept as OPA prints it. */
    NumberValue toNumber() {
        if (mant.signum() != 0 && Math.abs((long) exp + mant.bitLength()) > 1024) {
            // far beyond float64: OPA's text would be hundreds of digits; keep the value, not the text
            Object[] sh = shortest();
            BigDecimal v = new BigDecimal((BigInteger) sh[0], -(Integer) sh[1]);
            try {
                return NumberValue.parse((mant.signum() < 0 ? "-" : "") + v.toString().replace("E", "e"));
            } catch (NumberFormatException e) {
                throw new BuiltinError(e.getMessage());
            }
        }
        try {
            return NumberValue.parse(text());
        } catch (NumberFormatException e) {
            throw new BuiltinError(e.getMessage());
        }
    }

    /** Go's {@code f.Text('f', -1)} for integers, {@code f.Text('g', -1)} otherwise. */
    String text() {
        if (mant.signum() == 0) {
            return "0";
        }
        Object[] sh = shortest();
        String ds = sh[0].toString();
        int q = (Integer) sh[1];
        int decExp = ds.length() + q; // value = 0.ds * 10^decExp
        int x = decExp - 1;
        StringBuilder b = new StringBuilder(ds.length() + 8);
        if (mant.signum() < 0) {
            b.append('-');
        }
        if (isInt() || x >= -4 && x < 6) {
            if (q >= 0) {
                b.append(ds);
                for (int i = 0; i < q; i++) {
                    b.append('0');
                }
            } else if (decExp > 0) {
                b.append(ds, 0, decExp).append('.').append(ds, decExp, ds.length());
            } else {
                b.append("0.");
                for (int i = 0; i < -decExp; i++) {
                    b.append('0');
                }
                b.append(ds);
            }
            return b.toString();
        }
        b.append(ds.charAt(0));
        if (ds.length() > 1) {
            b.append('.').append(ds, 1, ds.length());
        }
        b.append('e').append(x < 0 ? '-' : '+');
        int ax = Math.abs(x);
        if (ax < 10) {
            b.append('0');
        }
        return b.append(ax).toString();
    }

    /**
     * The shortest decimal {@code digits * 10^q} (of the absolute value) that reads back as this float:
     * Go's {@code roundShortest}, within half an ulp of {@code prec} bits, bounds inclusive when the
     * mantissa is even. Works on about 40 leading digits and exact integer comparisons, so numbers
     * with huge exponents stay cheap.
     *
     * @return {BigInteger digits without trailing zeros, Integer q}
     */
    private Object[] shortest() {
        BigInteger m = mant.abs();
        int bl = m.bitLength();
        int sh = prec + 1 - bl;
        BigInteger m2 = m.shiftLeft(sh);
        int e2 = exp - sh;
        BigInteger lower = m2.subtract(BigInteger.ONE);
        BigInteger upper = m2.add(BigInteger.ONE);
        boolean inclusive = !m2.testBit(1);
        // D = floor(v / 10^s) with about 40 digits, sticky when the division is inexact
        int k = (int) Math.floor((exp + bl - 1) * 0.30102999566398120);
        int s = k - 40;
        BigInteger num = exp > 0 ? m.shiftLeft(exp) : m;
        int twos = exp < 0 ? -exp : 0;
        BigInteger d;
        boolean sticky;
        if (s >= 0) {
            BigInteger[] qr = num.divideAndRemainder(BigInteger.TEN.pow(s).shiftLeft(twos));
            d = qr[0];
            sticky = qr[1].signum() != 0;
        } else {
            BigInteger scaled = num.multiply(BigInteger.TEN.pow(-s));
            d = scaled.shiftRight(twos);
            sticky = twos > 0 && scaled.getLowestSetBit() < twos;
        }
        String ds = d.toString();
        int n = ds.length();
        Pow5 pow5 = new Pow5();
        for (int p = 1; p < n; p++) {
            BigInteger ten = BigInteger.TEN.pow(n - p);
            BigInteger[] tr = d.divideAndRemainder(ten);
            BigInteger down = tr[0];
            BigInteger up = down.add(BigInteger.ONE);
            int q = s + n - p;
            int cd = compare(down, q, lower, e2, pow5);
            int cu = compare(up, q, upper, e2, pow5);
            boolean okDown = cd > 0 || inclusive && cd == 0;
            boolean okUp = cu < 0 || inclusive && cu == 0;
            BigInteger pick = null;
            if (okDown && okUp) {
                int c = tr[1].compareTo(ten.divide(BigInteger.TWO));
                boolean roundUp = c > 0 || c == 0 && (sticky || down.testBit(0));
                pick = roundUp ? up : down;
            } else if (okDown) {
                pick = down;
            } else if (okUp) {
                pick = up;
            }
            if (pick != null) {
                return strip(pick, q);
            }
        }
        return strip(d, s);
    }

    private static Object[] strip(BigInteger digits, int q) {
        while (digits.signum() != 0) {
            BigInteger[] qr = digits.divideAndRemainder(BigInteger.TEN);
            if (qr[1].signum() != 0) {
                break;
            }
            digits = qr[0];
            q++;
        }
        return new Object[] {digits, q};
    }

    private static final BigInteger FIVE = BigInteger.valueOf(5);

    /** Powers of five, the last one kept and stepped by one (q moves by one per digit). */
    private static final class Pow5 {
        private int n = 0;
        private BigInteger v = BigInteger.ONE;

        BigInteger of(int k) {
            if (k == n + 1) {
                v = v.multiply(FIVE);
            } else if (k == n - 1 && k >= 0) {
                v = v.divide(FIVE);
            } else if (k != n) {
                v = FIVE.pow(k);
            }
            n = k;
            return v;
        }
    }

    /** Compares {@code c * 10^q} with {@code b * 2^f}, both non-negative, exactly. */
    private static int compare(BigInteger c, int q, BigInteger b, int f, Pow5 pow5) {
        BigInteger left = q >= 0 ? c.multiply(pow5.of(q)) : c;
        BigInteger right = q < 0 ? b.multiply(pow5.of(-q)) : b;
        // now left * 2^q vs right * 2^f
        if (q >= f) {
            return left.shiftLeft(q - f).compareTo(right);
        }
        return left.compareTo(right.shiftLeft(f - q));
    }
}
