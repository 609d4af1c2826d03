package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.NumberValue;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

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

    /** The number rounded to {@code prec} bits, as {@code new(big.Float).SetString(text)} does for 64. */
    static GoFloat of(NumberValue n, int prec) {
        BigDecimal d = n.toBigDecimal();
        BigInteger u = d.unscaledValue();
        int scale = d.scale();
        if (scale <= 0) {
            return round(u.multiply(BigInteger.TEN.pow(-scale)), BigInteger.ONE, 0, prec);
        }
        return round(u, BigInteger.TEN.pow(scale), 0, prec);
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

    private static GoFloat ofExact(BigDecimal d, int prec) {
        int scale = d.scale();
        if (scale <= 0) {
            return round(d.unscaledValue().multiply(BigInteger.TEN.pow(-scale)), BigInteger.ONE, 0, prec);
        }
        return round(d.unscaledValue(), BigInteger.TEN.pow(scale), 0, prec);
    }

    GoFloat add(GoFloat o) {
        return ofExact(exact().add(o.exact()), Math.max(prec, o.prec));
    }

    GoFloat sub(GoFloat o) {
        return ofExact(exact().subtract(o.exact()), Math.max(prec, o.prec));
    }

    /** The product rounded to {@code resultPrec} bits. */
    GoFloat mul(GoFloat o, int resultPrec) {
        BigInteger m = mant.multiply(o.mant);
        return round(m, BigInteger.ONE, exp + o.exp, resultPrec);
    }

    /** The quotient; the caller checks for a zero divisor. */
    GoFloat quo(GoFloat o) {
        boolean neg = mant.signum() * o.mant.signum() < 0;
        GoFloat q = round(mant.abs(), o.mant.abs(), exp - o.exp, Math.max(prec, o.prec));
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
        BigDecimal v = exact().setScale(0, RoundingMode.HALF_UP);
        return ofInt(v.toBigIntegerExact());
    }

    GoFloat ceil() {
        return ofInt(exact().setScale(0, RoundingMode.CEILING).toBigIntegerExact());
    }

    GoFloat floor() {
        return ofInt(exact().setScale(0, RoundingMode.FLOOR).toBigIntegerExact());
    }

    /** The OPA number for this float: {@code FloatToNumber}, literal text kept as OPA prints it. */
    NumberValue toNumber() {
        return NumberValue.parse(text());
    }

    /** Go's {@code f.Text('f', -1)} for integers, {@code f.Text('g', -1)} otherwise. */
    String text() {
        if (mant.signum() == 0) {
            return "0";
        }
        BigDecimal d = shortest();
        boolean neg = mant.signum() < 0;
        StringBuilder b = new StringBuilder();
        if (neg) {
            b.append('-');
        }
        String digits = d.unscaledValue().toString();
        int decExp = digits.length() - d.scale(); // value = 0.digits * 10^decExp
        int x = decExp - 1;
        if (isInt() || x >= -4 && x < 6) {
            b.append(d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString());
            return b.toString();
        }
        b.append(digits.charAt(0));
        if (digits.length() > 1) {
            b.append('.').append(digits, 1, digits.length());
        }
        b.append('e').append(x < 0 ? '-' : '+');
        int ax = Math.abs(x);
        if (ax < 10) {
            b.append('0');
        }
        return b.append(ax).toString();
    }

    /** The shortest decimal (absolute value) that rounds back to this float, as Go's roundShortest. */
    private BigDecimal shortest() {
        BigInteger m = mant.abs();
        int s = prec + 1 - m.bitLength();
        BigInteger m2 = m.shiftLeft(s);
        int e2 = exp - s;
        BigDecimal v = exact(m, exp);
        BigDecimal lower = exact(m2.subtract(BigInteger.ONE), e2);
        BigDecimal upper = exact(m2.add(BigInteger.ONE), e2);
        boolean inclusive = !m2.testBit(1);
        int n = v.precision();
        for (int p = 1; p < n; p++) {
            BigDecimal down = v.round(new MathContext(p, RoundingMode.DOWN));
            BigDecimal up = v.round(new MathContext(p, RoundingMode.UP));
            int cd = down.compareTo(lower);
            int cu = up.compareTo(upper);
            boolean okDown = cd > 0 || inclusive && cd == 0;
            boolean okUp = cu < 0 || inclusive && cu == 0;
            if (okDown && okUp) {
                return v.round(new MathContext(p, RoundingMode.HALF_EVEN)).stripTrailingZeros();
            }
            if (okDown) {
                return down.stripTrailingZeros();
            }
            if (okUp) {
                return up.stripTrailingZeros();
            }
        }
        return v.stripTrailingZeros();
    }
}
