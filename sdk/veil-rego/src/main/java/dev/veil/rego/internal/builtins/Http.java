package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * {@code http.send} without the network. Veil's engine runs inside the model server and never connects
 * anywhere, so {@code http.send} only exists so that policies written for OPA compile, can be tested by
 * replacing it ({@code with http.send as mock}), and fail clearly otherwise. It checks the request as
 * OPA does (an object, only OPA's request keys, {@code method} and {@code url} present, a boolean
 * {@code raise_error}) with OPA's errors, then fails with a builtin error saying that network access is
 * disabled; with {@code raise_error: false} it returns OPA's error response instead
 * ({@code {"status_code": 0, "error": {"code": ..., "message": ...}}}). It never opens a connection.
 */
public final class Http {
    /** The error message of every request that passes validation. */
    public static final String NETWORK_DISABLED = "network access is disabled in Veil: policies run inside the model "
            + "server and never make network calls (replace http.send in tests with 'with http.send as ...', "
            + "put the data a policy needs in its bundle)";

    private static final Set<String> ALLOWED = Set.of("method", "url", "body", "enable_redirect",
            "force_json_decode", "force_yaml_decode", "headers", "raw_body", "tls_use_system_certs", "tls_ca_cert",
            "tls_ca_cert_file", "tls_ca_cert_env_variable", "tls_client_cert", "tls_client_cert_file",
            "tls_client_cert_env_variable", "tls_client_key", "tls_client_key_file", "tls_client_key_env_variable",
            "tls_insecure_skip_verify", "tls_server_name", "timeout", "cache", "force_cache",
            "force_cache_duration_seconds", "raise_error", "caching_mode", "max_retry_attempts");
    private static final List<String> REQUIRED = List.of("method", "url");

    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(Builtin.of("http.send", 1, (a, c) -> send(a[0])));

    private Http() {
    }

    static Value send(Value request) {
        ObjectValue req = Operands.object("http.send", request, 1);
        boolean raise = true;
        Value re = req.get(StringValue.of("raise_error"));
        if (re != null) {
            if (!(re instanceof BooleanValue b)) {
                throw new BuiltinError("http.send", "invalid value for raise_error field");
            }
            raise = b.value();
        }
        String invalid = invalidKeys(req);
        if (invalid != null) {
            if (raise) {
                throw new RegoTypeError("http.send", invalid);
            }
            return errorResponse("eval_http_send_internal_error", "http.send: " + invalid);
        }
        if (raise) {
            throw new BuiltinError("http.send", NETWORK_DISABLED);
        }
        return errorResponse("eval_http_send_network_error", "http.send: " + NETWORK_DISABLED);
    }

    /** OPA's operand error for unknown or missing request keys, or null when the keys are fine. */
    private static String invalidKeys(ObjectValue req) {
        SetValue.Builder bad = SetValue.builder();
        int nBad = 0;
        for (Value k : req.keys()) {
            if (!(k instanceof StringValue s) || !ALLOWED.contains(s.value())) {
                bad.add(k);
                nBad++;
            }
        }
        if (nBad > 0) {
            return "operand 1 invalid request parameters(s): " + setString(bad.build());
        }
        SetValue.Builder missing = SetValue.builder();
        int nMissing = 0;
        for (String k : REQUIRED) {
            if (req.get(StringValue.of(k)) == null) {
                missing.add(StringValue.of(k));
                nMissing++;
            }
        }
        return nMissing > 0 ? "operand 1 missing required request parameters(s): " + setString(missing.build()) : null;
    }

    /** A set as OPA prints it: {@code {"a", "b"}}, sorted. */
    private static String setString(SetValue s) {
        StringJoiner j = new StringJoiner(", ", "{", "}");
        for (Value v : s.elements()) {
            j.add(v.toString());
        }
        return j.toString();
    }

    private static Value errorResponse(String code, String message) {
        ObjectValue.Builder err = ObjectValue.builder();
        err.put("code", StringValue.of(code));
        err.put("message", StringValue.of(message));
        ObjectValue.Builder b = ObjectValue.builder();
        b.put("status_code", NumberValue.of(0));
        b.put("error", err.build());
        return b.build();
    }
}
