package dev.veil.rego.internal.builtins;

import java.math.BigInteger;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Go's {@code time} package layouts ({@code Format} and {@code Parse} with the reference time
 * {@code Mon Jan 2 15:04:05 MST 2006}) and {@code ParseDuration}, ported from {@code time/format.go} with Go's
 * error messages ({@code parsing time "x" as "2006": cannot parse "x" as "2006"}).
 */
public final class GoTime {
    private GoTime() {
    }

    /** A failure with Go's message. */
    static final class GoTimeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GoTimeException(String message) {
            super(message, null, false, false);
        }
    }

    // chunk codes
    private static final int NONE = 0;
    private static final int LONG_MONTH = 1;
    private static final int MONTH = 2;
    private static final int NUM_MONTH = 3;
    private static final int ZERO_MONTH = 4;
    private static final int LONG_WEEKDAY = 5;
    private static final int WEEKDAY = 6;
    private static final int DAY = 7;
    private static final int UNDER_DAY = 8;
    private static final int ZERO_DAY = 9;
    private static final int UNDER_YEAR_DAY = 10;
    private static final int ZERO_YEAR_DAY = 11;
    private static final int HOUR = 12;
    private static final int HOUR12 = 13;
    private static final int ZERO_HOUR12 = 14;
    private static final int MINUTE = 15;
    private static final int ZERO_MINUTE = 16;
    private static final int SECOND = 17;
    private static final int ZERO_SECOND = 18;
    private static final int LONG_YEAR = 19;
    private static final int YEAR = 20;
    private static final int PM = 21;
    private static final int LOWER_PM = 22;
    private static final int TZ = 23;
    private static final int ISO8601_TZ = 24;
    private static final int ISO8601_SECONDS_TZ = 25;
    private static final int ISO8601_SHORT_TZ = 26;
    private static final int ISO8601_COLON_TZ = 27;
    private static final int ISO8601_COLON_SECONDS_TZ = 28;
    private static final int NUM_TZ = 29;
    private static final int NUM_SECONDS_TZ = 30;
    private static final int NUM_SHORT_TZ = 31;
    private static final int NUM_COLON_TZ = 32;
    private static final int NUM_COLON_SECONDS_TZ = 33;
    private static final int FRAC_SECOND0 = 34;
    private static final int FRAC_SECOND9 = 35;

    private static final String[] LONG_MONTHS = {"January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December"};
    private static final String[] SHORT_MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
        "Oct", "Nov", "Dec"};
    private static final String[] LONG_DAYS = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
        "Saturday"};
    private static final String[] SHORT_DAYS = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

    /** A layout chunk: the literal prefix, the code (NONE at the end), digits and separator for fractions. */
    private record Chunk(String prefix, int code, int digits, char sep, String std, String suffix) {
    }

    private static boolean startsWithLowerCase(String s, int i) {
        return i < s.length() && s.charAt(i) >= 'a' && s.charAt(i) <= 'z';
    }

    private static boolean isDigit(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }

    private static Chunk chunk(String layout, int i, int code, int len) {
        return new Chunk(layout.substring(0, i), code, 0, '.', layout.substring(i, i + len),
                layout.substring(i + len));
    }

    /** Go's {@code nextStdChunk}. */
    private static Chunk next(String layout) {
        int n = layout.length();
        for (int i = 0; i < n; i++) {
            char c = layout.charAt(i);
            switch (c) {
                case 'J' -> {
                    if (layout.startsWith("Jan", i)) {
                        if (layout.startsWith("January", i)) {
                            return chunk(layout, i, LONG_MONTH, 7);
                        }
                        if (!startsWithLowerCase(layout, i + 3)) {
                            return chunk(layout, i, MONTH, 3);
                        }
                    }
                }
                case 'M' -> {
                    if (layout.startsWith("Mon", i)) {
                        if (layout.startsWith("Monday", i)) {
                            return chunk(layout, i, LONG_WEEKDAY, 6);
                        }
                        if (!startsWithLowerCase(layout, i + 3)) {
                            return chunk(layout, i, WEEKDAY, 3);
                        }
                    }
                    if (layout.startsWith("MST", i)) {
                        return chunk(layout, i, TZ, 3);
                    }
                }
                case '0' -> {
                    if (i + 1 < n && layout.charAt(i + 1) >= '1' && layout.charAt(i + 1) <= '6') {
                        int[] codes = {ZERO_MONTH, ZERO_DAY, ZERO_HOUR12, ZERO_MINUTE, ZERO_SECOND, YEAR};
                        return chunk(layout, i, codes[layout.charAt(i + 1) - '1'], 2);
                    }
                    if (i + 2 < n && layout.charAt(i + 1) == '0' && layout.charAt(i + 2) == '2') {
                        return chunk(layout, i, ZERO_YEAR_DAY, 3);
                    }
                }
                case '1' -> {
                    if (i + 1 < n && layout.charAt(i + 1) == '5') {
                        return chunk(layout, i, HOUR, 2);
                    }
                    return chunk(layout, i, NUM_MONTH, 1);
                }
                case '2' -> {
                    if (layout.startsWith("2006", i)) {
                        return chunk(layout, i, LONG_YEAR, 4);
                    }
                    return chunk(layout, i, DAY, 1);
                }
                case '_' -> {
                    if (i + 1 < n && layout.charAt(i + 1) == '2') {
                        if (layout.startsWith("2006", i + 1)) {
                            return new Chunk(layout.substring(0, i + 1), LONG_YEAR, 0, '.', "2006",
                                    layout.substring(i + 5));
                        }
                        return chunk(layout, i, UNDER_DAY, 2);
                    }
                    if (i + 2 < n && layout.charAt(i + 1) == '_' && layout.charAt(i + 2) == '2') {
                        return chunk(layout, i, UNDER_YEAR_DAY, 3);
                    }
                }
                case '3' -> {
                    return chunk(layout, i, HOUR12, 1);
                }
                case '4' -> {
                    return chunk(layout, i, MINUTE, 1);
                }
                case '5' -> {
                    return chunk(layout, i, SECOND, 1);
                }
                case 'P' -> {
                    if (i + 1 < n && layout.charAt(i + 1) == 'M') {
                        return chunk(layout, i, PM, 2);
                    }
                }
                case 'p' -> {
                    if (i + 1 < n && layout.charAt(i + 1) == 'm') {
                        return chunk(layout, i, LOWER_PM, 2);
                    }
                }
                case '-' -> {
                    if (layout.startsWith("-070000", i)) {
                        return chunk(layout, i, NUM_SECONDS_TZ, 7);
                    }
                    if (layout.startsWith("-07:00:00", i)) {
                        return chunk(layout, i, NUM_COLON_SECONDS_TZ, 9);
                    }
                    if (layout.startsWith("-0700", i)) {
                        return chunk(layout, i, NUM_TZ, 5);
                    }
                    if (layout.startsWith("-07:00", i)) {
                        return chunk(layout, i, NUM_COLON_TZ, 6);
                    }
                    if (layout.startsWith("-07", i)) {
                        return chunk(layout, i, NUM_SHORT_TZ, 3);
                    }
                }
                case 'Z' -> {
                    if (layout.startsWith("Z070000", i)) {
                        return chunk(layout, i, ISO8601_SECONDS_TZ, 7);
                    }
                    if (layout.startsWith("Z07:00:00", i)) {
                        return chunk(layout, i, ISO8601_COLON_SECONDS_TZ, 9);
                    }
                    if (layout.startsWith("Z0700", i)) {
                        return chunk(layout, i, ISO8601_TZ, 5);
                    }
                    if (layout.startsWith("Z07:00", i)) {
                        return chunk(layout, i, ISO8601_COLON_TZ, 6);
                    }
                    if (layout.startsWith("Z07", i)) {
                        return chunk(layout, i, ISO8601_SHORT_TZ, 3);
                    }
                }
                case '.', ',' -> {
                    if (i + 1 < n && (layout.charAt(i + 1) == '0' || layout.charAt(i + 1) == '9')) {
                        char ch = layout.charAt(i + 1);
                        int j = i + 1;
                        while (j < n && layout.charAt(j) == ch) {
                            j++;
                        }
                        if (!isDigit(layout, j)) {
                            int code = ch == '9' ? FRAC_SECOND9 : FRAC_SECOND0;
                            return new Chunk(layout.substring(0, i), code, j - (i + 1), c, layout.substring(i, j),
                                    layout.substring(j));
                        }
                    }
                }
                default -> {
                }
            }
        }
        return new Chunk(layout, NONE, 0, '.', "", "");
    }

    // ------------------------------------------------------------------ format

    private static void appendInt(StringBuilder b, long x, int width) {
        if (x < 0) {
            b.append('-');
            x = -x;
        }
        String s = Long.toString(x);
        for (int i = s.length(); i < width; i++) {
            b.append('0');
        }
        b.append(s);
    }

    /** Go's {@code Time.Format(layout)} for the given instant in its zone. */
    static String format(ZonedDateTime t, String layout) {
        StringBuilder b = new StringBuilder();
        int offset = t.getOffset().getTotalSeconds();
        while (!layout.isEmpty()) {
            Chunk c = next(layout);
            b.append(c.prefix());
            if (c.code() == NONE) {
                break;
            }
            layout = c.suffix();
            int year = t.getYear();
            int hour = t.getHour();
            switch (c.code()) {
                case YEAR -> appendInt(b, Math.floorMod(year, 100), 2);
                case LONG_YEAR -> appendInt(b, year, 4);
                case MONTH -> b.append(SHORT_MONTHS[t.getMonthValue() - 1]);
                case LONG_MONTH -> b.append(LONG_MONTHS[t.getMonthValue() - 1]);
                case NUM_MONTH -> appendInt(b, t.getMonthValue(), 0);
                case ZERO_MONTH -> appendInt(b, t.getMonthValue(), 2);
                case WEEKDAY -> b.append(SHORT_DAYS[t.getDayOfWeek().getValue() % 7]);
                case LONG_WEEKDAY -> b.append(LONG_DAYS[t.getDayOfWeek().getValue() % 7]);
                case DAY -> appendInt(b, t.getDayOfMonth(), 0);
                case UNDER_DAY -> {
                    if (t.getDayOfMonth() < 10) {
                        b.append(' ');
                    }
                    appendInt(b, t.getDayOfMonth(), 0);
                }
                case ZERO_DAY -> appendInt(b, t.getDayOfMonth(), 2);
                case UNDER_YEAR_DAY -> {
                    int yd = t.getDayOfYear();
                    if (yd < 100) {
                        b.append(' ');
                        if (yd < 10) {
                            b.append(' ');
                        }
                    }
                    appendInt(b, yd, 0);
                }
                case ZERO_YEAR_DAY -> appendInt(b, t.getDayOfYear(), 3);
                case HOUR -> appendInt(b, hour, 2);
                case HOUR12 -> appendInt(b, hour % 12 == 0 ? 12 : hour % 12, 0);
                case ZERO_HOUR12 -> appendInt(b, hour % 12 == 0 ? 12 : hour % 12, 2);
                case MINUTE -> appendInt(b, t.getMinute(), 0);
                case ZERO_MINUTE -> appendInt(b, t.getMinute(), 2);
                case SECOND -> appendInt(b, t.getSecond(), 0);
                case ZERO_SECOND -> appendInt(b, t.getSecond(), 2);
                case PM -> b.append(hour >= 12 ? "PM" : "AM");
                case LOWER_PM -> b.append(hour >= 12 ? "pm" : "am");
                case ISO8601_TZ, ISO8601_COLON_TZ, ISO8601_SECONDS_TZ, ISO8601_SHORT_TZ, ISO8601_COLON_SECONDS_TZ,
                        NUM_TZ, NUM_COLON_TZ, NUM_SECONDS_TZ, NUM_SHORT_TZ, NUM_COLON_SECONDS_TZ -> {
                    int std = c.code();
                    boolean iso = std >= ISO8601_TZ && std <= ISO8601_COLON_SECONDS_TZ;
                    if (offset == 0 && iso) {
                        b.append('Z');
                        break;
                    }
                    int zone = offset / 60;
                    int absoffset = offset;
                    if (zone < 0) {
                        b.append('-');
                        zone = -zone;
                        absoffset = -absoffset;
                    } else {
                        b.append('+');
                    }
                    appendInt(b, zone / 60, 2);
                    if (std == ISO8601_COLON_TZ || std == NUM_COLON_TZ || std == ISO8601_COLON_SECONDS_TZ
                            || std == NUM_COLON_SECONDS_TZ) {
                        b.append(':');
                    }
                    if (std != NUM_SHORT_TZ && std != ISO8601_SHORT_TZ) {
                        appendInt(b, zone % 60, 2);
                    }
                    if (std == ISO8601_SECONDS_TZ || std == NUM_SECONDS_TZ || std == NUM_COLON_SECONDS_TZ
                            || std == ISO8601_COLON_SECONDS_TZ) {
                        if (std == NUM_COLON_SECONDS_TZ || std == ISO8601_COLON_SECONDS_TZ) {
                            b.append(':');
                        }
                        appendInt(b, absoffset % 60, 2);
                    }
                }
                case TZ -> {
                    String name = zoneAbbreviation(t);
                    if (name != null) {
                        b.append(name);
                        break;
                    }
                    int zone = offset / 60;
                    if (zone < 0) {
                        b.append('-');
                        zone = -zone;
                    } else {
                        b.append('+');
                    }
                    appendInt(b, zone / 60, 2);
                    appendInt(b, zone % 60, 2);
                }
                case FRAC_SECOND0, FRAC_SECOND9 -> appendFrac(b, t.getNano(), c);
                default -> throw new IllegalStateException("layout code " + c.code());
            }
        }
        return b.toString();
    }

    private static void appendFrac(StringBuilder b, int nanos, Chunk c) {
        String digits = String.format("%09d", nanos).substring(0, Math.min(9, c.digits()));
        if (c.code() == FRAC_SECOND9) {
            int end = digits.length();
            while (end > 0 && digits.charAt(end - 1) == '0') {
                end--;
            }
            digits = digits.substring(0, end);
            if (digits.isEmpty()) {
                return;
            }
        }
        b.append(c.sep()).append(digits);
    }

    /** The zone's abbreviation as Go's tzdata would give it, or null for a bare offset. */
    static String zoneAbbreviation(ZonedDateTime t) {
        ZoneId z = t.getZone();
        if (z instanceof ZoneOffset) {
            return z.equals(ZoneOffset.UTC) ? "UTC" : null;
        }
        if (z.getId().equals("UTC") || z.getId().equals("Etc/UTC") || z.getId().equals("Z")) {
            return "UTC";
        }
        String name = DateTimeFormatter.ofPattern("zzz", Locale.US).format(t);
        if (name.startsWith("GMT") && name.length() > 3 || name.startsWith("UTC") && name.length() > 3) {
            // no abbreviation in the data: Go's tzdata uses the offset, e.g. "+04" or "+0530"
            int off = t.getOffset().getTotalSeconds() / 60;
            StringBuilder b = new StringBuilder(off < 0 ? "-" : "+");
            off = Math.abs(off);
            appendInt(b, off / 60, 2);
            if (off % 60 != 0) {
                appendInt(b, off % 60, 2);
            }
            return b.toString();
        }
        return name;
    }

    // ------------------------------------------------------------------ parse

    /** Go's time quoting in error messages. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int w = Character.charCount(cp);
            if (cp >= 0x80 || cp < ' ') {
                byte[] enc = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (byte x : enc) {
                    b.append("\\x").append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf,
                            16));
                }
            } else {
                if (cp == '"' || cp == '\\') {
                    b.append('\\');
                }
                b.appendCodePoint(cp);
            }
            i += w;
        }
        return b.append('"').toString();
    }

    private static GoTimeException parseError(String layout, String value, String layoutElem, String valueElem,
            String message) {
        if (message.isEmpty()) {
            return new GoTimeException("parsing time " + quote(value) + " as " + quote(layout) + ": cannot parse "
                    + quote(valueElem) + " as " + quote(layoutElem));
        }
        return new GoTimeException("parsing time " + quote(value) + message);
    }

    private static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;

        Bad() {
            super(null, null, false, false);
        }
    }

    private static final Bad BAD = new Bad();

    private static String skip(String value, String prefix) throws Bad {
        while (!prefix.isEmpty()) {
            if (prefix.charAt(0) == ' ') {
                if (!value.isEmpty() && value.charAt(0) != ' ') {
                    throw BAD;
                }
                prefix = cutSpace(prefix);
                value = cutSpace(value);
                continue;
            }
            if (value.isEmpty() || value.charAt(0) != prefix.charAt(0)) {
                throw BAD;
            }
            prefix = prefix.substring(1);
            value = value.substring(1);
        }
        return value;
    }

    private static String cutSpace(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
        return s.substring(i);
    }

    /** [number, consumed]. */
    private static int[] getnum(String s, boolean fixed) throws Bad {
        if (!isDigit(s, 0)) {
            throw BAD;
        }
        if (!isDigit(s, 1)) {
            if (fixed) {
                throw BAD;
            }
            return new int[] {s.charAt(0) - '0', 1};
        }
        return new int[] {(s.charAt(0) - '0') * 10 + (s.charAt(1) - '0'), 2};
    }

    private static int[] getnum3(String s, boolean fixed) throws Bad {
        int n = 0;
        int i = 0;
        for (; i < 3 && isDigit(s, i); i++) {
            n = n * 10 + (s.charAt(i) - '0');
        }
        if (i == 0 || (fixed && i != 3)) {
            throw BAD;
        }
        return new int[] {n, i};
    }

    private static int[] lookup(String[] tab, String val) throws Bad {
        for (int i = 0; i < tab.length; i++) {
            String v = tab[i];
            if (val.length() >= v.length() && val.substring(0, v.length()).equalsIgnoreCase(v)) {
                return new int[] {i, v.length()};
            }
        }
        throw BAD;
    }

    private static int atoi(String s) throws Bad {
        boolean neg = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.isEmpty() || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9') || s.length() > 18) {
            throw BAD;
        }
        long x = Long.parseLong(s);
        return (int) (neg ? -x : x);
    }

    /** [nanos, rangeError(0/1)]. */
    private static int parseNanoseconds(String value, int nbytes) throws Bad {
        char c = value.charAt(0);
        if (c != '.' && c != ',') {
            throw BAD;
        }
        if (nbytes > 10) {
            value = value.substring(0, 10);
            nbytes = 10;
        }
        int ns = atoi(value.substring(1, nbytes));
        for (int i = 0; i < 10 - nbytes; i++) {
            ns *= 10;
        }
        return ns;
    }

    private static int parseTimeZone(String value) {
        if (value.length() < 3) {
            return 0;
        }
        if (value.startsWith("ChST") || value.startsWith("MeST")) {
            return 4;
        }
        if (value.startsWith("GMT")) {
            return parseGmt(value);
        }
        if (value.charAt(0) == '+' || value.charAt(0) == '-') {
            return parseSignedOffset(value);
        }
        int nUpper = 0;
        while (nUpper < 6 && nUpper < value.length() && value.charAt(nUpper) >= 'A' && value.charAt(nUpper) <= 'Z') {
            nUpper++;
        }
        switch (nUpper) {
            case 5:
                return value.charAt(4) == 'T' ? 5 : 0;
            case 4:
                return value.charAt(3) == 'T' || value.startsWith("WITA") ? 4 : 0;
            case 3:
                return 3;
            default:
                return 0;
        }
    }

    private static int parseGmt(String value) {
        String rest = value.substring(3);
        if (rest.isEmpty()) {
            return 3;
        }
        int n = parseSignedOffset(rest);
        return n == 0 ? 3 : 3 + n;
    }

    private static int parseSignedOffset(String value) {
        char sign = value.charAt(0);
        if (sign != '-' && sign != '+') {
            return 0;
        }
        int i = 1;
        long x = 0;
        while (i < value.length() && isDigit(value, i)) {
            x = x * 10 + (value.charAt(i) - '0');
            i++;
            if (x > 1_000_000) {
                return 0;
            }
        }
        if (i == 1 || x > 23) {
            return 0;
        }
        return i;
    }

    /** A parsed time: epoch seconds and nanoseconds (of the instant). */
    record Parsed(long epochSecond, int nano) {
        BigInteger nanos() {
            return BigInteger.valueOf(epochSecond).multiply(BigInteger.valueOf(1_000_000_000L))
                    .add(BigInteger.valueOf(nano));
        }
    }

    /** Go's {@code time.Parse(layout, value)} (no local zone: names other than UTC get offset 0 or GMT±h). */
    static Parsed parse(String layout, String value) {
        String alayout = layout;
        String avalue = value;
        String rangeErr = "";
        boolean amSet = false;
        boolean pmSet = false;
        int year = 0;
        int month = -1;
        int day = -1;
        int yday = -1;
        int hour = 0;
        int min = 0;
        int sec = 0;
        int nsec = 0;
        boolean utc = false;
        int zoneOffset = -1;
        boolean offsetSet = false;
        String zoneName = "";
        while (true) {
            Chunk c = next(layout);
            String stdstr = c.std();
            try {
                value = skip(value, c.prefix());
            } catch (Bad e) {
                throw parseError(alayout, avalue, c.prefix(), value, "");
            }
            if (c.code() == NONE) {
                if (!value.isEmpty()) {
                    throw parseError(alayout, avalue, "", value, ": extra text: " + quote(value));
                }
                break;
            }
            layout = c.suffix();
            String hold = value;
            try {
                switch (c.code()) {
                    case YEAR -> {
                        if (value.length() < 2) {
                            throw BAD;
                        }
                        String p = value.substring(0, 2);
                        value = value.substring(2);
                        year = atoi(p);
                        year += year >= 69 ? 1900 : 2000;
                    }
                    case LONG_YEAR -> {
                        if (value.length() < 4 || !isDigit(value, 0)) {
                            throw BAD;
                        }
                        String p = value.substring(0, 4);
                        value = value.substring(4);
                        year = atoi(p);
                    }
                    case MONTH, LONG_MONTH -> {
                        int[] r = lookup(c.code() == MONTH ? SHORT_MONTHS : LONG_MONTHS, value);
                        month = r[0] + 1;
                        value = value.substring(r[1]);
                    }
                    case NUM_MONTH, ZERO_MONTH -> {
                        int[] r = getnum(value, c.code() == ZERO_MONTH);
                        month = r[0];
                        value = value.substring(r[1]);
                        if (month <= 0 || month > 12) {
                            rangeErr = "month";
                        }
                    }
                    case WEEKDAY, LONG_WEEKDAY -> {
                        int[] r = lookup(c.code() == WEEKDAY ? SHORT_DAYS : LONG_DAYS, value);
                        value = value.substring(r[1]);
                    }
                    case DAY, UNDER_DAY, ZERO_DAY -> {
                        if (c.code() == UNDER_DAY && !value.isEmpty() && value.charAt(0) == ' ') {
                            value = value.substring(1);
                        }
                        int[] r = getnum(value, c.code() == ZERO_DAY);
                        day = r[0];
                        value = value.substring(r[1]);
                    }
                    case UNDER_YEAR_DAY, ZERO_YEAR_DAY -> {
                        for (int i = 0; i < 2; i++) {
                            if (c.code() == UNDER_YEAR_DAY && !value.isEmpty() && value.charAt(0) == ' ') {
                                value = value.substring(1);
                            }
                        }
                        int[] r = getnum3(value, c.code() == ZERO_YEAR_DAY);
                        yday = r[0];
                        value = value.substring(r[1]);
                    }
                    case HOUR -> {
                        int[] r = getnum(value, false);
                        hour = r[0];
                        value = value.substring(r[1]);
                        if (hour < 0 || hour >= 24) {
                            rangeErr = "hour";
                        }
                    }
                    case HOUR12, ZERO_HOUR12 -> {
                        int[] r = getnum(value, c.code() == ZERO_HOUR12);
                        hour = r[0];
                        value = value.substring(r[1]);
                        if (hour < 0 || hour > 12) {
                            rangeErr = "hour";
                        }
                    }
                    case MINUTE, ZERO_MINUTE -> {
                        int[] r = getnum(value, c.code() == ZERO_MINUTE);
                        min = r[0];
                        value = value.substring(r[1]);
                        if (min < 0 || min >= 60) {
                            rangeErr = "minute";
                        }
                    }
                    case SECOND, ZERO_SECOND -> {
                        int[] r = getnum(value, c.code() == ZERO_SECOND);
                        sec = r[0];
                        value = value.substring(r[1]);
                        if (sec < 0 || sec >= 60) {
                            rangeErr = "second";
                            break;
                        }
                        if (value.length() >= 2 && (value.charAt(0) == '.' || value.charAt(0) == ',')
                                && isDigit(value, 1)) {
                            int nextCode = next(layout).code();
                            if (nextCode == FRAC_SECOND0 || nextCode == FRAC_SECOND9) {
                                break;
                            }
                            int n = 2;
                            while (n < value.length() && isDigit(value, n)) {
                                n++;
                            }
                            nsec = parseNanoseconds(value, n);
                            value = value.substring(n);
                        }
                    }
                    case PM, LOWER_PM -> {
                        if (value.length() < 2) {
                            throw BAD;
                        }
                        String p = value.substring(0, 2);
                        value = value.substring(2);
                        String pmText = c.code() == PM ? "PM" : "pm";
                        String amText = c.code() == PM ? "AM" : "am";
                        if (p.equals(pmText)) {
                            pmSet = true;
                        } else if (p.equals(amText)) {
                            amSet = true;
                        } else {
                            throw BAD;
                        }
                    }
                    case ISO8601_TZ, ISO8601_SHORT_TZ, ISO8601_COLON_TZ, ISO8601_SECONDS_TZ, ISO8601_COLON_SECONDS_TZ,
                            NUM_TZ, NUM_SHORT_TZ, NUM_COLON_TZ, NUM_SECONDS_TZ, NUM_COLON_SECONDS_TZ -> {
                        int std = c.code();
                        boolean iso = std >= ISO8601_TZ && std <= ISO8601_COLON_SECONDS_TZ;
                        if (iso && !value.isEmpty() && value.charAt(0) == 'Z') {
                            value = value.substring(1);
                            utc = true;
                            break;
                        }
                        String sign;
                        String hh;
                        String mm;
                        String ss;
                        if (std == ISO8601_COLON_TZ || std == NUM_COLON_TZ) {
                            if (value.length() < 6 || value.charAt(3) != ':') {
                                throw BAD;
                            }
                            sign = value.substring(0, 1);
                            hh = value.substring(1, 3);
                            mm = value.substring(4, 6);
                            ss = "00";
                            value = value.substring(6);
                        } else if (std == NUM_SHORT_TZ || std == ISO8601_SHORT_TZ) {
                            if (value.length() < 3) {
                                throw BAD;
                            }
                            sign = value.substring(0, 1);
                            hh = value.substring(1, 3);
                            mm = "00";
                            ss = "00";
                            value = value.substring(3);
                        } else if (std == ISO8601_COLON_SECONDS_TZ || std == NUM_COLON_SECONDS_TZ) {
                            if (value.length() < 9 || value.charAt(3) != ':' || value.charAt(6) != ':') {
                                throw BAD;
                            }
                            sign = value.substring(0, 1);
                            hh = value.substring(1, 3);
                            mm = value.substring(4, 6);
                            ss = value.substring(7, 9);
                            value = value.substring(9);
                        } else if (std == ISO8601_SECONDS_TZ || std == NUM_SECONDS_TZ) {
                            if (value.length() < 7) {
                                throw BAD;
                            }
                            sign = value.substring(0, 1);
                            hh = value.substring(1, 3);
                            mm = value.substring(3, 5);
                            ss = value.substring(5, 7);
                            value = value.substring(7);
                        } else {
                            if (value.length() < 5) {
                                throw BAD;
                            }
                            sign = value.substring(0, 1);
                            hh = value.substring(1, 3);
                            mm = value.substring(3, 5);
                            ss = "00";
                            value = value.substring(5);
                        }
                        int hr = getnum(hh, true)[0];
                        int m = getnum(mm, true)[0];
                        int s = getnum(ss, true)[0];
                        if (hr > 24) {
                            rangeErr = "time zone offset hour";
                        }
                        if (m > 60) {
                            rangeErr = "time zone offset minute";
                        }
                        if (s > 60) {
                            rangeErr = "time zone offset second";
                        }
                        zoneOffset = (hr * 60 + m) * 60 + s;
                        offsetSet = true;
                        if (sign.equals("-")) {
                            zoneOffset = -zoneOffset;
                        } else if (!sign.equals("+")) {
                            throw BAD;
                        }
                    }
                    case TZ -> {
                        if (value.startsWith("UTC")) {
                            utc = true;
                            value = value.substring(3);
                            break;
                        }
                        int n = parseTimeZone(value);
                        if (n == 0) {
                            throw BAD;
                        }
                        zoneName = value.substring(0, n);
                        value = value.substring(n);
                    }
                    case FRAC_SECOND0 -> {
                        int ndigit = 1 + c.digits();
                        if (value.length() < ndigit) {
                            throw BAD;
                        }
                        nsec = parseNanoseconds(value, ndigit);
                        value = value.substring(ndigit);
                    }
                    case FRAC_SECOND9 -> {
                        if (value.length() < 2 || (value.charAt(0) != '.' && value.charAt(0) != ',')
                                || !isDigit(value, 1)) {
                            break;
                        }
                        int i = 0;
                        while (i + 1 < value.length() && isDigit(value, i + 1)) {
                            i++;
                        }
                        nsec = parseNanoseconds(value, 1 + i);
                        value = value.substring(1 + i);
                    }
                    default -> throw new IllegalStateException("layout code " + c.code());
                }
            } catch (Bad e) {
                if (!rangeErr.isEmpty()) {
                    throw parseError(alayout, avalue, stdstr, value, ": " + rangeErr + " out of range");
                }
                throw parseError(alayout, avalue, stdstr, hold, "");
            }
            if (!rangeErr.isEmpty()) {
                throw parseError(alayout, avalue, stdstr, value, ": " + rangeErr + " out of range");
            }
        }
        if (pmSet && hour < 12) {
            hour += 12;
        } else if (amSet && hour == 12) {
            hour = 0;
        }
        if (yday >= 0) {
            int d;
            int m;
            boolean leap = java.time.Year.isLeap(year);
            if (leap) {
                if (yday == 31 + 29) {
                    m = 2;
                    d = 29;
                } else if (yday > 31 + 29) {
                    yday--;
                    m = -1;
                    d = -1;
                } else {
                    m = -1;
                    d = -1;
                }
            } else {
                m = -1;
                d = -1;
            }
            if (yday < 1 || yday > 365) {
                throw parseError(alayout, avalue, "", value, ": day-of-year out of range");
            }
            if (m < 0) {
                int[] cum = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
                m = (yday - 1) / 31 + 1;
                if (cum[m] < yday) {
                    m++;
                }
                d = yday - cum[m - 1];
            }
            if (month >= 0 && month != m) {
                throw parseError(alayout, avalue, "", value, ": day-of-year does not match month");
            }
            month = m;
            if (day >= 0 && day != d) {
                throw parseError(alayout, avalue, "", value, ": day-of-year does not match day");
            }
            day = d;
        } else {
            if (month < 0) {
                month = 1;
            }
            if (day < 0) {
                day = 1;
            }
        }
        if (day < 1 || day > LocalDate.of(year, month, 1).lengthOfMonth()) {
            throw parseError(alayout, avalue, "", value, ": day out of range");
        }
        long local = LocalDateTime.of(year, month, day, hour, min, sec).toEpochSecond(ZoneOffset.UTC);
        if (utc) {
            return new Parsed(local, nsec);
        }
        if (offsetSet) {
            return new Parsed(local - zoneOffset, nsec);
        }
        // A zone name other than UTC: Go looks it up in the local zone, which here is UTC and knows no
        // other name, so the wall clock is taken as UTC and the name (GMT-8 too) only labels the result.
        return new Parsed(local, nsec);
    }

    // ------------------------------------------------------------------ durations

    private static final BigInteger LIMIT = BigInteger.ONE.shiftLeft(63);

    /** Go's {@code time.ParseDuration}, in nanoseconds. */
    public static long parseDuration(String orig) {
        String s = orig;
        BigInteger d = BigInteger.ZERO;
        boolean neg = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return 0;
        }
        GoTimeException invalid = new GoTimeException("time: invalid duration " + quote(orig));
        if (s.isEmpty()) {
            throw invalid;
        }
        while (!s.isEmpty()) {
            char c0 = s.charAt(0);
            if (!(c0 == '.' || (c0 >= '0' && c0 <= '9'))) {
                throw invalid;
            }
            int i = 0;
            BigInteger v = BigInteger.ZERO;
            while (i < s.length() && isDigit(s, i)) {
                v = v.multiply(BigInteger.TEN).add(BigInteger.valueOf(s.charAt(i) - '0'));
                if (v.compareTo(LIMIT) > 0) {
                    throw invalid;
                }
                i++;
            }
            boolean pre = i > 0;
            s = s.substring(i);
            boolean post = false;
            long f = 0;
            double scale = 1;
            if (!s.isEmpty() && s.charAt(0) == '.') {
                s = s.substring(1);
                int j = 0;
                boolean overflow = false;
                while (j < s.length() && isDigit(s, j)) {
                    if (!overflow) {
                        if (f > (Long.MAX_VALUE) / 10) {
                            overflow = true;
                        } else {
                            f = f * 10 + (s.charAt(j) - '0');
                            scale *= 10;
                        }
                    }
                    j++;
                }
                post = j > 0;
                s = s.substring(j);
            }
            if (!pre && !post) {
                throw invalid;
            }
            int k = 0;
            while (k < s.length() && s.charAt(k) != '.' && !isDigit(s, k)) {
                k++;
            }
            if (k == 0) {
                throw new GoTimeException("time: missing unit in duration " + quote(orig));
            }
            String u = s.substring(0, k);
            s = s.substring(k);
            long unit = switch (u) {
                case "ns" -> 1L;
                case "us", "\u00b5s", "\u03bcs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> throw new GoTimeException("time: unknown unit " + quote(u) + " in duration "
                        + quote(orig));
            };
            if (v.compareTo(LIMIT.divide(BigInteger.valueOf(unit))) > 0) {
                throw invalid;
            }
            v = v.multiply(BigInteger.valueOf(unit));
            if (f > 0) {
                v = v.add(BigInteger.valueOf((long) ((double) f * ((double) unit / scale))));
                if (v.compareTo(LIMIT) > 0) {
                    throw invalid;
                }
            }
            d = d.add(v);
            if (d.compareTo(LIMIT) > 0) {
                throw invalid;
            }
        }
        if (neg) {
            return d.negate().longValue();
        }
        if (d.compareTo(LIMIT.subtract(BigInteger.ONE)) > 0) {
            throw invalid;
        }
        return d.longValue();
    }

    /** English weekday name as Go prints it. */
    static String weekday(DayOfWeek d) {
        return d.getDisplayName(TextStyle.FULL, Locale.US);
    }
}
