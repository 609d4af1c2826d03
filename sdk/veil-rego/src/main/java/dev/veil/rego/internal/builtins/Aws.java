package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code providers.aws.sign_req(request, aws_config, time_ns)}: signs an {@code http.send}-style
 * request object with AWS Signature Version 4 as OPA does, returning the request with its
 * {@code headers} replaced by the request's headers plus {@code Authorization}, {@code host},
 * {@code x-amz-date}, {@code x-amz-content-sha256} (services {@code s3} and {@code glacier}) and
 * {@code x-amz-security-token} (with a session token). The checks run in OPA's order and fail with
 * OPA's messages, including its quirks (the config and timestamp type errors name operand 1, a
 * non-object {@code headers} names operand 0).
 */
public final class Aws {

    static final String NAME = "providers.aws.sign_req";

    private static final HexFormat HEX = HexFormat.of();

    /** Headers a proxy may change on the way to AWS; never signed (as OPA and the AWS SDK). */
    private static final Set<String> IGNORED_HEADERS = Set.of("authorization", "user-agent", "x-amzn-trace-id");

    private static final SetValue REQUIRED_CONFIG = SetValue.of(StringValue.of("aws_service"),
            StringValue.of("aws_access_key"), StringValue.of("aws_secret_access_key"), StringValue.of("aws_region"));

    private static final SetValue REQUIRED_REQUEST = SetValue.of(StringValue.of("method"), StringValue.of("url"));

    /** The request keys {@code http.send} accepts; sign_req refuses others the same way. */
    private static final SetValue ALLOWED_REQUEST = SetValue.of(List.of("method", "url", "body", "enable_redirect",
            "force_json_decode", "force_yaml_decode", "headers", "raw_body", "tls_use_system_certs", "tls_ca_cert",
            "tls_ca_cert_file", "tls_ca_cert_env_variable", "tls_client_cert", "tls_client_cert_file",
            "tls_client_cert_env_variable", "tls_client_key", "tls_client_key_file", "tls_client_key_env_variable",
            "tls_insecure_skip_verify", "tls_server_name", "timeout", "cache", "force_cache",
            "force_cache_duration_seconds", "raise_error", "caching_mode", "max_retry_attempts",
            "cache_ignored_headers").stream().map(StringValue::of).toList());

    private static final StringValue URL = StringValue.of("url");
    private static final StringValue METHOD = StringValue.of("method");
    private static final StringValue HEADERS = StringValue.of("headers");

    /** Every providers.aws builtin. */
    public static final List<Builtin> ALL = List.of(Builtin.of(NAME, 3, (a, c) -> signReq(a[0], a[1], a[2])));

    private Aws() {
    }

