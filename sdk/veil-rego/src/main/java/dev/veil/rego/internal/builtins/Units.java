package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.string;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code units.parse} (SI and binary SI suffixes, {@code m} for milli) and {@code units.parse_bytes}, as OPA's
 * {@code topdown/parse_units.go} and {@code parse_bytes.go}. Exact decimal arithmetic; OPA's messages, which
 * repeat the builtin's name ({@code units.parse: units.parse: no amount provided}) because OPA both writes it
 * into the error and prefixes it.
 */
public final class Units {
    private Units() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("units.parse", 1, Units::parse),
            Builtin.of("units.parse_bytes", 1, Units::parseBytes));

    private static final int MAX_EXPONENT_DIGITS = 6;

    private static final BigInteger K = BigInteger.valueOf(1000);
    private static final BigInteger KI = BigInteger.valueOf(1024);

    private static final Map<String, BigInteger> SI = Map.ofEntries(
            Map.entry("", BigInteger.ONE),
            Map.entry("k", K), Map.entry("K", K), Map.entry("ki", KI), Map.entry("Ki", KI),
            Map.entry("M", K.pow(2)), Map.entry("mi", KI.pow(2)), Map.entry("Mi", KI.pow(2)),
            Map.entry("g", K.pow(3)), Map.entry("G", K.pow(3)), Map.entry("gi", KI.pow(3)), Map.entry("Gi", KI.pow(3)),
            Map.entry("t", K.pow(4)), Map.entry("T", K.pow(4)), Map.entry("ti", KI.pow(4)), Map.entry("Ti", KI.pow(4)),
            Map.entry("p", K.pow(5)), Map.entry("P", K.pow(5)), Map.entry("pi", KI.pow(5)), Map.entry("Pi", KI.pow(5)),
            Map.entry("e", K.pow(6)), Map.entry("E", K.pow(6)), Map.entry("ei", KI.pow(6)), Map.entry("Ei", KI.pow(6)));

    private static final Map<String, BigInteger> BYTES = Map.ofEntries(
            Map.entry("", BigInteger.ONE),
            Map.entry("kb", K), Map.entry("k", K), Map.entry("kib", KI), Map.entry("ki", KI),
            Map.entry("mb", K.pow(2)), Map.entry("m", K.pow(2)), Map.entry("mib", KI.pow(2)), Map.entry("mi", KI.pow(2)),
            Map.entry("gb", K.pow(3)), Map.entry("g", K.pow(3)), Map.entry("gib", KI.pow(3)), Map.entry("gi", KI.pow(3)),
            Map.entry("tb", K.pow(4)), Map.entry("t", K.pow(4)), Map.entry("tib", KI.pow(4)), Map.entry("ti", KI.pow(4)),
            Map.entry("pb", K.pow(5)), Map.entry("p", K.pow(5)), Map.entry("pib", KI.pow(5)), Map.entry("pi", KI.pow(5)),
            Map.entry("eb", K.pow(6)), Map.entry("e", K.pow(6)), Map.entry("eib", KI.pow(6)), Map.entry("ei", KI.pow(6)));

    private static BuiltinError fail(String name, String msg) {
        return new BuiltinError(name, name + ": " + msg);
    }

    private static Value parse(Value[] a, BuiltinContext ctx) {
        String name = "units.parse";
        String s = string(name, a, 1).replace("\"", "");
        if (s.contains(" ")) {
            throw fail(name, "spaces not allowed in resource strings");
        }
        String[] nu = extractNumAndUnit(name, s);
        if (nu[0].isEmpty()) {
            throw fail(name, "no amount provided");
        }
        String unit = nu[1];
        if (unit.length() > 1) {
            unit = unit.charAt(0) + unit.substring(1).toLowerCase(Locale.ROOT);
        }
        BigDecimal factor;
        if (unit.equals("m")) {
            factor = new BigDecimal("0.001");
        } else if (SI.containsKey(unit)) {
            factor = new BigDecimal(SI.get(unit));
        } else {
            throw fail(name, "unit " + unit + " not recognized");
        }
        BigDecimal num = parseNumber(nu[0]);
        if (num == null) {
            throw fail(name, "could not parse amount to a number");
        }
        BigDecimal r = num.multiply(factor);
        BigDecimal stripped = r.stripTrailingZeros();
        if (stripped.scale() <= 0) {
            return NumberValue.of(stripped.toBigIntegerExact());
        }
        // big.Rat.FloatString(10)
        return NumberValue.parse(r.setScale(10, RoundingMode.HALF_UP).toPlainString());
    }

    private static Value parseBytes(Value[] a, BuiltinContext ctx) {
        String name = "units.parse_bytes";
        String s = string(name, a, 1).toLowerCase(Locale.ROOT).replace("\"", "");
        if (s.contains(" ")) {
            throw fail(name, "spaces not allowed in resource strings");
        }
        String[] nu = extractNumAndUnit(name, s);
        if (nu[0].isEmpty()) {
            throw fail(name, "no byte amount provided");
        }
        BigInteger factor = BYTES.get(nu[1]);
        if (factor == null) {
            throw fail(name, "byte unit " + nu[1] + " not recognized");
        }
        BigDecimal num = parseNumber(nu[0]);
        if (num == null) {
            throw fail(name, "could not parse byte amount to a number");
        }
        return NumberValue.of(num.multiply(new BigDecimal(factor)).setScale(0, RoundingMode.DOWN).toBigIntegerExact());
    }

    /** A decimal with optional exponent (what Go's big number parsers accept here), or null. */
    private static BigDecimal parseNumber(String s) {
        if (!s.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
            return null;
        }
        try {
            return new BigDecimal(s.startsWith("+") ? s.substring(1) : s);
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    /** OPA's {@code extractNumAndUnit}: [number, unit]. */
    static String[] extractNumAndUnit(String name, String s) {
        int firstNonNum = -1;
        for (int idx = 0; idx < s.length(); idx++) {
            char r = s.charAt(idx);
            boolean isNum = (r >= '0' && r <= '9') || r == '.';
            if (!isNum && r != 'e' && r != 'E' && r != '+' && r != '-') {
                firstNonNum = idx;
                break;
            }
            if (r == 'e' || r == 'E') {
                if (idx == s.length() - 1 || (!Character.isDigit(s.charAt(idx + 1)) && s.charAt(idx + 1) != '+'
                        && s.charAt(idx + 1) != '-')) {
                    firstNonNum = idx;
                    break;
                }
                if (idx + 1 < s.length() && (s.charAt(idx + 1) == '+' || s.charAt(idx + 1) == '-')) {
                    idx++;
                }
                int expStart = idx + 1;
                int expEnd = expStart;
                while (expEnd < s.length() && Character.isDigit(s.charAt(expEnd))) {
                    expEnd++;
                }
                if (expEnd - expStart > MAX_EXPONENT_DIGITS) {
                    throw fail(name, "exponent too large");
                }
            }
        }
        if (firstNonNum == -1) {
            return new String[] {s, ""};
        }
        if (firstNonNum == 0) {
            return new String[] {"", s};
        }
        return new String[] {s.substring(0, firstNonNum), s.substring(firstNonNum)};
    }
}
