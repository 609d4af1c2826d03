package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.Values;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;

/**
 * Go's {@code fmt.Sprintf} for the argument types OPA's {@code sprintf} passes: {@code int} ({@link Long}),
 * {@code *big.Int} ({@link BigInteger}), {@code float64} ({@link Double}) and {@code string} ({@link String}).
 * Verbs, flags ({@code # 0 + - space}), width, precision, {@code *} and {@code [n]} argument indexes, and the
 * error forms ({@code %!d(string=x)}, {@code %!d(MISSING)}, {@code %!(EXTRA int=1)}, {@code %!(NOVERB)}) follow
 * Go's {@code fmt/print.go} and {@code fmt/format.go}.
 */
final class GoFmt {
    private static final String LDIGITS = "0123456789abcdefx";
    private static final String UDIGITS = "0123456789ABCDEFX";
    private static final int TOO_LARGE = 1_000_000;

    private final StringBuilder buf = new StringBuilder();
    private boolean sharp;
    private boolean zero;
    private boolean plus;
    private boolean minus;
    private boolean space;
    private boolean sharpV;
    private boolean plusV;
    private int wid;
    private boolean widPresent;
    private int prec;
    private boolean precPresent;
    private boolean goodArgNum;
    private boolean reordered;

    private GoFmt() {
    }

    /** {@code fmt.Sprintf(format, args...)}. */
    static String sprintf(String format, List<Object> args) {
        GoFmt p = new GoFmt();
        p.doPrintf(format, args);
        return p.buf.toString();
    }

    private void clearFlags() {
        sharp = zero = plus = minus = space = sharpV = plusV = false;
        widPresent = precPresent = false;
        wid = prec = 0;
    }

    private void doPrintf(String format, List<Object> a) {
        int end = format.length();
        int argNum = 0;
        boolean afterIndex;
        reordered = false;
        int i = 0;
        formatLoop:
        while (i < end) {
            goodArgNum = true;
            int lasti = i;
            while (i < end && format.charAt(i) != '%') {
                i++;
            }
            if (i > lasti) {
                buf.append(format, lasti, i);
            }
            if (i >= end) {
                break;
            }
            i++;
            clearFlags();
            simple:
            for (; i < end; i++) {
                char c = format.charAt(i);
                switch (c) {
                    case '#' -> sharp = true;
                    case '0' -> zero = true;
                    case '+' -> plus = true;
                    case '-' -> minus = true;
                    case ' ' -> space = true;
                    default -> {
                        if ('a' <= c && c <= 'z' && argNum < a.size()) {
                            if (c == 'v') {
                                sharpV = sharp;
                                sharp = false;
                                plusV = plus;
                                plus = false;
                            }
                            printArg(a.get(argNum), c);
                            argNum++;
                            i++;
                            continue formatLoop;
                        }
                        break simple;
                    }
                }
            }
            int[] r = argNumber(argNum, format, i, a.size());
            argNum = r[0];
            i = r[1];
            afterIndex = r[2] == 1;
            if (i < end && format.charAt(i) == '*') {
                i++;
                Object[] w = intFromArg(a, argNum);
                wid = (Integer) w[0];
                widPresent = (Boolean) w[1];
                argNum = (Integer) w[2];
                if (!widPresent) {
                    buf.append("%!(BADWIDTH)");
                }
                if (wid < 0) {
                    wid = -wid;
                    minus = true;
                    zero = false;
                }
                afterIndex = false;
            } else {
                int[] n = parseNum(format, i, end);
                wid = n[0];
                widPresent = n[1] == 1;
                i = n[2];
                if (afterIndex && widPresent) {
                    goodArgNum = false;
                }
            }
            if (i + 1 < end && format.charAt(i) == '.') {
                i++;
                if (afterIndex) {
                    goodArgNum = false;
                }
                r = argNumber(argNum, format, i, a.size());
                argNum = r[0];
                i = r[1];
                afterIndex = r[2] == 1;
                if (i < end && format.charAt(i) == '*') {
                    i++;
                    Object[] w = intFromArg(a, argNum);
                    prec = (Integer) w[0];
                    precPresent = (Boolean) w[1];
                    argNum = (Integer) w[2];
                    if (prec < 0) {
                        prec = 0;
                        precPresent = false;
                    }
                    if (!precPresent) {
                        buf.append("%!(BADPREC)");
                    }
                    afterIndex = false;
                } else {
                    int[] n = parseNum(format, i, end);
                    prec = n[0];
                    precPresent = n[1] == 1;
                    i = n[2];
                    if (!precPresent) {
                        prec = 0;
                        precPresent = true;
                    }
                }
            }
            if (!afterIndex) {
                r = argNumber(argNum, format, i, a.size());
                argNum = r[0];
                i = r[1];
            }
            if (i >= end) {
                buf.append("%!(NOVERB)");
                break;
            }
            int verb = format.codePointAt(i);
            i += Character.charCount(verb);
            if (verb == '%') {
                buf.append('%');
            } else if (!goodArgNum) {
                buf.append("%!").appendCodePoint(verb).append("(BADINDEX)");
            } else if (argNum >= a.size()) {
                buf.append("%!").appendCodePoint(verb).append("(MISSING)");
            } else {
                if (verb == 'v') {
                    sharpV = sharp;
                    sharp = false;
                    plusV = plus;
                    plus = false;
                }
                printArg(a.get(argNum), verb);
                argNum++;
            }
        }
        if (!reordered && argNum < a.size()) {
            clearFlags();
            buf.append("%!(EXTRA ");
            for (int k = argNum; k < a.size(); k++) {
                if (k > argNum) {
                    buf.append(", ");
                }
                buf.append(typeName(a.get(k))).append('=');
                printArg(a.get(k), 'v');
            }
            buf.append(')');
        }
    }