    static Value signReq(Value request, Value config, Value timeNs) {
        if (!(request instanceof ObjectValue req)) {
            throw type(RegoTypeError.operand(1, request, "object"));
        }
        if (!(config instanceof ObjectValue conf)) {
            throw type(RegoTypeError.operand(1, config, "object")); // sic: OPA names operand 1
        }
        validateConfig(conf);
        if (!(timeNs instanceof NumberValue ts)) {
            throw type(RegoTypeError.operand(1, timeNs, "number")); // sic
        }
        long nanos = int64(ts);
        validateRequest(req);

        Value headersTerm = req.get(HEADERS);
        ObjectValue headers = ObjectValue.EMPTY;
        if (headersTerm != null) {
            if (!(headersTerm instanceof ObjectValue h)) {
                throw type(RegoTypeError.operand(0, headersTerm, "object")); // sic: OPA names operand 0
            }
            headers = h;
        }
        SetValue.Builder invalid = SetValue.builder();
        if (!(req.get(URL) instanceof StringValue)) {
            invalid.add(URL);
        }
        if (!(req.get(METHOD) instanceof StringValue)) {
            invalid.add(METHOD);
        }
        if (invalid.size() > 0) {
            throw type(RegoTypeError.operandDetail(1, "invalid values for required request parameters(s): "
                    + invalid.build()));
        }
        GoUrl url;
        try {
            url = GoUrl.parse(string(req.get(URL)));
        } catch (GoUrl.ParseException e) {
            throw new BuiltinError(NAME, e.getMessage());
        }
        String method = string(req.get(METHOD));
        byte[] body = body(req.get(StringValue.of("body")), req.get(StringValue.of("raw_body")));

        Map<String, String> headerMap = new LinkedHashMap<>();
        for (Value k : headers.keys()) {
            headerMap.put(string(k), string(headers.get(k)));
        }

        boolean disablePayloadSigning = false;
        Value dps = conf.get(StringValue.of("disable_payload_signing"));
        if (dps != null) {
            if (!(dps instanceof BooleanValue b)) {
                throw type(RegoTypeError.operandDetail(2, "invalid value for 'disable_payload_signing' in AWS config"));
            }
            disablePayloadSigning = b.value();
        }

        Credentials creds = new Credentials(string(conf.get(StringValue.of("aws_access_key"))),
                string(conf.get(StringValue.of("aws_secret_access_key"))),
                string(conf.get(StringValue.of("aws_region"))),
                string(conf.get(StringValue.of("aws_session_token"))));
        String service = string(conf.get(StringValue.of("aws_service")));
        Signed signed = signV4(headerMap, method, url, body, service, creds, nanos, disablePayloadSigning);

        ObjectValue.Builder out = ObjectValue.builder();
        for (Map.Entry<String, String> e : headerMap.entrySet()) {
            out.put(e.getKey(), StringValue.of(e.getValue()));
        }
        out.put("Authorization", StringValue.of(signed.authorization()));
        for (Map.Entry<String, String> e : signed.awsHeaders().entrySet()) {
            out.put(e.getKey(), StringValue.of(e.getValue()));
        }
        ObjectValue.Builder result = ObjectValue.builder();
        req.forEach(result::put);
        result.put(HEADERS, out.build());
        return result.build();
    }

    /** AWS credentials as read from the config object (missing or non-string fields are empty). */
    record Credentials(String accessKey, String secretKey, String region, String sessionToken) {
        @Override
        public String toString() {
            return "Credentials[accessKey=" + accessKey + ", region=" + region + ", secrets hidden]";
        }
    }

    /** The {@code Authorization} header and the headers signing adds. */
    record Signed(String authorization, Map<String, String> awsHeaders) {
    }

