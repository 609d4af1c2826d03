package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Calls.builtinError;
import static dev.veil.rego.internal.builtins.Calls.json;
import static dev.veil.rego.internal.builtins.Calls.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import org.junit.jupiter.api.Test;

class TimeTest {

    @Test
    void nowIsTheEvaluationClock() {
        assertThat(Calls.call("time.now_ns")).isEqualTo(NumberValue.of(Calls.NOW));
    }

    @Test
    void parseRfc3339AndLayouts() {
        assertThat(json("time.parse_rfc3339_ns", "\"2017-06-02T19:00:00-07:00\"")).isEqualTo("1496455200000000000");
        assertThat(json("time.parse_rfc3339_ns", "\"1677-09-21T00:12:43.145224192-00:00\""))
                .isEqualTo("-9223372036854775808");
        assertThat(json("time.parse_rfc3339_ns", "\"2262-04-11T23:47:16.854775807Z\"")).isEqualTo("9223372036854775807");
        builtinError("time.parse_rfc3339_ns: time outside of valid range", "time.parse_rfc3339_ns",
                "\"2262-04-11T23:47:16.854775808-00:00\"");
        assertThat(json("time.parse_ns", "\"2006-01-02\"", "\"2017-06-03\"")).isEqualTo("1496448000000000000");
        assertThat(json("time.parse_ns", "\"RFC822Z\"", "\"02 Jun 17 19:00 -0700\"")).isEqualTo("1496455200000000000");
        assertThat(json("time.parse_ns", "\"Mon Jan _2 15:04:05 2006\"", "\"Fri Jun  2 19:00:00 2017\""))
                .isEqualTo("1496430000000000000");
        // no date in the layout: year 0, which no int64 of nanoseconds reaches
        builtinError("time.parse_ns: time outside of valid range", "time.parse_ns", "\"3:04PM\"", "\"7:00PM\"");
        assertThat(json("time.parse_ns", "\"2006-01-02 3:04PM\"", "\"2017-06-02 7:00PM\""))
                .isEqualTo("1496430000000000000");
        assertThat(json("time.parse_ns", "\"2006-01-02 15:04:05.000 MST\"", "\"2017-06-02 19:00:00.500 UTC\""))
                .isEqualTo("1496430000500000000");
        builtinError("time.parse_ns: parsing time \"2017-13-01\": month out of range", "time.parse_ns",
                "\"2006-01-02\"", "\"2017-13-01\"");
        builtinError("time.parse_ns: parsing time \"2017-02-30\": day out of range", "time.parse_ns",
                "\"2006-01-02\"", "\"2017-02-30\"");
        builtinError("time.parse_ns: parsing time \"x\" as \"2006-01-02\": cannot parse \"x\" as \"2006\"",
                "time.parse_ns", "\"2006-01-02\"", "\"x\"");
        builtinError("time.parse_ns: parsing time \"2017-06-02 extra\": extra text: \" extra\"", "time.parse_ns",
                "\"2006-01-02\"", "\"2017-06-02 extra\"");
        typeError("time.parse_ns: operand 2 must be string but got number", "time.parse_ns", "\"2006\"", "1");
    }

    @Test
    void durations() {
        assertThat(json("time.parse_duration_ns", "\"100ms\"")).isEqualTo("100000000");
        assertThat(json("time.parse_duration_ns", "\"1h30m\"")).isEqualTo("5400000000000");
        assertThat(json("time.parse_duration_ns", "\"-1.5s\"")).isEqualTo("-1500000000");
        assertThat(json("time.parse_duration_ns", "\"1µs\"")).isEqualTo("1000");
        assertThat(json("time.parse_duration_ns", "\"0\"")).isEqualTo("0");
        builtinError("time.parse_duration_ns: time: invalid duration \"x\"", "time.parse_duration_ns", "\"x\"");
        builtinError("time.parse_duration_ns: time: missing unit in duration \"1\"", "time.parse_duration_ns",
                "\"1\"");
        builtinError("time.parse_duration_ns: time: unknown unit \"d\" in duration \"1d\"",
                "time.parse_duration_ns", "\"1d\"");
    }

