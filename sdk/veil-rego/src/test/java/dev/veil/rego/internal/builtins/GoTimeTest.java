package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Vectors from Go's {@code time/format_test.go}. */
class GoTimeTest {
    /** Thu Feb  4 21:00:57.012345600 PST 2009, as in Go's tests. */
    private static final ZonedDateTime T = ZonedDateTime.ofInstant(Instant.ofEpochSecond(1233810057L, 12345600),
            ZoneId.of("America/Los_Angeles"));

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of("ANSIC", "Wed Feb  4 21:00:57 2009"),
                Arguments.of("UnixDate", "Wed Feb  4 21:00:57 PST 2009"),
                Arguments.of("RubyDate", "Wed Feb 04 21:00:57 -0800 2009"),
                Arguments.of("RFC822", "04 Feb 09 21:00 PST"),
                Arguments.of("RFC850", "Wednesday, 04-Feb-09 21:00:57 PST"),
                Arguments.of("RFC1123", "Wed, 04 Feb 2009 21:00:57 PST"),
                Arguments.of("RFC1123Z", "Wed, 04 Feb 2009 21:00:57 -0800"),
                Arguments.of("RFC3339", "2009-02-04T21:00:57-08:00"),
                Arguments.of("RFC3339Nano", "2009-02-04T21:00:57.0123456-08:00"),
                Arguments.of("3:04PM", "9:00PM"), Arguments.of("3pm", "9pm"), Arguments.of("3PM", "9PM"),
                Arguments.of("06 01 02", "09 02 04"),
                Arguments.of("Hi Janet, the Month is January", "Hi Janet, the Month is February"),
                Arguments.of("Jan _2 15:04:05", "Feb  4 21:00:57"),
                Arguments.of("Jan _2 15:04:05.000", "Feb  4 21:00:57.012"),
                Arguments.of("Jan _2 15:04:05.000000", "Feb  4 21:00:57.012345"),
                Arguments.of("Jan _2 15:04:05.000000000", "Feb  4 21:00:57.012345600"),
                Arguments.of("2006-01-02 15:04:05", "2009-02-04 21:00:57"),
                Arguments.of("Jan  2 002 __2 2", "Feb  4 035  35 4"),
                Arguments.of("2006 6 06 _6 __6 ___6", "2009 6 09 _6 __6 ___6"),
                Arguments.of("Jan January 1 01 _1", "Feb February 2 02 _2"),
                Arguments.of("2 02 _2 __2", "4 04  4  35"), Arguments.of("Mon Monday", "Wed Wednesday"),
                Arguments.of("15 3 03 _3", "21 9 09 _9"), Arguments.of("4 04 _4", "0 00 _0"),
                Arguments.of("5 05 _5", "57 57 _57"),
                Arguments.of("Z07:00:00 -07:00:00 Z070000 -070000 -07", "-08:00:00 -08:00:00 -080000 -080000 -08"),
                Arguments.of("05,000 05.999 05,9 05.99", "57,012 57.012 57 57.01"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void formatsAsGo(String layout, String want) {
        assertThat(GoTime.format(T, Time.LAYOUTS.getOrDefault(layout, layout))).isEqualTo(want);
    }

    @Test
    void singleDigitsAndYears() {
        ZonedDateTime t = ZonedDateTime.of(2001, 2, 3, 4, 5, 6, 700000000, ZoneOffset.UTC);
        assertThat(GoTime.format(t, "3:4:5")).isEqualTo("4:5:6");
        assertThat(GoTime.format(t.withYear(-1), "2006.01.02")).isEqualTo("-0001.02.03");
        assertThat(GoTime.format(t.withYear(10001), "2006.01.02")).isEqualTo("10001.02.03");
        assertThat(GoTime.format(t.withYear(9), "2006.01.02")).isEqualTo("0009.02.03");
    }

    static Stream<Arguments> parses() {
        // layout, value, digits of fraction, UTC offset in seconds or null when the value names no offset
        return Stream.of(
                Arguments.of("ANSIC", "Thu Feb  4 21:00:57 2010", 0, null),
                Arguments.of("UnixDate", "Thu Feb  4 21:00:57 PST 2010", 0, null),
                Arguments.of("RubyDate", "Thu Feb 04 21:00:57 -0800 2010", 0, -28800),
                Arguments.of("RFC850", "Thursday, 04-Feb-10 21:00:57 PST", 0, null),
                Arguments.of("RFC1123Z", "Thu, 04 Feb 2010 21:00:57 -0800", 0, -28800),
                Arguments.of("RFC3339", "2010-02-04T21:00:57-08:00", 0, -28800),
                Arguments.of("2006-01-02 15:04:05-07", "2010-02-04 21:00:57-08", 0, -28800),
                Arguments.of("ANSIC", "Thu Feb  4 21:00:57.0 2010", 1, null),
                Arguments.of("UnixDate", "Thu Feb  4 21:00:57.01 PST 2010", 2, null),
                Arguments.of("RubyDate", "Thu Feb 04 21:00:57.012 -0800 2010", 3, -28800),
                Arguments.of("RFC3339", "2010-02-04T21:00:57.012345678-08:00", 9, -28800),
                Arguments.of("2006-01-02 15:04:05", "2010-02-04 21:00:57.0", 0, null),
                Arguments.of("ANSIC", "Thu      Feb     4     21:00:57     2010", 0, null),
                Arguments.of("ANSIC", "THU FEB 4 21:00:57 2010", 0, null),
                Arguments.of("ANSIC", "thu feb 4 21:00:57 2010", 0, null),
                Arguments.of("Mon Jan _2 15:04:05,000 2006", "Thu Feb  4 21:00:57.012 2010", 3, null),
                Arguments.of("Mon Jan _2 15:04:05.000000000 2006", "Thu Feb  4 21:00:57.012345678 2010", 9, null),
                Arguments.of("2006.01.02.15.04.05.0", "2010.02.04.21.00.57.0", 1, null),
                Arguments.of("2006.01.02.15.04.05.00", "2010.02.04.21.00.57.01", 2, null),
                Arguments.of("Hi Janet, the Month is January: Jan _2 15:04:05 2006",
                        "Hi Janet, the Month is February: Feb  4 21:00:57 2010", 0, null),
                Arguments.of("2006-01-02 15:04:05.9999 -0700 MST", "2010-02-04 21:00:57 -0800 PST", 0, -28800),
                Arguments.of("2006-01-02 15:04:05.999999999 -0700 MST", "2010-02-04 21:00:57.0123 -0800 PST", 4,
                        -28800),
                Arguments.of("2006-01-02 15:04:05,9999 -0700 MST", "2010-02-04 21:00:57.012345678 -0800 PST", 9,
                        -28800),
                Arguments.of("2006-01-02 002 15:04:05", "2010-02-04 035 21:00:57", 0, null),
                Arguments.of("2006-002 15:04:05", "2010-035 21:00:57", 0, null),
                Arguments.of("200600201 15:04:05", "201003502 21:00:57", 0, null),
                Arguments.of("RubyDate", "Thu Feb 04 21:00:57 +1130 2010", 0, 41400));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("parses")
    void parsesAsGo(String layout, String value, int fracDigits, Integer offset) {
        GoTime.Parsed p = GoTime.parse(Time.LAYOUTS.getOrDefault(layout, layout), value);
        int off = offset == null ? 0 : offset;
        ZonedDateTime t = ZonedDateTime.ofInstant(Instant.ofEpochSecond(p.epochSecond(), p.nano()),
                ZoneOffset.ofTotalSeconds(off));
        assertThat(t.getYear()).isEqualTo(2010);
        assertThat(t.getMonthValue()).isEqualTo(2);
        assertThat(t.getDayOfMonth()).isEqualTo(4);
        assertThat(t.getHour()).isEqualTo(21);
        assertThat(t.getMinute()).isZero();
        assertThat(t.getSecond()).isEqualTo(57);
        int nanos = Integer.parseInt(("012345678".substring(0, fracDigits) + "000000000").substring(0, 9));
        assertThat(t.getNano()).isEqualTo(nanos);
    }

    @Test
    void gmtOffsetsOnlyLabelTheWallClock() {
        // Go takes the wall clock as UTC and shows it in a zone "GMT-8" of offset -8h: 05:00:57 UTC
        GoTime.Parsed p = GoTime.parse(Time.LAYOUTS.get("UnixDate"), "Fri Feb  5 05:00:57 GMT-8 2010");
        assertThat(Instant.ofEpochSecond(p.epochSecond())).isEqualTo(Instant.parse("2010-02-05T05:00:57Z"));
    }

    @Test
    void dayOutOfRange() {
        for (String bad : new String[] {"Thu Jan 99 21:00:57 2010", "Thu Jan 32 21:00:57 2010",
            "Thu Feb 29 21:00:57 2010", "Thu Apr 31 21:00:57 2010", "Thu Dec 00 21:00:57 2010"}) {
            assertThatThrownBy(() -> GoTime.parse(Time.LAYOUTS.get("ANSIC"), bad)).hasMessageContaining(
                    "day out of range");
        }
        assertThat(GoTime.parse(Time.LAYOUTS.get("ANSIC"), "Thu Feb 29 21:00:57 2012").epochSecond()).isPositive();
    }

    @Test
    void parseErrorsAsGo() {
        assertThatThrownBy(() -> GoTime.parse("2006-01-02T15:04:05Z07:00", "2010-02-04T21:00:57"))
                .hasMessage("parsing time \"2010-02-04T21:00:57\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" "
                        + "as \"Z07:00\"");
        assertThatThrownBy(() -> GoTime.parse("15:04", "25:00")).hasMessage("parsing time \"25:00\": hour out of range");
        assertThatThrownBy(() -> GoTime.parse("Jan", "Foo"))
                .hasMessage("parsing time \"Foo\" as \"Jan\": cannot parse \"Foo\" as \"Jan\"");
    }
}