    /** [argNum, newI, found] */
    private int[] argNumber(int argNum, String format, int i, int numArgs) {
        if (format.length() <= i || format.charAt(i) != '[') {
            return new int[] {argNum, i, 0};
        }
        reordered = true;
        // parseArgNumber
        String f = format.substring(i);
        int index = 0;
        int w = 1;
        boolean ok = false;
        if (f.length() >= 3) {
            for (int k = 1; k < f.length(); k++) {
                if (f.charAt(k) == ']') {
                    int[] n = parseNum(f, 1, k);
                    if (n[1] == 0 || n[2] != k) {
                        w = k + 1;
                        ok = false;
                    } else {
                        index = n[0] - 1;
                        w = k + 1;
                        ok = true;
                    }
                    break;
                }
            }
        }
        if (ok && 0 <= index && index < numArgs) {
            return new int[] {index, i + w, 1};
        }
        goodArgNum = false;
        return new int[] {argNum, i + w, ok ? 1 : 0};
    }

    /** [num, isnum, newi] */
    private static int[] parseNum(String s, int start, int end) {
        if (start >= end) {
            return new int[] {0, 0, end};
        }
        int num = 0;
        boolean isNum = false;
        int newi = start;
        for (; newi < end && s.charAt(newi) >= '0' && s.charAt(newi) <= '9'; newi++) {
            if (num > TOO_LARGE || num < -TOO_LARGE) {
                return new int[] {0, 0, end};
            }
            num = num * 10 + (s.charAt(newi) - '0');
            isNum = true;
        }
        return new int[] {num, isNum ? 1 : 0, newi};
    }

    private static Object[] intFromArg(List<Object> a, int argNum) {
        int num = 0;
        boolean isInt = false;
        int newArgNum = argNum;
        if (argNum < a.size()) {
            if (a.get(argNum) instanceof Long l) {
                if (l <= TOO_LARGE && l >= -TOO_LARGE) {
                    num = (int) (long) l;
                    isInt = true;
                }
            }
            newArgNum = argNum + 1;
        }
        return new Object[] {num, isInt, newArgNum};
    }

    private static String typeName(Object arg) {
        if (arg instanceof Long) {
            return "int";
        }
        if (arg instanceof BigInteger) {
            return "*big.Int";
        }
        if (arg instanceof Double) {
            return "float64";
        }
        return "string";
    }

    private void printArg(Object arg, int verb) {
        if (verb == 'T') {
            fmtS(typeName(arg));
            return;
        }
        if (verb == 'p') {
            badVerb(arg, verb);
            return;
        }
        if (arg instanceof Long l) {
            fmtInteger(arg, l, verb);
        } else if (arg instanceof BigInteger b) {
            fmtBigInt(b, verb);
        } else if (arg instanceof Double d) {
            fmtFloat(arg, d, verb);
        } else {
            fmtString(arg, (String) arg, verb);
        }
    }

