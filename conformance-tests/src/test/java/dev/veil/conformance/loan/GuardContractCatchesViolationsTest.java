package dev.veil.conformance.loan;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Credentials;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import dev.veil.conformance.FeatureSpace;
import dev.veil.conformance.GuardContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Each property of {@link GuardContract} fails on a Guard (or a fixture) that breaks it, with a message that says
 * what was broken: the contract's tests are tests that can fail.
 */
class GuardContractCatchesViolationsTest {

    /** A Guard whose responses are rewritten after the real Guard answered. */
    private static BrokenLoanContract rewriting(UnaryOperator<Response> rewrite) {
        return new BrokenLoanContract().breaking((real, counted, auditFile) -> new ForwardingGuard<>(real) {
            @Override
            public Response predict(Request<Map<String, Double>> request) {
                return rewrite.apply(delegate.predict(request));
            }
        });
    }

    /** A Guard that edits its audit file once it is closed. */
    private static BrokenLoanContract tamperingOnClose(UnaryOperator<List<String>> edit) {
        return new BrokenLoanContract().breaking((real, counted, auditFile) -> new ForwardingGuard<>(real) {
            @Override
            public void close() {
                delegate.close();
                try {
                    List<String> lines = Files.readAllLines(auditFile, StandardCharsets.UTF_8);
                    Files.write(auditFile, edit.apply(new ArrayList<>(lines)), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
    }

    private static Response released(Response.Released ok, String label, ReleasedPrediction.ScoredLabel... scores) {
        return new Response.Released(ok.decisionId(), new ReleasedPrediction(label, List.of(scores),
                OptionalDouble.empty(), List.of()), ok.degraded(), ok.alerts());
    }

    @Test
    void aGuardThatCallsTheModelForDeniedRequestsIsCaught() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().breaking((real, counted, auditFile) ->
                new ForwardingGuard<>(real) {
                    @Override
                    public Response predict(Request<Map<String, Double>> request) {
                        Response r = delegate.predict(request);
                        if (!r.allowed()) {
                            try {
                                counted.predictFunction().predict(request.input());
                            } catch (Exception ignored) {
                                // only the call matters
                            }
                        }
                        return r;
                    }
                });
        assertThatThrownBy(c::deniedRequestsNeverReachTheModel).isInstanceOf(AssertionError.class)
                .hasMessageContaining("was denied").hasMessageContaining("but the model was called 1 time(s)");
        assertThatThrownBy(c::concurrentRequestsGetExactlyOneAuditRecordEach).isInstanceOf(AssertionError.class)
                .hasMessageContaining("denied after the model, but the model was called");
    }

    @Test
    void aGuardAroundAnotherModelIsCaught() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().aroundAnotherModel();
        assertThatThrownBy(c::anAllowedCallerWithATypicalInputIsServed).isInstanceOf(AssertionError.class)
                .hasMessageContaining("released after 0 model call(s)")
                .hasMessageContaining("does newGuard wrap the model it is given?");
    }

    @Test
    void aGuardThatAuditsElsewhereIsCaught() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().auditingElsewhere();
        assertThatThrownBy(c::everyRequestGetsExactlyOneAuditRecordAndTheChainVerifies)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("newGuard must write the audit log to the auditFile it is given");
    }

    @Test
    void aMissingAuditRecordIsCaught() {
        GuardContract<Map<String, Double>> c = tamperingOnClose(lines -> lines.subList(0, lines.size() - 1));
        assertThatThrownBy(c::everyRequestGetsExactlyOneAuditRecordAndTheChainVerifies)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("audit record(s): exactly one record per request");
        assertThatThrownBy(c::concurrentRequestsGetExactlyOneAuditRecordEach).isInstanceOf(AssertionError.class)
                .hasMessageContaining("audit record(s): exactly one record per request");
    }

    @Test
    void anEditedAuditRecordIsCaught() {
        GuardContract<Map<String, Double>> c = tamperingOnClose(lines -> {
            lines.set(0, lines.get(0).replace("\"decision_id\":\"", "\"decision_id\":\"x"));
            return lines;
        });
        assertThatThrownBy(c::everyRequestGetsExactlyOneAuditRecordAndTheChainVerifies)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the audit log's hash chain is broken");
    }

    @Test
    void aDecisionIdThatIsNotInTheAuditLogIsCaught() {
        GuardContract<Map<String, Double>> c = rewriting(r -> r instanceof Response.Denied d
                ? new Response.Denied(UUID.randomUUID().toString(), d.reasons())
                : new Response.Released(UUID.randomUUID().toString(), ((Response.Released) r).prediction(), false,
                        List.of()));
        assertThatThrownBy(c::everyDecisionIdAppearsInTheAuditLogExactlyOnce).isInstanceOf(AssertionError.class)
                .hasMessageContaining("appears in 0 audit records, expected exactly 1");
    }

    @Test
    void aReusedDecisionIdIsCaught() {
        // each Guard (one per generated session) reuses its own first id; one id for all sessions made
        // a one-request session pass and the next fail as 'in 0 audit records' instead
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().breaking((real, counted, auditFile) ->
                new ForwardingGuard<>(real) {
                    private String first;

                    @Override
                    public Response predict(Request<Map<String, Double>> request) {
                        Response r = delegate.predict(request);
                        if (first == null) {
                            first = r.decisionId();
                            return r;
                        }
                        return r instanceof Response.Denied d ? new Response.Denied(first, d.reasons())
                                : new Response.Released(first, ((Response.Released) r).prediction(), false, List.of());
                    }
                });
        assertThatThrownBy(c::everyDecisionIdAppearsInTheAuditLogExactlyOnce).isInstanceOf(AssertionError.class)
                .hasMessageContaining("two responses share the decision id");
    }

    @Test
    void anAuditRecordThatDisagreesWithTheResponseIsCaught() {
        GuardContract<Map<String, Double>> c = rewriting(r -> r instanceof Response.Denied d
                ? new Response.Denied(d.decisionId(), List.of(Reason.of(ReasonCode.RATE_LIMITED, Stage.ACCESS, "",
                        "made up")))
                : r);
        assertThatThrownBy(c::everyDecisionIdAppearsInTheAuditLogExactlyOnce).isInstanceOf(AssertionError.class)
                .hasMessageContaining("but decision").hasMessageContaining("rate_limited");
    }

    @Test
    void aReleaseWithTooManyScoresIsCaught() {
        GuardContract<Map<String, Double>> c = rewriting(r -> r instanceof Response.Released ok
                ? released(ok, ok.prediction().label(), new ReleasedPrediction.ScoredLabel("approve", 0.5),
                        new ReleasedPrediction.ScoredLabel("review", 0.3),
                        new ReleasedPrediction.ScoredLabel("decline", 0.2))
                : r);
        assertThatThrownBy(c::releasedPredictionsNeverCarryMoreThanThePolicyAllows).isInstanceOf(AssertionError.class)
                .hasMessageContaining("3 scores, the policy allows at most 2");
    }

    @Test
    void anUnroundedScoreIsCaught() {
        GuardContract<Map<String, Double>> c = rewriting(r -> r instanceof Response.Released ok
                ? released(ok, ok.prediction().label(), new ReleasedPrediction.ScoredLabel(ok.prediction().label(),
                        0.8123))
                : r);
        assertThatThrownBy(c::releasedPredictionsNeverCarryMoreThanThePolicyAllows).isInstanceOf(AssertionError.class)
                .hasMessageContaining("0.8123 is not a multiple of the rounding step 0.05");
    }

    @Test
    void scoresOutOfOrderAreCaught() {
        GuardContract<Map<String, Double>> c = rewriting(r -> r instanceof Response.Released ok
                ? released(ok, ok.prediction().label(), new ReleasedPrediction.ScoredLabel("review", 0.1),
                        new ReleasedPrediction.ScoredLabel("approve", 0.85))
                : r);
        assertThatThrownBy(c::releasedPredictionsNeverCarryMoreThanThePolicyAllows).isInstanceOf(AssertionError.class)
                .hasMessageContaining("scores are not listed highest first");
    }

    @Test
    void anotherLabelThanTheModelsTopLabelIsCaught() {
        GuardContract<Map<String, Double>> c = rewriting(r -> r instanceof Response.Released ok
                ? released(ok, "approve".equals(ok.prediction().label()) ? "decline" : "approve")
                : r);
        assertThatThrownBy(c::releasedPredictionsNeverCarryMoreThanThePolicyAllows).isInstanceOf(AssertionError.class)
                .hasMessageContaining("is not the model's top label");
    }

    @Test
    void aGuardThatLetsGarbageCredentialsInIsCaught() {
        String analyst = LoanFixture.INSTANCE.analystKey;
        String intern = LoanFixture.INSTANCE.internKey;
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().breaking((real, counted, auditFile) ->
                new ForwardingGuard<>(real) {
                    @Override
                    public Response predict(Request<Map<String, Double>> request) {
                        boolean known = request.credentials() instanceof Credentials.ApiKey k
                                && (k.key().equals(analyst) || k.key().equals(intern));
                        return delegate.predict(known ? request
                                : Request.of(Credentials.apiKey(analyst), request.input()));
                    }
                });
        assertThatThrownBy(c::garbageCredentialsAreAlwaysDenied).isInstanceOf(AssertionError.class)
                .hasMessageContaining("must be refused as unauthenticated");
        assertThatThrownBy(c::deniedRequestsNeverReachTheModel).isInstanceOf(AssertionError.class)
                .hasMessageContaining("must be refused as unauthenticated");
    }

    @Test
    void aGuardThatRepairsNonFiniteInputsIsCaught() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().breaking((real, counted, auditFile) ->
                new ForwardingGuard<>(real) {
                    @Override
                    public Response predict(Request<Map<String, Double>> request) {
                        Map<String, Double> repaired = new LinkedHashMap<>();
                        request.input().forEach((k, v) ->
                                repaired.put(k, v == null || !Double.isFinite(v) ? 50_000.0 : v));
                        return delegate.predict(Request.of(request.credentials(), repaired));
                    }
                });
        assertThatThrownBy(c::nonFiniteInputsAreAlwaysDenied).isInstanceOf(AssertionError.class)
                .hasMessageContaining("must be refused as invalid_input");
    }

    @Test
    void aFixtureWhoseAllowedCallerIsRefusedIsReported() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract()
                .allowing(Credentials.apiKey(LoanFixture.INSTANCE.internKey));
        assertThatThrownBy(c::anAllowedCallerWithATypicalInputIsServed).isInstanceOf(AssertionError.class)
                .hasMessageContaining("allowedCredentials() with the middle of featureSpace()")
                .hasMessageContaining("forbidden");
    }

    @Test
    void aFixtureWhoseForbiddenCallerIsServedIsReported() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract()
                .forbidding(Credentials.apiKey(LoanFixture.INSTANCE.analystKey));
        assertThatThrownBy(c::theForbiddenCallerIsRefusedByTheAccessPolicy).isInstanceOf(AssertionError.class)
                .hasMessageContaining("forbiddenCredentials() must authenticate and be refused by the access policy");
    }

    @Test
    void aFeatureSpaceThePolicyRefusesIsReported() {
        GuardContract<Map<String, Double>> c = new BrokenLoanContract().inSpace(FeatureSpace.builder()
                .feature("income", 20_000, 30_000).feature("loan_amount", 0, 1000).feature("age", 130, 150).build());
        assertThatThrownBy(c::releasedPredictionsNeverCarryMoreThanThePolicyAllows).isInstanceOf(AssertionError.class)
                .hasMessageContaining("no generated valid request was released");
    }
}
