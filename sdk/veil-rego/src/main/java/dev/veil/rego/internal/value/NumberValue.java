package dev.veil.rego.internal.value;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;

/**
 * A Rego number: arbitrary precision, compared numerically, so {@code 1}, {@code 1.0} and
 * {@code 1e0} are equal and hash alike.
 *
 * <p>Integral values that fit a {@code long} are held as a {@code long} (the fast path); everything
 * else as a {@link BigDecimal} without trailing zeros. A number parsed from source or JSON keeps its
 * literal text, which {@link #toJson()} writes back as OPA keeps {@code json.Number} text
 * ({@code 1.0} stays {@code 1.0}); a computed number prints canonically.
 */
public final class NumberValue implements Value {
    private static final int CACHE_LOW = -128;
    private static final int CACHE_HIGH = 1024;
    private static final NumberValue[] CACHE = new NumberValue[CACHE_HIGH - CACHE_LOW + 1];

    static {
        for (int i = 0; i < CACHE.length; i++) {
            CACHE[i] = new NumberValue(i + CACHE_LOW, null, null);
        }
    }

    /** Zero and one, for convenience. */
    public static final NumberValue ZERO = of(0);
    public static final NumberValue ONE = of(1);

    /** Exponents beyond this are refused, to keep every operation on a number cheap. */
    private static final int MAX_EXPONENT = 100_000;

    private final long small;
    /** Null on the long fast path; otherwise stripped of trailing zeros and not an integral long. */
    private final BigDecimal big;
    /** The literal this number was parsed from, or null for a computed number. */
    private final String text;

    private NumberValue(long small, BigDecimal big, String text) {
        this.small = small;
        this.big = big;
        this.text = text;
    }

    /** The number {@code n}. */
    public static NumberValue of(long n) {
        if (n >= CACHE_LOW && n <= CACHE_HIGH) {
            return CACHE[(int) n - CACHE_LOW];
        }
        return new NumberValue(n, null, null);
    }

    /** The integer {@code n}, exact. */
    public static NumberValue of(BigInteger n) {
        Objects.requireNonNull(n, "number");
        if (n.bitLength() < 64) {
            return of(n.longValue());
        }
        return of(new BigDecimal(n));
    }

    /** The number {@code d}, exact. */
    public static NumberValue of(BigDecimal d) {
        return of(d, null);
    }