    /**
     * AWS Signature Version 4 over {@code headers} (request headers, any case), as OPA's
     * {@code aws.SignV4}: the request's headers are signed under lower-case names except
     * {@code authorization}, {@code user-agent} and {@code x-amzn-trace-id}, and override the added
     * headers of the same name in the canonical request.
     */
    static Signed signV4(Map<String, String> headers, String method, GoUrl url, byte[] body, String service,
            Credentials creds, long nanos, boolean disablePayloadSigning) {
        String contentSha256 = disablePayloadSigning ? "UNSIGNED-PAYLOAD" : HEX.formatHex(Crypto.digest("SHA-256",
                body));
        LocalDateTime now = LocalDateTime.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L),
                (int) Math.floorMod(nanos, 1_000_000_000L), ZoneOffset.UTC);
        String date = String.format(Locale.ROOT, "%04d%02d%02d", now.getYear(), now.getMonthValue(),
                now.getDayOfMonth());
        String dateTime = date + String.format(Locale.ROOT, "T%02d%02d%02dZ", now.getHour(), now.getMinute(),
                now.getSecond());

        Map<String, String> awsHeaders = new TreeMap<>();
        awsHeaders.put("host", url.host());
        awsHeaders.put("x-amz-date", dateTime);
        if (service.equals("s3") || service.equals("glacier")) {
            awsHeaders.put("x-amz-content-sha256", contentSha256);
        }
        if (!creds.sessionToken().isEmpty()) {
            awsHeaders.put("x-amz-security-token", creds.sessionToken());
        }
        // Sorted by bytes, as Go's sort.Strings: code point order is the same order for UTF-8.
        TreeMap<String, String> toSign = new TreeMap<>(StringValue::compareCodePoints);
        toSign.putAll(awsHeaders);
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String lower = e.getKey().toLowerCase(Locale.ROOT);
            if (!IGNORED_HEADERS.contains(lower)) {
                toSign.put(lower, e.getValue());
            }
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append(method).append('\n').append(url.escapedPath()).append('\n').append(url.rawQuery())
                .append('\n');
        for (Map.Entry<String, String> e : toSign.entrySet()) {
            canonical.append(e.getKey()).append(':').append(e.getValue()).append('\n');
        }
        canonical.append('\n');
        String signedHeaders = String.join(";", toSign.keySet());
        canonical.append(signedHeaders).append('\n').append(contentSha256);

        String scope = date + "/" + creds.region() + "/" + service + "/aws4_request";
        String stringToSign = "AWS4-HMAC-SHA256\n" + dateTime + "\n" + scope + "\n"
                + HEX.formatHex(Crypto.digest("SHA-256", canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + creds.secretKey()).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, creds.region());
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String signature = HEX.formatHex(hmac(key, stringToSign));
        String authorization = "AWS4-HMAC-SHA256 Credential=" + creds.accessKey() + "/" + scope + ",SignedHeaders="
                + signedHeaders + ",Signature=" + signature;
        return new Signed(authorization, awsHeaders);
    }

    private static byte[] hmac(byte[] key, String message) {
        return Crypto.mac("HmacSHA256", key, message.getBytes(StandardCharsets.UTF_8));
    }

    private static void validateConfig(ObjectValue conf) {
        SetValue missing = REQUIRED_CONFIG.difference(SetValue.of(conf.keys()));
        if (!missing.isEmpty()) {
            throw type(RegoTypeError.operandDetail(2, "missing required AWS config parameters(s): " + missing));
        }
        SetValue.Builder invalid = SetValue.builder();
        for (Value k : REQUIRED_CONFIG.elements()) {
            if (!(conf.get(k) instanceof StringValue)) {
                invalid.add(k);
            }
        }
        if (invalid.size() > 0) {
            throw type(RegoTypeError.operandDetail(2, "invalid values for required AWS config parameters(s): "
                    + invalid.build()));
        }
    }

    private static void validateRequest(ObjectValue req) {
        SetValue keys = SetValue.of(req.keys());
        SetValue unknown = keys.difference(ALLOWED_REQUEST);
        if (!unknown.isEmpty()) {
            throw type(RegoTypeError.operandDetail(1, "invalid request parameters(s): " + unknown));
        }
        SetValue missing = REQUIRED_REQUEST.difference(keys);
        if (!missing.isEmpty()) {
            throw type(RegoTypeError.operandDetail(1, "missing required request parameters(s): " + missing));
        }
    }

    /**
     * The timestamp as Go's {@code json.Number.Int64()} reads it: a literal must be written as a
     * plain integer ({@code 1e9} is refused even though it is integral); a computed number must be an
     * integer within 64 bits.
     */
    private static long int64(NumberValue ts) {
        String text = ts.text();
        boolean ok;
        if (text != null) {
            ok = text.matches("[+-]?[0-9]+") && ts.isLong();
        } else {
            ok = ts.isLong();
        }
        if (!ok) {
            throw type(RegoTypeError.operandDetail(3, "could not convert time_ns value into a unix timestamp"));
        }
        return ts.longValueExact();
    }

    /** {@code raw_body} as UTF-8 when present (empty if not a string), else {@code body} as JSON, else empty. */
    private static byte[] body(Value body, Value rawBody) {
        if (rawBody != null) {
            return string(rawBody).getBytes(StandardCharsets.UTF_8);
        }
        if (body != null) {
            return Values.toJson(body).getBytes(StandardCharsets.UTF_8);
        }
        return new byte[0];
    }

    /** OPA's {@code stringFromTerm}: the string, or {@code ""} for anything else (or nothing). */
    private static String string(Value v) {
        return v instanceof StringValue s ? s.value() : "";
    }

    private static RegoTypeError type(RegoTypeError e) {
        return e.withBuiltin(NAME);
    }
}