    private void badVerb(Object arg, int verb) {
        buf.append("%!").appendCodePoint(verb).append('(').append(typeName(arg)).append('=');
        printArg(arg, 'v');
        buf.append(')');
    }

    // ------------------------------------------------------------------ padding

    private void writePadding(int n) {
        if (n <= 0) {
            return;
        }
        char c = zero && !minus ? '0' : ' ';
        for (int k = 0; k < n; k++) {
            buf.append(c);
        }
    }

    private void pad(String s) {
        if (!widPresent || wid == 0) {
            buf.append(s);
            return;
        }
        int width = wid - s.codePointCount(0, s.length());
        if (!minus) {
            writePadding(width);
            buf.append(s);
        } else {
            buf.append(s);
            boolean z = zero;
            zero = false;
            writePadding(width);
            zero = z;
        }
    }

    // ------------------------------------------------------------------ integers

    private void fmtInteger(Object arg, long v, int verb) {
        switch (verb) {
            case 'v', 'd' -> integer(BigInteger.valueOf(v), 10, verb, LDIGITS);
            case 'b' -> integer(BigInteger.valueOf(v), 2, verb, LDIGITS);
            case 'o', 'O' -> integer(BigInteger.valueOf(v), 8, verb, LDIGITS);
            case 'x' -> integer(BigInteger.valueOf(v), 16, verb, LDIGITS);
            case 'X' -> integer(BigInteger.valueOf(v), 16, verb, UDIGITS);
            case 'c' -> pad(runeString(v));
            case 'q' -> {
                StringBuilder q = new StringBuilder();
                String s = runeString(v);
                Values.appendGoQuoted(q, s);
                String inner = q.substring(1, q.length() - 1).replace("\\\"", "\"");
                if (inner.equals("'")) {
                    inner = "\\'";
                }
                pad("'" + inner + "'");
            }
            case 'U' -> {
                String hex = Long.toHexString(v).toUpperCase();
                int digits = precPresent && prec > 4 ? prec : 4;
                StringBuilder u = new StringBuilder("U+");
                for (int k = hex.length(); k < digits; k++) {
                    u.append('0');
                }
                u.append(hex);
                if (sharp && v >= 0 && v <= Character.MAX_CODE_POINT && Character.isValidCodePoint((int) v)
                        && !Character.isISOControl((int) v)) {
                    u.append(" '").appendCodePoint((int) v).append('\'');
                }
                boolean z = zero;
                zero = false;
                pad(u.toString());
                zero = z;
            }
            default -> badVerb(arg, verb);
        }
    }

    private static String runeString(long v) {
        if (v < 0 || v > Character.MAX_CODE_POINT || (v >= 0xD800 && v <= 0xDFFF)) {
            return "\ufffd";
        }
        return new String(Character.toChars((int) v));
    }

    /** Go's {@code fmt.fmtInteger} on a signed value (given as a BigInteger to share code). */
    private void integer(BigInteger value, int base, int verb, String digits) {
        boolean negative = value.signum() < 0;
        BigInteger u = value.abs();
        int precision = 0;
        if (precPresent) {
            precision = prec;
            if (precision == 0 && u.signum() == 0) {
                boolean z = zero;
                zero = false;
                writePadding(wid);
                zero = z;
                return;
            }
        } else if (zero && !minus && widPresent) {
            precision = wid;
            if (negative || plus || space) {
                precision--;
            }
        }
        String d = u.toString(base);
        if (digits == UDIGITS) {
            d = d.toUpperCase();
        }
        StringBuilder b = new StringBuilder();
        for (int k = d.length(); k < precision; k++) {
            b.append('0');
        }
        b.append(d);
        if (sharp) {
            switch (base) {
                case 2 -> b.insert(0, "0b");
                case 8 -> {
                    if (b.charAt(0) != '0') {
                        b.insert(0, '0');
                    }
                }
                case 16 -> b.insert(0, digits.charAt(16)).insert(0, '0');
                default -> {
                }
            }
        }
        if (verb == 'O') {
            b.insert(0, "0o");
        }
        if (negative) {
            b.insert(0, '-');
        } else if (plus) {
            b.insert(0, '+');
        } else if (space) {
            b.insert(0, ' ');
        }
        boolean z = zero;
        zero = false;
        pad(b.toString());
        zero = z;
    }

