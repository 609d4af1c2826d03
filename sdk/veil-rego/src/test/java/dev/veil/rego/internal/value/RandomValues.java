package dev.veil.rego.internal.value;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Random;

/**
 * Builds random values from a seed, for property tests: QuickTheories generates the seed, this
 * class turns it into a value that mixes every kind, numbers in several spellings (1, 1.0, 1e0,
 * huge, tiny), and strings with the characters that break naive ordering or escaping.
 */
public final class RandomValues {
    private static final String[] PIECES = {"", "a", "b", "ab", "A", "z", "0", " ", "\"", "\\", "\n", "\t", "\u0001",
        "<", ">", "&", "\u00e9", "\u2028", "\uffff", "\ue000", "\ud83d\ude00", "\ud800\udc00", "\u007f", "/"};

    private final Random random;
    private final boolean sets;
    private final boolean nonStringKeys;

    private RandomValues(long seed, boolean sets, boolean nonStringKeys) {
        this.random = new Random(seed);
        this.sets = sets;
        this.nonStringKeys = nonStringKeys;
    }

    /** Any value, including sets and non-string object keys. */
    public static Value any(long seed) {
        return new RandomValues(seed, true, true).value(3);
    }

    /** A value JSON can represent exactly: no sets, string keys only. */
    public static Value json(long seed) {
        return new RandomValues(seed, false, false).value(3);
    }

    /** A random number in one of several spellings. */
    static NumberValue number(long seed) {
        return new RandomValues(seed, false, false).number();
    }

    /** A random string made of tricky pieces. */
    static StringValue string(long seed) {
        return new RandomValues(seed, false, false).string();
    }

    private Value value(int depth) {
        int kinds = depth <= 0 ? 4 : (sets ? 7 : 6);
        switch (random.nextInt(kinds)) {
            case 0:
                return NullValue.NULL;
            case 1:
                return BooleanValue.of(random.nextBoolean());
            case 2:
                return number();
            case 3:
                return string();
            case 4: {
                int n = random.nextInt(4);
                Value[] a = new Value[n];
                for (int i = 0; i < n; i++) {
                    a[i] = value(depth - 1);
                }
                return ArrayValue.of(a);
            }
            case 5: {
                ObjectValue.Builder b = ObjectValue.builder();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    Value key = nonStringKeys && random.nextInt(4) == 0 ? value(depth - 1) : string();
                    b.put(key, value(depth - 1));
                }
                return b.build();
            }
            default: {
                SetValue.Builder b = SetValue.builder();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    b.add(value(depth - 1));
                }
                return b.build();
            }
        }
    }

    private StringValue string() {
        StringBuilder b = new StringBuilder();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            b.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return StringValue.of(b.toString());
    }

    private NumberValue number() {
        int small = random.nextInt(7) - 3;
        switch (random.nextInt(8)) {
            case 0:
                return NumberValue.of(small);
            case 1:
                return NumberValue.parse(small + ".0");
            case 2:
                return NumberValue.parse(small + "e0");
            case 3:
                return NumberValue.of(random.nextLong());
            case 4:
                return NumberValue.of(new BigInteger(100, random).subtract(BigInteger.ONE.shiftLeft(99)));
            case 5:
                return NumberValue.of(new BigDecimal(BigInteger.valueOf(random.nextInt(2000) - 1000),
                        random.nextInt(6)));
            case 6:
                return NumberValue.parse((random.nextBoolean() ? "-" : "") + random.nextInt(100) + "."
                        + random.nextInt(100) + "e" + (random.nextInt(60) - 30));
            default:
                return NumberValue.of(random.nextDouble() * 1000 - 500);
        }
    }
}
