package dev.veil.conformance.loan;

import dev.veil.Prediction;
import java.util.List;
import java.util.Map;

/** The quickstart's loan model (examples/quickstart): a small softmax scorer over three named features. */
final class LoanModel {
    static final List<String> LABELS = List.of("approve", "review", "decline");

    Prediction predict(Map<String, Double> application) {
        double income = application.get("income");
        double loan = application.get("loan_amount");
        double age = application.get("age");
        double ratio = loan / Math.max(1.0, income);
        double[] logits = {
            3.0 - 0.6 * ratio + 0.01 * (age - 40),
            0.5 - 0.1 * Math.abs(ratio - 3),
            -1.5 + 0.8 * ratio
        };
        double max = Math.max(logits[0], Math.max(logits[1], logits[2]));
        double sum = 0;
        double[] p = new double[3];
        for (int i = 0; i < 3; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < 3; i++) {
            p[i] /= sum;
        }
        return Prediction.classification(LABELS, p);
    }
}