    /** {@code (*big.Int).Format}. */
    private void fmtBigInt(BigInteger x, int ch) {
        int base;
        switch (ch) {
            case 'b' -> base = 2;
            case 'o', 'O' -> base = 8;
            case 'd', 's', 'v' -> base = 10;
            case 'x', 'X' -> base = 16;
            default -> {
                buf.append("%!").appendCodePoint(ch).append("(big.Int=").append(x).append(')');
                return;
            }
        }
        String sign = "";
        if (x.signum() < 0) {
            sign = "-";
        } else if (plus || plusV) {
            sign = "+";
        } else if (space) {
            sign = " ";
        }
        String prefix = "";
        if (sharp || (sharpV && ch == 'v')) {
            switch (ch) {
                case 'b' -> prefix = "0b";
                case 'o' -> prefix = "0";
                case 'x' -> prefix = "0x";
                case 'X' -> prefix = "0X";
                default -> {
                }
            }
        }
        if (ch == 'O') {
            prefix = "0o";
        }
        String digits = x.abs().toString(base);
        if (ch == 'X') {
            digits = digits.toUpperCase();
        }
        int left = 0;
        int zeros = 0;
        int right = 0;
        if (precPresent) {
            if (digits.length() < prec) {
                zeros = prec - digits.length();
            } else if (digits.equals("0") && prec == 0) {
                return;
            }
        }
        int length = sign.length() + prefix.length() + zeros + digits.length();
        if (widPresent && length < wid) {
            int d = wid - length;
            if (minus) {
                right = d;
            } else if (zero && !precPresent) {
                zeros = d;
            } else {
                left = d;
            }
        }
        buf.append(" ".repeat(left)).append(sign).append(prefix).append("0".repeat(zeros)).append(digits)
                .append(" ".repeat(right));
    }

    // ------------------------------------------------------------------ floats

    private void fmtFloat(Object arg, double v, int verb) {
        switch (verb) {
            case 'v' -> floatFormat(v, 'g', -1);
            case 'g', 'G', 'x', 'X', 'b' -> floatFormat(v, verb, -1);
            case 'f', 'F', 'e', 'E' -> floatFormat(v, verb, 6);
            default -> badVerb(arg, verb);
        }
    }

    private void floatFormat(double v, int verb, int precision) {
        if (precPresent) {
            precision = prec;
        }
        String num = formatFloat(v, verb, precision);
        if (num.charAt(0) != '-' && num.charAt(0) != '+') {
            num = "+" + num;
        }
        if (space && num.charAt(0) == '+' && !plus) {
            num = " " + num.substring(1);
        }
        if (sharp && verb != 'b') {
            num = sharpFloat(num, verb, precision);
        }
        if (plus || num.charAt(0) != '+') {
            if (zero && !minus && widPresent && wid > num.length()) {
                buf.append(num.charAt(0));
                writePadding(wid - num.length());
                buf.append(num, 1, num.length());
                return;
            }
            pad(num);
            return;
        }
        pad(num.substring(1));
    }

    /** The # flag: keep a decimal point (and, for %g, trailing zeros up to the precision). */
    private static String sharpFloat(String num, int verb, int precision) {
        int digits;
        switch (verb) {
            case 'v', 'g', 'G', 'x', 'X' -> digits = precision == -1 ? 6 : precision;
            default -> digits = 0;
        }
        String tail = "";
        int e = verb == 'x' || verb == 'X' ? Math.max(num.indexOf('p'), num.indexOf('P'))
                : Math.max(num.indexOf('e'), num.indexOf('E'));
        String body = num;
        if (e >= 0) {
            tail = num.substring(e);
            body = num.substring(0, e);
        }
        boolean sawNonzero = false;
        boolean hasDot = body.indexOf('.') >= 0;
        for (int k = 1; k < body.length(); k++) {
            char c = body.charAt(k);
            if (c == '.') {
                continue;
            }
            if (c != '0') {
                sawNonzero = true;
            }
            if (sawNonzero) {
                digits--;
            }
        }
        StringBuilder b = new StringBuilder(body);
        if (!hasDot) {
            if (body.length() == 2 && body.charAt(1) == '0') {
                digits--;
            }
            b.append('.');
        }
        while (digits > 0) {
            b.append('0');
            digits--;
        }
        return b.append(tail).toString();
    }

