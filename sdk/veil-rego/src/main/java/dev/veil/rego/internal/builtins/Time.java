package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Operands.integer;
import static dev.veil.rego.internal.builtins.Operands.str;
import static dev.veil.rego.internal.builtins.Operands.string;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code time.*} builtins as OPA's {@code topdown/time.go}: nanoseconds since the epoch, Go layouts
 * ({@link GoTime}), time zones by IANA name through {@code java.time} ({@code ""}/{@code "UTC"} for UTC,
 * {@code "Local"} for the JVM's default zone), results limited to what fits an int64 of nanoseconds.
 */
public final class Time {
    private Time() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("time.now_ns", 0, (a, c) -> NumberValue.of(c.nowNanos())),
            Builtin.of("time.parse_ns", 2, Time::parseNs),
            Builtin.of("time.parse_rfc3339_ns", 1, Time::parseRfc3339Ns),
            Builtin.of("time.parse_duration_ns", 1, Time::parseDurationNs),
            Builtin.of("time.date", 1, (a, c) -> {
                ZonedDateTime t = tzTime("time.date", a[0]).time();
                return ArrayValue.of(NumberValue.of(t.getYear()), NumberValue.of(t.getMonthValue()),
                        NumberValue.of(t.getDayOfMonth()));
            }),
            Builtin.of("time.clock", 1, (a, c) -> {
                ZonedDateTime t = tzTime("time.clock", a[0]).time();
                return ArrayValue.of(NumberValue.of(t.getHour()), NumberValue.of(t.getMinute()),
                        NumberValue.of(t.getSecond()));
            }),
            Builtin.of("time.weekday", 1,
                    (a, c) -> str(GoTime.weekday(tzTime("time.weekday", a[0]).time().getDayOfWeek()))),
            Builtin.of("time.add_date", 4, Time::addDate),
            Builtin.of("time.diff", 2, Time::diff),
            Builtin.of("time.format", 1, Time::format));

    /** Layout names OPA accepts in place of a layout. */
    static final Map<String, String> LAYOUTS = Map.of(
            "ANSIC", "Mon Jan _2 15:04:05 2006",
            "UnixDate", "Mon Jan _2 15:04:05 MST 2006",
            "RubyDate", "Mon Jan 02 15:04:05 -0700 2006",
            "RFC822", "02 Jan 06 15:04 MST",
            "RFC822Z", "02 Jan 06 15:04 -0700",
            "RFC850", "Monday, 02-Jan-06 15:04:05 MST",
            "RFC1123", "Mon, 02 Jan 2006 15:04:05 MST",
            "RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700",
            "RFC3339", "2006-01-02T15:04:05Z07:00",
            "RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00");

    private static final BigInteger MIN_NS = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger MAX_NS = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger BILLION = BigInteger.valueOf(1_000_000_000L);
    private static final Set<String> ZONE_IDS = ZoneId.getAvailableZoneIds();
    private static final Map<String, ZoneId> ZONES = new ConcurrentHashMap<>();

    private static Value safeNanos(String name, BigInteger ns) {
        if (ns.compareTo(MIN_NS) < 0 || ns.compareTo(MAX_NS) > 0) {
            throw new BuiltinError(name, "time outside of valid range");
        }
        return NumberValue.of(ns.longValue());
    }

    private static Value parseNs(Value[] a, BuiltinContext ctx) {
        String name = "time.parse_ns";
        String layout = string(name, a, 1);
        String value = string(name, a, 2);
        layout = LAYOUTS.getOrDefault(layout, layout);
        try {
            return safeNanos(name, GoTime.parse(layout, value).nanos());
        } catch (GoTime.GoTimeException e) {
            throw new BuiltinError(name, e.getMessage());
        }
    }

    private static Value parseRfc3339Ns(Value[] a, BuiltinContext ctx) {
        String name = "time.parse_rfc3339_ns";
        String value = string(name, a, 1);
        try {
            return safeNanos(name, GoTime.parse(LAYOUTS.get("RFC3339"), value).nanos());
        } catch (GoTime.GoTimeException e) {
            throw new BuiltinError(name, e.getMessage());
        }
    }

    private static Value parseDurationNs(Value[] a, BuiltinContext ctx) {
        String name = "time.parse_duration_ns";
        try {
            return NumberValue.of(GoTime.parseDuration(string(name, a, 1)));
        } catch (GoTime.GoTimeException e) {
            throw new BuiltinError(name, e.getMessage());
        }
    }

    /** A time in its zone, and the layout given as the third element of {@code [ns, tz, layout]}. */
    record TzTime(ZonedDateTime time, String layout) {
    }

    static ZoneId zone(String name, String tz) {
        switch (tz) {
            case "", "UTC":
                return ZoneOffset.UTC;
            case "Local":
                return ZoneId.systemDefault();
            default:
                ZoneId z = ZONES.get(tz);
                if (z != null) {
                    return z;
                }
                if (!ZONE_IDS.contains(tz)) {
                    throw new BuiltinError(name, "unknown time zone " + tz);
                }
                z = ZoneId.of(tz);
                ZONES.put(tz, z);
                return z;
        }
    }

    static TzTime tzTime(String name, Value v) {
        Value n;
        ZoneId loc = ZoneOffset.UTC;
        String layout = "";
        if (v instanceof ArrayValue arr) {
            if (arr.size() == 0) {
                throw Operands.typeError(name, 1, v, "either number (ns) or [number (ns), string (tz)]");
            }
            n = arr.get(0);
            if (!(n instanceof NumberValue)) {
                throw Operands.typeError(name, 1, n, "number");
            }
            if (arr.size() > 1) {
                if (!(arr.get(1) instanceof StringValue tz)) {
                    throw Operands.typeError(name, 1, arr.get(1), "string");
                }
                loc = zone(name, tz.value());
            }
            if (arr.size() > 2) {
                if (!(arr.get(2) instanceof StringValue lay)) {
                    throw Operands.typeError(name, 1, arr.get(2), "string");
                }
                layout = lay.value();
            }
        } else if (v instanceof NumberValue) {
            n = v;
        } else {
            throw Operands.typeError(name, 1, v, "either number (ns) or [number (ns), string (tz)]");
        }
        NumberValue num = (NumberValue) n;
        if (!num.isLong()) {
            throw new BuiltinError(name, "timestamp too big");
        }
        long ns = num.longValueExact();
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
        return new TzTime(ZonedDateTime.ofInstant(instant, loc), layout);
    }

    private static BigInteger nanos(ZonedDateTime t) {
        return BigInteger.valueOf(t.toEpochSecond()).multiply(BILLION).add(BigInteger.valueOf(t.getNano()));
    }

    private static Value format(Value[] a, BuiltinContext ctx) {
        TzTime t = tzTime("time.format", a[0]);
        String layout = t.layout();
        if (layout.isEmpty()) {
            layout = LAYOUTS.get("RFC3339Nano");
        } else {
            layout = LAYOUTS.getOrDefault(layout, layout);
        }
        return str(GoTime.format(t.time(), layout));
    }

    /** Go's {@code Time.AddDate}: normalises an overflowing month or day (Jan 31 + 1 month is Mar 2 or 3). */
    static ZonedDateTime addDate(ZonedDateTime t, long years, long months, long days) {
        long totalMonths = (t.getYear() + years) * 12 + (t.getMonthValue() - 1) + months;
        int year = Math.toIntExact(Math.floorDiv(totalMonths, 12));
        int month = (int) Math.floorMod(totalMonths, 12) + 1;
        LocalDate date = LocalDate.of(year, month, 1).plusDays(t.getDayOfMonth() - 1L + days);
        LocalDateTime ldt = LocalDateTime.of(date, t.toLocalTime());
        return ZonedDateTime.ofLocal(ldt, t.getZone(), t.getOffset());
    }

    private static Value addDate(Value[] a, BuiltinContext ctx) {
        String name = "time.add_date";
        ZonedDateTime t = tzTime(name, a[0]).time();
        int years = integer(name, a, 2);
        int months = integer(name, a, 3);
        int days = integer(name, a, 4);
        ZonedDateTime r;
        try {
            r = addDate(t, years, months, days);
        } catch (java.time.DateTimeException | ArithmeticException e) {
            throw new BuiltinError(name, "time outside of valid range");
        }
        return safeNanos(name, nanos(r));
    }

    private static Value diff(Value[] a, BuiltinContext ctx) {
        ZonedDateTime t1 = tzTime("time.diff", a[0]).time();
        ZonedDateTime t2 = tzTime("time.diff", a[1]).time();
        if (!t1.getZone().equals(t2.getZone())) {
            t2 = t2.withZoneSameInstant(t1.getZone());
        }
        if (t1.toInstant().isAfter(t2.toInstant())) {
            ZonedDateTime x = t1;
            t1 = t2;
            t2 = x;
        }
        int year = t2.getYear() - t1.getYear();
        int month = t2.getMonthValue() - t1.getMonthValue();
        int day = t2.getDayOfMonth() - t1.getDayOfMonth();
        int hour = t2.getHour() - t1.getHour();
        int min = t2.getMinute() - t1.getMinute();
        int sec = t2.getSecond() - t1.getSecond();
        if (sec < 0) {
            sec += 60;
            min--;
        }
        if (min < 0) {
            min += 60;
            hour--;
        }
        if (hour < 0) {
            hour += 24;
            day--;
        }
        if (day < 0) {
            // days in t1's month: Go's Date(y1, M1, 32) normalised
            int daysInMonth = LocalDate.of(t1.getYear(), t1.getMonthValue(), 1).lengthOfMonth();
            int d32 = 32 - daysInMonth;
            day += 32 - d32;
            month--;
        }
        if (month < 0) {
            month += 12;
            year--;
        }
        return ArrayValue.of(NumberValue.of(year), NumberValue.of(month), NumberValue.of(day), NumberValue.of(hour),
                NumberValue.of(min), NumberValue.of(sec));
    }
}
