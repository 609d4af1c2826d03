package dev.veil;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link Guard#predict}: a released prediction or a denial, always with the id of
 * the audit record that describes it.
 */
public sealed interface Response permits Response.Released, Response.Denied {

    /**
     * The id of this decision. The audit log holds exactly one record with it, except for an
     * {@link ReasonCode#AUDIT_UNAVAILABLE} denial, which has none: its record could not be written
     * (the Guard is closed, or its audit log refuses records), so nothing was released.
     */
    String decisionId();

    boolean allowed();

    /**
     * A prediction was released.
     *
     * <p><b>What to pass on to an untrusted caller:</b> the prediction's {@code label},
     * {@code scores} and {@code value}, and the decision id. {@code degraded}, {@code alerts} and the
     * prediction's {@code applied} steps are for the service that hosts the Guard: they tell which
     * output rule answered, and output rules may test the raw prediction (its top score, margin or
     * entropy), so passing them on would tell an attacker, noise-free, which answers lie near a
     * decision boundary; and {@code degraded} or {@code alerts} would tell an attacker that
     * monitoring has flagged it.
     *
     * @param decisionId the decision id
     * @param prediction the minimised prediction
     * @param degraded true when monitoring, a stale model, a spent budget or a failure forced the
     *     most minimised release
     * @param alerts the monitoring rules that raised an alert for this request (the caller may log
     *     them; they are in the audit record too)
     */
    record Released(String decisionId, ReleasedPrediction prediction, boolean degraded, List<String> alerts)
            implements Response {
        public Released {
            Objects.requireNonNull(decisionId, "decisionId");
            Objects.requireNonNull(prediction, "prediction");
            alerts = List.copyOf(alerts);
        }

        @Override
        public boolean allowed() {
            return true;
        }
    }

    /**
     * The request was refused; the model was not called unless the refusal came after it
     * (model error, audit failure, spent budget with a deny policy). What of each reason to pass
     * on to an untrusted caller: {@link Reason}.
     *
     * @param decisionId the decision id
     * @param reasons why, never empty
     */
    record Denied(String decisionId, List<Reason> reasons) implements Response {
        public Denied {
            Objects.requireNonNull(decisionId, "decisionId");
            reasons = List.copyOf(reasons);
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a denial needs at least one reason");
            }
        }

        @Override
        public boolean allowed() {
            return false;
        }

        /** The first (deciding) reason. */
        public Reason reason() {
            return reasons.get(0);
        }
    }
}