    /** {@code strconv.FormatFloat(v, verb, prec, 64)} for finite values and verbs e E f F g G. */
    static String formatFloat(double v, int verb, int precision) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        boolean neg = v < 0 || (v == 0 && 1 / v < 0);
        if (verb == 'b' || verb == 'x' || verb == 'X') {
            return binaryFloat(v, verb, precision, neg);
        }
        BigDecimal exact = new BigDecimal(Math.abs(v));
        String digs;
        int dp;
        boolean shortest = precision < 0;
        if (shortest) {
            BigDecimal s = Math.abs(v) == 0 ? BigDecimal.ZERO : new BigDecimal(Double.toString(Math.abs(v)));
            s = s.stripTrailingZeros();
            if (s.signum() == 0) {
                digs = "0";
                dp = 1;
            } else {
                digs = s.unscaledValue().toString();
                dp = digs.length() - s.scale();
            }
            if (digs.equals("0")) {
                digs = "";
                dp = 0;
            }
        } else {
            digs = null;
            dp = 0;
        }
        StringBuilder out = new StringBuilder();
        if (neg) {
            out.append('-');
        }
        switch (verb) {
            case 'f', 'F' -> {
                if (shortest) {
                    fixed(out, digs, dp, Math.max(digs.length() - dp, 0));
                } else {
                    BigDecimal r = exact.setScale(precision, RoundingMode.HALF_EVEN);
                    out.append(r.toPlainString());
                }
            }
            case 'e', 'E' -> {
                if (!shortest) {
                    Object[] d = roundDigits(exact, precision + 1);
                    digs = (String) d[0];
                    dp = (Integer) d[1];
                    exp(out, digs, dp, precision, verb);
                } else {
                    exp(out, digs, dp, Math.max(digs.length() - 1, 0), verb);
                }
            }
            case 'g', 'G' -> {
                int eprec = precision;
                if (!shortest) {
                    if (eprec == 0) {
                        eprec = 1;
                    }
                    Object[] d = roundDigits(exact, eprec);
                    digs = stripZeros((String) d[0]);
                    dp = (Integer) d[1];
                }
                int nd = digs.length();
                if (eprec > nd && nd >= dp) {
                    eprec = nd;
                }
                if (shortest) {
                    eprec = 6;
                }
                int x = dp - 1;
                if (nd == 0) {
                    x = 0;
                }
                if (x < -4 || x >= eprec) {
                    exp(out, digs, dp, Math.max(nd - 1, 0), verb == 'g' ? 'e' : 'E');
                } else {
                    fixed(out, digs, dp, Math.max(nd - dp, 0));
                }
            }
            default -> throw new IllegalArgumentException("verb " + (char) verb);
        }
        return out.toString();
    }

    /** strconv's 'b' (mantissa p exponent) and 'x' (hexadecimal mantissa and binary exponent) formats. */
    private static String binaryFloat(double v, int verb, int prec, boolean neg) {
        long bits = Double.doubleToRawLongBits(v);
        int exp = (int) (bits >>> 52) & 0x7ff;
        long mant = bits & ((1L << 52) - 1);
        if (exp == 0) {
            exp++;
        } else {
            mant |= 1L << 52;
        }
        exp -= 1023;
        StringBuilder b = new StringBuilder();
        if (neg) {
            b.append('-');
        }
        if (verb == 'b') {
            int e = exp - 52;
            return b.append(mant).append('p').append(e >= 0 ? "+" : "").append(e).toString();
        }
        if (mant == 0) {
            exp = 0;
        }
        mant <<= 60 - 52;
        while (mant != 0 && (mant & (1L << 60)) == 0) {
            mant <<= 1;
            exp--;
        }
        if (prec >= 0 && prec < 15) {
            int shift = prec * 4;
            long extra = (mant << shift) & ((1L << 60) - 1);
            mant >>>= 60 - shift;
            if (Long.compareUnsigned(extra | (mant & 1), 1L << 59) > 0) {
                mant++;
            }
            mant <<= 60 - shift;
            if ((mant & (1L << 61)) != 0) {
                mant >>>= 1;
                exp++;
            }
        }
        String hex = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        b.append('0').append((char) verb).append((char) ('0' + ((mant >>> 60) & 1)));
        mant <<= 4;
        if (prec < 0 && mant != 0) {
            b.append('.');
            while (mant != 0) {
                b.append(hex.charAt((int) ((mant >>> 60) & 15)));
                mant <<= 4;
            }
        } else if (prec > 0) {
            b.append('.');
            for (int i = 0; i < prec; i++) {
                b.append(hex.charAt((int) ((mant >>> 60) & 15)));
                mant <<= 4;
            }
        }
        b.append(verb == 'X' ? 'P' : 'p').append(exp < 0 ? '-' : '+');
        exp = Math.abs(exp);
        if (exp < 10) {
            b.append('0');
        }
        return b.append(exp).toString();
    }

    private static String stripZeros(String d) {
        int n = d.length();
        while (n > 0 && d.charAt(n - 1) == '0') {
            n--;
        }
        return d.substring(0, n);
    }

    /** Rounds to {@code n} significant digits: [digits, decimalPoint]. */
    private static Object[] roundDigits(BigDecimal exact, int n) {
        if (exact.signum() == 0) {
            return new Object[] {"0".repeat(Math.max(n, 1)).substring(0, Math.max(n, 1)), 1};
        }
        BigDecimal r = exact.round(new MathContext(Math.max(n, 1), RoundingMode.HALF_EVEN));
        String u = r.unscaledValue().toString();
        int dp = u.length() - r.scale();
        StringBuilder d = new StringBuilder(u);
        while (d.length() < n) {
            d.append('0');
        }
        return new Object[] {d.substring(0, Math.max(n, 1)), dp};
    }

    private static void fixed(StringBuilder out, String digs, int dp, int frac) {
        if (dp > 0) {
            int m = Math.min(digs.length(), dp);
            out.append(digs, 0, m);
            for (; m < dp; m++) {
                out.append('0');
            }
        } else {
            out.append('0');
        }
        if (frac > 0) {
            out.append('.');
            for (int i = 1; i <= frac; i++) {
                int j = dp + i - 1;
                out.append(j < 0 || j >= digs.length() ? '0' : digs.charAt(j));
            }
        }
    }

    private static void exp(StringBuilder out, String digs, int dp, int frac, int fmt) {
        char ch = digs.isEmpty() ? '0' : digs.charAt(0);
        out.append(ch);
        if (frac > 0) {
            out.append('.');
            for (int i = 1; i <= frac; i++) {
                out.append(i < digs.length() ? digs.charAt(i) : '0');
            }
        }
        out.append((char) fmt);
        int e = digs.isEmpty() || (digs.chars().allMatch(c -> c == '0')) ? 0 : dp - 1;
        out.append(e < 0 ? '-' : '+');
        e = Math.abs(e);
        if (e < 10) {
            out.append('0');
        }
        out.append(e);
    }

    // ------------------------------------------------------------------ strings

    private void fmtString(Object arg, String v, int verb) {
        switch (verb) {
            case 'v' -> {
                if (sharpV) {
                    fmtQ(v);
                } else {
                    fmtS(v);
                }
            }
            case 's' -> fmtS(v);
            case 'x' -> fmtSx(v, LDIGITS);
            case 'X' -> fmtSx(v, UDIGITS);
            case 'q' -> fmtQ(v);
            default -> badVerb(arg, verb);
        }
    }

    private String truncate(String s) {
        if (precPresent) {
            int n = s.codePointCount(0, s.length());
            if (prec < n) {
                return s.substring(0, s.offsetByCodePoints(0, prec));
            }
        }
        return s;
    }

    private void fmtS(String s) {
        pad(truncate(s));
    }

    private void fmtQ(String s) {
        s = truncate(s);
        StringBuilder b = new StringBuilder();
        if (sharp && s.indexOf('`') < 0 && s.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
            b.append('`').append(s).append('`');
        } else {
            Values.appendGoQuoted(b, s);
        }
        pad(b.toString());
    }

    private void fmtSx(String s, String digits) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int length = bytes.length;
        if (precPresent && prec < length) {
            length = prec;
        }
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < length; k++) {
            if (space && k > 0) {
                b.append(' ');
            }
            if (sharp && (space || k == 0)) {
                b.append('0').append(digits.charAt(16));
            }
            int c = bytes[k] & 0xff;
            b.append(digits.charAt(c >> 4)).append(digits.charAt(c & 0xf));
        }
        pad(b.toString());
    }
}