    /**
     * The finite double {@code d}, through its shortest decimal representation (so {@code 0.1} is 0.1).
     *
     * @throws IllegalArgumentException for NaN and infinities, which Rego has no number for
     */
    public static NumberValue of(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("Rego has no number for " + d + ": use a finite value");
        }
        if (d == Math.rint(d) && Math.abs(d) < 0x1p62) {
            return of((long) d);
        }
        return of(BigDecimal.valueOf(d));
    }

    private static NumberValue of(BigDecimal d, String text) {
        Objects.requireNonNull(d, "number");
        if (d.signum() == 0) {
            return text == null ? ZERO : new NumberValue(0, null, text);
        }
        BigDecimal s = d.stripTrailingZeros();
        if (s.scale() <= 0 && s.precision() - s.scale() <= 19) {
            try {
                long l = s.longValueExact();
                return text == null ? of(l) : new NumberValue(l, null, text);
            } catch (ArithmeticException e) {
                // beyond long: keep the BigDecimal
            }
        }
        return new NumberValue(0, s, text);
    }

    /**
     * Parses a number in JSON syntax ({@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}), keeping
     * the text for printing.
     *
     * @throws NumberFormatException if {@code text} is not a JSON number, or its exponent is beyond
     *                               {@value #MAX_EXPONENT}
     */
    public static NumberValue parse(String text) {
        Objects.requireNonNull(text, "number text");
        int n = text.length();
        int i = 0;
        boolean simple = true;
        if (i < n && text.charAt(i) == '-') {
            i++;
        }
        if (i >= n) {
            throw bad(text);
        }
        if (text.charAt(i) == '0') {
            i++;
        } else if (text.charAt(i) >= '1' && text.charAt(i) <= '9') {
            while (i < n && isDigit(text.charAt(i))) {
                i++;
            }
        } else {
            throw bad(text);
        }
        if (i < n && text.charAt(i) == '.') {
            simple = false;
            i++;
            int start = i;
            while (i < n && isDigit(text.charAt(i))) {
                i++;
            }
            if (i == start) {
                throw bad(text);
            }
        }
        if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
            simple = false;
            i++;
            if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
                i++;
            }
            int start = i;
            while (i < n && isDigit(text.charAt(i))) {
                i++;
            }
            if (i == start) {
                throw bad(text);
            }
            int digits = i - start;
            if (digits > 9 || Math.abs(Long.parseLong(text.substring(start, i))) > MAX_EXPONENT) {
                throw new NumberFormatException("number " + abbreviate(text) + " has an exponent beyond "
                        + MAX_EXPONENT + ": use a smaller number");
            }
        }
        if (i != n) {
            throw bad(text);
        }
        if (simple && n <= 18) {
            long l = Long.parseLong(text);
            return text.equals(Long.toString(l)) ? of(l) : new NumberValue(l, null, text);
        }
        return of(new BigDecimal(text), text);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static NumberFormatException bad(String text) {
        return new NumberFormatException("not a JSON number: '" + abbreviate(text)
                + "' (expected digits, an optional fraction and an optional exponent, e.g. -1.5e3)");
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** True when the value is an integer (of any size). */
    public boolean isInt() {
        return big == null || big.scale() <= 0;
    }

    /** True when the value is an integer that fits a {@code long}. */
    public boolean isLong() {
        return big == null;
    }

    /**
     * The value as a {@code long}.
     *
     * @throws ArithmeticException if it is not an integer or does not fit a long
     */
    public long longValueExact() {
        if (big != null) {
            throw new ArithmeticException(toJson() + " is not an integer that fits 64 bits");
        }
        return small;
    }

    /**
     * The value as an {@code int}.
     *
     * @throws ArithmeticException if it is not an integer or does not fit an int
     */
    public int intValueExact() {
        return Math.toIntExact(longValueExact());
    }

    /**
     * The exact value as a BigDecimal: integers with scale 0, other values without trailing zeros
     * ({@code 1.50} gives {@code 1.5}).
     */
    public BigDecimal toBigDecimal() {
        if (big == null) {
            return BigDecimal.valueOf(small);
        }
        return big.scale() < 0 ? big.setScale(0) : big;
    }

    private BigDecimal raw() {
        return big == null ? BigDecimal.valueOf(small) : big;
    }

    /**
     * The value as a BigInteger.
     *
     * @throws ArithmeticException if it is not an integer
     */
    public BigInteger toBigIntegerExact() {
        return big == null ? BigInteger.valueOf(small) : big.toBigIntegerExact();
    }

    /** The nearest double (may lose precision, or be infinite for huge values). */
    public double doubleValue() {
        return big == null ? (double) small : big.doubleValue();
    }

    /** -1, 0 or 1. */
    public int signum() {
        return big == null ? Long.signum(small) : big.signum();
    }

    /** The literal this number was parsed from, or null when it was computed. */
    public String text() {
        return text;
    }

    /**
     * The number as JSON: the original literal when there is one, else integers in full and other
     * values in plain decimal notation, or as {@code 1.5e+100} when the exponent is far from zero.
     */
    public String toJson() {
        if (text != null) {
            return text;
        }
        if (big == null) {
            return Long.toString(small);
        }
        int exponent = big.precision() - big.scale() - 1;
        if (exponent >= -7 && exponent < 64) {
            return big.toPlainString();
        }
        String digits = big.unscaledValue().abs().toString();
        StringBuilder b = new StringBuilder();
        if (big.signum() < 0) {
            b.append('-');
        }
        b.append(digits.charAt(0));
        if (digits.length() > 1) {
            b.append('.').append(digits, 1, digits.length());
        }
        b.append('e').append(exponent < 0 ? '-' : '+');
        String e = Integer.toString(Math.abs(exponent));
        if (e.length() < 2) {
            b.append('0');
        }
        return b.append(e).toString();
    }

    @Override
    public Kind kind() {
        return Kind.NUMBER;
    }

    @Override
    public int compareSameKind(Value other) {
        NumberValue o = (NumberValue) other;
        if (big == null && o.big == null) {
            return Long.compare(small, o.small);
        }
        return raw().compareTo(o.raw());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NumberValue n)) {
            return false;
        }
        if (big == null || n.big == null) {
            return big == n.big && small == n.small;
        }
        return big.equals(n.big);
    }

    @Override
    public int hashCode() {
        return big == null ? Long.hashCode(small) : big.hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