    @Test
    void dateClockWeekdayInZones() {
        assertThat(json("time.date", "[1517832000000000000, \"\"]")).isEqualTo("[2018,2,5]");
        assertThat(json("time.date", "1582977600000000000")).isEqualTo("[2020,2,29]");
        assertThat(json("time.clock", "1582977600000000000")).isEqualTo("[12,0,0]");
        assertThat(json("time.clock", "[1582977600000000000, \"Asia/Kolkata\"]")).isEqualTo("[17,30,0]");
        assertThat(json("time.weekday", "1517832000000000000")).isEqualTo("\"Monday\"");
        assertThat(json("time.weekday", "[1518350400000000000, \"America/New_York\"]")).isEqualTo("\"Sunday\"");
        assertThat(json("time.date", "-1")).isEqualTo("[1969,12,31]");
        builtinError("time.date: timestamp too big", "time.date", "1582977600000000000000");
        builtinError("time.date: timestamp too big", "time.date", "1.5");
        builtinError("time.date: unknown time zone Mars/Olympus", "time.date", "[0, \"Mars/Olympus\"]");
        typeError("time.date: operand 1 must be either number (ns) or [number (ns), string (tz)] but got string",
                "time.date", "\"x\"");
        typeError("time.date: operand 1 must be string but got number", "time.date", "[0, 1]");
    }

    @Test
    void addDateNormalisesLikeGo() {
        assertThat(json("time.add_date", "1585852421593912000", "3", "9", "12")).isEqualTo("1705257221593912000");
        assertThat(json("time.add_date", "1585852421593912000", "-1", "-1", "-1")).isEqualTo("1551465221593912000");
        // 2021-01-31 + 1 month = 2021-03-03 in Go
        String jan31 = json("time.parse_rfc3339_ns", "\"2021-01-31T00:00:00Z\"");
        String mar3 = json("time.parse_rfc3339_ns", "\"2021-03-03T00:00:00Z\"");
        assertThat(json("time.add_date", jan31, "0", "1", "0")).isEqualTo(mar3);
        builtinError("time.add_date: time outside of valid range", "time.add_date", "0", "2262", "1", "1");
        builtinError("time.add_date: time outside of valid range", "time.add_date", "-9223372036854775808", "0",
                "0", "-1");
        typeError("time.add_date: operand 2 must be integer number but got floating-point number", "time.add_date",
                "0", "1.5", "0", "0");
    }

    @Test
    void diff() {
        String a = json("time.parse_rfc3339_ns", "\"2020-02-01T00:00:00Z\"");
        String b = json("time.parse_rfc3339_ns", "\"2020-03-01T00:00:00Z\"");
        assertThat(json("time.diff", a, b)).isEqualTo("[0,1,0,0,0,0]");
        assertThat(json("time.diff", b, a)).isEqualTo("[0,1,0,0,0,0]");
        String c = json("time.parse_rfc3339_ns", "\"2021-03-02T10:20:30Z\"");
        assertThat(json("time.diff", a, c)).isEqualTo("[1,1,1,10,20,30]");
        assertThat(json("time.diff", "[61000000000, \"UTC\"]", "[0, \"Asia/Shanghai\"]")).isEqualTo("[0,0,0,0,1,1]");
    }

    @Test
    void format() {
        assertThat(json("time.format", "1496455200123000000")).isEqualTo("\"2017-06-03T02:00:00.123Z\"");
        assertThat(json("time.format", "[1496455200000000000, \"America/Los_Angeles\"]"))
                .isEqualTo("\"2017-06-02T19:00:00-07:00\"");
        assertThat(json("time.format", "[1496455200000000000, \"Europe/Berlin\", \"Mon, 02 Jan 2006 15:04:05 MST\"]"))
                .isEqualTo("\"Sat, 03 Jun 2017 04:00:00 CEST\"");
        assertThat(json("time.format", "[1496455200000000000, \"UTC\", \"RFC1123Z\"]"))
                .isEqualTo("\"Sat, 03 Jun 2017 02:00:00 +0000\"");
        assertThat(json("time.format", "[1496455200000000000, \"\", \"3:04pm January 2, 2006 (002) .000\"]"))
                .isEqualTo("\"2:00am June 3, 2017 (154) .000\"");
        assertThat(json("time.format", "[1496455200000000000, \"Asia/Kolkata\", \"MST -07:00:00 Z0700\"]"))
                .isEqualTo("\"IST +05:30:00 +0530\"");
    }

    @Test
    void formatThenParseRoundTrips() {
        qt().forAll(longs().between(-2_000_000_000_000_000_000L, 9_000_000_000_000_000_000L)).checkAssert(ns -> {
            Value text = Calls.call("time.format", ArrayValue.of(NumberValue.of(ns), StringValue.of("Asia/Tokyo")));
            assertThat(Calls.call("time.parse_rfc3339_ns", text)).isEqualTo(NumberValue.of(ns));
        });
    }
}
