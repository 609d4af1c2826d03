package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AwsTest {
    private static final BuiltinContext CTX = BuiltinContext.of(0, true, new Random(1));

    /** The AWS SigV4 test suite's credentials and scope. */
    private static final ObjectValue SUITE = config("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "service", "us-east-1");
    private static final NumberValue SUITE_TIME = nanos("2015-08-30T12:36:00Z");

    static Value sign(Value req, Value config, Value time) {
        Builtin b = Builtins.lookup("providers.aws.sign_req");
        assertThat(b.arity()).isEqualTo(3);
        return b.fn().call(new Value[] {req, config, time}, CTX);
    }

    static StringValue s(String v) {
        return StringValue.of(v);
    }

    static NumberValue nanos(String instant) {
        return NumberValue.of(Instant.parse(instant).getEpochSecond() * 1_000_000_000L);
    }

    static ObjectValue config(String access, String secret, String service, String region) {
        return ObjectValue.of(s("aws_access_key"), s(access), s("aws_secret_access_key"), s(secret),
                s("aws_service"), s(service), s("aws_region"), s(region));
    }

    static ObjectValue with(ObjectValue o, String key, Value value) {
        ObjectValue.Builder b = ObjectValue.builder();
        o.forEach(b::put);
        b.put(key, value);
        return b.build();
    }

    static ObjectValue request(String method, String url) {
        return ObjectValue.of(s("method"), s(method), s("url"), s(url));
    }

    static ObjectValue headers(Value signed) {
        return (ObjectValue) ((ObjectValue) signed).get("headers");
    }

    static String authorization(Value signed) {
        return ((StringValue) headers(signed).get("Authorization")).value();
    }

    static String signature(Value signed) {
        String a = authorization(signed);
        return a.substring(a.indexOf("Signature=") + "Signature=".length());
    }

    @Test
    void getVanillaFromTheAwsTestSuite() {
        Value out = sign(request("GET", "https://example.amazonaws.com/"), SUITE, SUITE_TIME);
        assertThat(authorization(out)).isEqualTo("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                + "service/aws4_request,SignedHeaders=host;x-amz-date,"
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        assertThat(headers(out)).isEqualTo(ObjectValue.of(s("Authorization"), s(authorization(out)),
                s("host"), s("example.amazonaws.com"), s("x-amz-date"), s("20150830T123600Z")));
        assertThat(((ObjectValue) out).get("url")).isEqualTo(s("https://example.amazonaws.com/"));
    }

    @Test
    void postVanillaAndEmptyQueryKeyFromTheAwsTestSuite() {
        assertThat(signature(sign(request("POST", "https://example.amazonaws.com/"), SUITE, SUITE_TIME)))
                .isEqualTo("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
        assertThat(signature(sign(request("GET", "https://example.amazonaws.com/?Param1=value1"), SUITE,
                SUITE_TIME))).isEqualTo("a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
    }

    @Test
    void s3GetObjectExampleFromTheS3Documentation() {
        ObjectValue req = with(request("GET", "https://examplebucket.s3.amazonaws.com/test.txt"), "headers",
                ObjectValue.of(s("Range"), s("bytes=0-9")));
        Value out = sign(req, config("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "s3",
                "us-east-1"), nanos("2013-05-24T00:00:00Z"));
        assertThat(authorization(out)).isEqualTo("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
                + "us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
        assertThat(headers(out).get("Range")).isEqualTo(s("bytes=0-9"));
        assertThat(headers(out).get("x-amz-content-sha256"))
                .isEqualTo(s("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    @Test
    void sessionTokenIsAddedAndSigned() {
        Value out = sign(request("GET", "https://example.amazonaws.com/"), with(SUITE, "aws_session_token",
                s("TOKEN")), SUITE_TIME);
        assertThat(authorization(out)).contains("SignedHeaders=host;x-amz-date;x-amz-security-token,");
        assertThat(headers(out).get("x-amz-security-token")).isEqualTo(s("TOKEN"));
        assertThat(signature(out)).isNotEqualTo("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    }

    @Test
    void payloadSigningCanBeDisabledForS3() {
        ObjectValue s3 = config("AK", "SK", "s3", "eu-west-1");
        ObjectValue req = with(request("PUT", "https://b.s3.amazonaws.com/k"), "raw_body", s("data"));
        Value signed = sign(req, s3, SUITE_TIME);
        Value unsigned = sign(req, with(s3, "disable_payload_signing", BooleanValue.TRUE), SUITE_TIME);
        Value explicit = sign(req, with(s3, "disable_payload_signing", BooleanValue.FALSE), SUITE_TIME);
        assertThat(headers(unsigned).get("x-amz-content-sha256")).isEqualTo(s("UNSIGNED-PAYLOAD"));
        assertThat(headers(signed).get("x-amz-content-sha256"))
                .isEqualTo(s("3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"));
        assertThat(explicit).isEqualTo(signed);
        assertThat(signature(unsigned)).isNotEqualTo(signature(signed));
        // a body changes nothing when the payload is not signed
        assertThat(sign(with(req, "raw_body", s("other")), with(s3, "disable_payload_signing", BooleanValue.TRUE),
                SUITE_TIME)).satisfies(o -> assertThat(signature(o)).isEqualTo(signature(unsigned)));
    }

    @Test
    void onlyS3AndGlacierGetTheContentHashHeader() {
        for (String service : new String[] {"s3", "glacier"}) {
            assertThat(headers(sign(request("GET", "https://x/"), config("a", "b", service, "r"), SUITE_TIME))
                    .containsKey(s("x-amz-content-sha256"))).as(service).isTrue();
        }
        assertThat(headers(sign(request("GET", "https://x/"), config("a", "b", "execute-api", "r"), SUITE_TIME))
                .containsKey(s("x-amz-content-sha256"))).isFalse();
    }

    @Test
    void bodyIsSignedAsItsCompactJsonAndRawBodyWins() {
        ObjectValue s3 = config("AK", "SK", "s3", "us-east-1");
        Value body = ObjectValue.of(s("b"), SetValue.of(NumberValue.of(2), NumberValue.of(1)), s("a"), s("<&>"));
        Value withBody = sign(with(request("GET", "https://x/"), "body", body), s3, SUITE_TIME);
        Value withRaw = sign(with(request("GET", "https://x/"), "raw_body",
                s("{\"a\":\"\\u003c\\u0026\\u003e\",\"b\":[1,2]}")), s3, SUITE_TIME);
        assertThat(headers(withBody)).isEqualTo(headers(withRaw));
        assertThat(((ObjectValue) withBody).get("body")).isEqualTo(body);
        Value both = sign(with(with(request("GET", "https://x/"), "body", body), "raw_body", s("")), s3, SUITE_TIME);
        assertThat(headers(both).get("x-amz-content-sha256")).isEqualTo(headers(sign(request("GET", "https://x/"),
                s3, SUITE_TIME)).get("x-amz-content-sha256"));
    }

    @Test
    void bodyAndItsJsonAsRawBodySignAlike() {
        ObjectValue s3 = config("AK", "SK", "s3", "us-east-1");
        qt().withExamples(40).forAll(strings().allPossible().ofLengthBetween(0, 8), integers().all())
                .checkAssert((text, n) -> {
                    Value body = ObjectValue.of(s(text), ArrayValue.of(NumberValue.of(n), s(text), NullValue.NULL));
                    Value a = sign(with(request("POST", "https://x/"), "body", body), s3, SUITE_TIME);
                    Value b = sign(with(request("POST", "https://x/"), "raw_body", s(Values.toJson(body))), s3,
                            SUITE_TIME);
                    assertThat(headers(a)).isEqualTo(headers(b));
                });
    }

    @Test
    void requestHeadersAreSignedLowerCasedExceptProxyHeadersAndOverrideInTheCanonicalRequestOnly() {
        ObjectValue s3 = config("AK", "SK", "s3", "us-east-1");
        ObjectValue plain = with(request("GET", "https://x/"), "headers", ObjectValue.of(s("Foo"), s("bar")));
        Value out = sign(plain, s3, SUITE_TIME);
        assertThat(authorization(out)).contains("SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,");
        assertThat(headers(out).get("Foo")).isEqualTo(s("bar"));

        ObjectValue proxied = with(request("GET", "https://x/"), "headers", ObjectValue.of(s("Foo"), s("bar"),
                s("User-Agent"), s("ua"), s("X-Amzn-Trace-Id"), s("t"), s("authorization"), s("old")));
        Value p = sign(proxied, s3, SUITE_TIME);
        assertThat(authorization(p)).isEqualTo(authorization(out));
        assertThat(headers(p).get("User-Agent")).isEqualTo(s("ua"));
        assertThat(headers(p).get("authorization")).isEqualTo(s("old"));

        // a request header named like an added one is signed with its own value; the output has the added value
        ObjectValue clash = with(request("GET", "https://x/"), "headers", ObjectValue.of(s("Foo"), s("bar"),
                s("x-amz-content-sha256"), s("mine")));
        Value c = sign(clash, s3, SUITE_TIME);
        assertThat(headers(c).get("x-amz-content-sha256")).isEqualTo(headers(out).get("x-amz-content-sha256"));
        assertThat(signature(c)).isNotEqualTo(signature(out));
    }

    @Test
    void nonStringHeaderValuesAreSignedAsEmptyStrings() {
        ObjectValue s3 = config("AK", "SK", "s3", "us-east-1");
        Value number = sign(with(request("GET", "https://x/"), "headers", ObjectValue.of(s("n"), NumberValue.of(1))),
                s3, SUITE_TIME);
        Value empty = sign(with(request("GET", "https://x/"), "headers", ObjectValue.of(s("n"), s(""))), s3,
                SUITE_TIME);
        assertThat(headers(number)).isEqualTo(headers(empty));
    }

    @Test
    void pathIsEscapedAsGoEscapesItAndTheQueryIsTakenAsWritten() {
        // validly escaped paths are kept as written; otherwise the decoded path is re-escaped (Go's EscapedPath)
        assertThat(GoUrl.parse("https://h/a/c%2Fd").escapedPath()).isEqualTo("/a/c%2Fd");
        assertThat(GoUrl.parse("https://h/a b/c%2Fd").escapedPath()).isEqualTo("/a%20b/c/d");
        assertThat(GoUrl.parse("https://h/caf\u00e9").escapedPath()).isEqualTo("/caf%C3%A9");
        assertThat(GoUrl.parse("https://h/a%20b").escapedPath()).isEqualTo("/a%20b");
        assertThat(GoUrl.parse("https://h/a+b:c@d").escapedPath()).isEqualTo("/a+b:c@d");
        assertThat(GoUrl.parse("https://h").escapedPath()).isEmpty();
        assertThat(GoUrl.parse("*").escapedPath()).isEqualTo("*");
        GoUrl u = GoUrl.parse("HTTPS://user:pw@Example.com:8443/p?b=2&a=1#frag");
        assertThat(u.scheme()).isEqualTo("https");
        assertThat(u.host()).isEqualTo("Example.com:8443");
        assertThat(u.rawQuery()).isEqualTo("b=2&a=1");
        assertThat(GoUrl.parse("https://h/p?").rawQuery()).isEmpty();
        assertThat(GoUrl.parse("https://[::1]:80/").host()).isEqualTo("[::1]:80");
        assertThat(GoUrl.parse("https://ex%C3%A9.com/").host()).isEqualTo("ex\u00e9.com");
        assertThat(GoUrl.parse("mailto:x@y").host()).isEmpty();
        assertThat(GoUrl.parse("relative/path").escapedPath()).isEqualTo("relative/path");
    }

    @Test
    void urlsGoRefusesAreBuiltinErrorsWithGosMessage() {
        assertUrlError("http://a b", "parse \"http://a b\": invalid character \" \" in host name");
        assertUrlError("http://h:x/", "parse \"http://h:x/\": invalid port \":x\" after host");
        assertUrlError("http://h/%zz", "parse \"http://h/%zz\": invalid URL escape \"%zz\"");
        assertUrlError("http://h/%4", "parse \"http://h/%4\": invalid URL escape \"%4\"");
        assertUrlError("http://%41/", "parse \"http://%41/\": invalid URL escape \"%41\"");
        assertUrlError("://h", "parse \"://h\": missing protocol scheme");
        assertUrlError("a:b/c", null); // a scheme: opaque, accepted
        assertUrlError("1a:b", "parse \"1a:b\": first path segment in URL cannot contain colon");
        assertUrlError("http://h/\n", "parse \"http://h/\\n\": net/url: invalid control character in URL");
        assertUrlError("http://[::1/", "parse \"http://[::1/\": missing ']' in host");
        assertUrlError("http://a\u00e9@h/", "parse \"http://a\u00e9@h/\": net/url: invalid userinfo");
        assertUrlError("http://h/#%zz", "parse \"http://h/#%zz\": invalid URL escape \"%zz\"");
        assertUrlError("http://h/%zz#f", "parse \"http://h/%zz\": invalid URL escape \"%zz\"");
    }

    private static void assertUrlError(String url, String message) {
        Value req = request("GET", url);
        if (message == null) {
            assertThat(sign(req, SUITE, SUITE_TIME)).isInstanceOf(ObjectValue.class);
            return;
        }
        assertThatThrownBy(() -> sign(req, SUITE, SUITE_TIME)).isInstanceOf(BuiltinError.class)
                .hasMessage("providers.aws.sign_req: " + message);
    }

    @Test
    void operandTypeErrorsNameTheOperandsAsOpaDoes() {
        ObjectValue req = request("GET", "https://x/");
        assertTypeError(() -> sign(s("x"), SUITE, SUITE_TIME), "operand 1 must be object but got string");
        assertTypeError(() -> sign(req, ArrayValue.EMPTY, SUITE_TIME), "operand 1 must be object but got array");
        assertTypeError(() -> sign(req, SUITE, s("1")), "operand 1 must be number but got string");
        assertTypeError(() -> sign(with(req, "headers", s("h")), SUITE, SUITE_TIME),
                "operand 0 must be object but got string");
    }

    @Test
    void configErrors() {
        Value req = request("GET", "https://x/");
        assertTypeError(() -> sign(req, ObjectValue.of(s("aws_service"), s("s3")), SUITE_TIME),
                "operand 2 missing required AWS config parameters(s): "
                        + "{\"aws_access_key\", \"aws_region\", \"aws_secret_access_key\"}");
        assertTypeError(() -> sign(req, with(SUITE, "aws_region", NumberValue.of(5)), SUITE_TIME),
                "operand 2 invalid values for required AWS config parameters(s): {\"aws_region\"}");
        assertTypeError(() -> sign(req, with(SUITE, "disable_payload_signing", s("false")), SUITE_TIME),
                "operand 2 invalid value for 'disable_payload_signing' in AWS config");
        // a non-string session token is ignored, like a missing one
        assertThat(sign(req, with(SUITE, "aws_session_token", NumberValue.of(3)), SUITE_TIME))
                .isEqualTo(sign(req, SUITE, SUITE_TIME));
    }

    @Test
    void requestErrors() {
        assertTypeError(() -> sign(ObjectValue.EMPTY, SUITE, SUITE_TIME),
                "operand 1 missing required request parameters(s): {\"method\", \"url\"}");
        assertTypeError(() -> sign(ObjectValue.of(s("url"), s("u")), SUITE, SUITE_TIME),
                "operand 1 missing required request parameters(s): {\"method\"}");
        assertTypeError(() -> sign(with(request("GET", "https://x/"), "bogus", s("1")), SUITE, SUITE_TIME),
                "operand 1 invalid request parameters(s): {\"bogus\"}");
        assertTypeError(() -> sign(ObjectValue.of(s("method"), SetValue.EMPTY, s("url"), SetValue.EMPTY), SUITE,
                SUITE_TIME), "operand 1 invalid values for required request parameters(s): {\"method\", \"url\"}");
        assertTypeError(() -> sign(ObjectValue.of(s("method"), s("GET"), s("url"), NumberValue.of(1)), SUITE,
                SUITE_TIME), "operand 1 invalid values for required request parameters(s): {\"url\"}");
    }

    @Test
    void timestampMustBeAnInt64WrittenAsAnInteger() {
        Value req = request("GET", "https://x/");
        String msg = "operand 3 could not convert time_ns value into a unix timestamp";
        assertTypeError(() -> sign(req, SUITE, NumberValue.parse("-1e9")), msg);
        assertTypeError(() -> sign(req, SUITE, NumberValue.parse("1.5")), msg);
        assertTypeError(() -> sign(req, SUITE, NumberValue.parse("9223372036854775808")), msg);
        // computed integers and times before 1970 are fine
        Value before = sign(req, SUITE, NumberValue.of(-1_000_000_000L));
        assertThat(headers(before).get("x-amz-date")).isEqualTo(s("19691231T235959Z"));
        assertThat(headers(sign(req, SUITE, NumberValue.parse("1440938160000000000"))).get("x-amz-date"))
                .isEqualTo(s("20150830T123600Z"));
    }

    private static void assertTypeError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String reason) {
        assertThatThrownBy(call).isInstanceOf(RegoTypeError.class)
                .hasMessage("providers.aws.sign_req: " + reason);
    }
}
