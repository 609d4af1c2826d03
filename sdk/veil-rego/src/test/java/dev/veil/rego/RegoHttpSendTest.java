package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code http.send}: OPA's request validation and errors, then a clear error instead of any network call;
 * replaceable with {@code with} for tests.
 */
class RegoHttpSendTest {

    private static final Rego STRICT = Rego.compile(Map.of("p.rego", "package q\n"), Map.of())
            .strictBuiltinErrors(true);

    private static RegoError error(String query) {
        RegoException e = (RegoException) catchThrowable(() -> STRICT.query(query, null));
        assertThat(e).as("the query should fail").isNotNull();
        return e.errors().get(0);
    }

    @Test
    void unknownKeysAreATypeError() {
        RegoError e = error("http.send({\"bad_key\": 1, \"other\": 2, \"method\": \"get\", \"url\": \"http://x\"}, r)");
        assertThat(e.code()).isEqualTo("eval_type_error");
        assertThat(e.message()).isEqualTo(
                "http.send: operand 1 invalid request parameters(s): {\"bad_key\", \"other\"}");
    }

    @Test
    void missingKeysAreATypeError() {
        RegoError e = error("http.send({\"method\": \"get\"}, r)");
        assertThat(e.code()).isEqualTo("eval_type_error");
        assertThat(e.message()).isEqualTo("http.send: operand 1 missing required request parameters(s): {\"url\"}");
    }

    @Test
    void requestMustBeAnObject() {
        RegoError e = error("http.send(\"http://x\", r)");
        assertThat(e.code()).isEqualTo("eval_type_error");
        assertThat(e.message()).isEqualTo("http.send: operand 1 must be object but got string");
    }

    @Test
    void raiseErrorMustBeABoolean() {
        RegoError e = error("http.send({\"method\": \"get\", \"url\": \"http://x\", \"raise_error\": \"no\"}, r)");
        assertThat(e.code()).isEqualTo("eval_builtin_error");
        assertThat(e.message()).isEqualTo("http.send: invalid value for raise_error field");
    }

    @Test
    void validRequestFailsWithoutConnecting() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(300);
            String url = "http://127.0.0.1:" + server.getLocalPort() + "/";
            RegoError e = error("http.send({\"method\": \"get\", \"url\": \"" + url + "\"}, r)");
            assertThat(e.code()).isEqualTo("eval_builtin_error");
            assertThat(e.message()).isEqualTo("http.send: network access is disabled in Veil: policies run inside "
                    + "the model server and never make network calls (replace http.send in tests with 'with "
                    + "http.send as ...', put the data a policy needs in its bundle)");
            Throwable accepted = catchThrowable(() -> server.accept().close());
            assertThat(accepted).as("http.send must never connect").isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void notStrictTheCallIsUndefined() {
        Rego lax = Rego.compile(Map.of("p.rego", "package q\n\nr := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n"),
                Map.of());
        assertThat(lax.evaluate("data.q.r", null)).isNull();
    }

    @Test
    void raiseErrorFalseReturnsOpasErrorResponse() {
        List<Map<String, Object>> r = STRICT.query(
                "http.send({\"method\": \"get\", \"url\": \"http://x\", \"raise_error\": false}, r)", null);
        assertThat(r).hasSize(1);
        assertThat(r.get(0).get("r")).isEqualTo(Map.of("status_code", 0L, "error", Map.of(
                "code", "eval_http_send_network_error",
                "message", "http.send: " + dev.veil.rego.internal.builtins.Http.NETWORK_DISABLED)));
    }

    @Test
    void canBeReplacedWithWith() {
        Rego r = Rego.compile(Map.of("p.rego", """
                package q

                mock(req) := {"status_code": 200, "body": {"ok": req.url}}

                allow if http.send({"method": "GET", "url": "http://policy"}).body.ok == "http://policy"

                test_allow if allow with http.send as mock
                """), Map.of());
        assertThat(r.evaluate("data.q.test_allow", null)).isEqualTo(true);
        assertThat(r.evaluate("data.q.allow", null)).isNull();
    }
}
