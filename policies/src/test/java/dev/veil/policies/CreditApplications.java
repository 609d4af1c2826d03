package dev.veil.policies;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Loan applications for the tabular-credit bundle, and the features and ranges it declares. */
final class CreditApplications {
    /** A required feature and its allowed range. */
    record Feature(String name, double min, double max, boolean required) {}

    static final List<Feature> FEATURES = List.of(
            new Feature("income", 0, 5_000_000, true),
            new Feature("loan_amount", 1000, 2_000_000, true),
            new Feature("loan_term_months", 6, 360, true),
            new Feature("age", 18, 100, true),
            new Feature("years_employed", 0, 70, true),
            new Feature("debt_ratio", 0, 1.5, true),
            new Feature("credit_history_years", 0, 84, true),
            new Feature("open_credit_lines", 0, 60, true),
            new Feature("co_applicant_income", 0, 5_000_000, false));

    static final List<String> REQUIRED = FEATURES.stream().filter(Feature::required).map(Feature::name).toList();

    private CreditApplications() {}

    /** A typical application that every rule accepts. */
    static Map<String, Double> typical() {
        Map<String, Double> a = new LinkedHashMap<>();
        a.put("income", 60_000.0);
        a.put("loan_amount", 250_000.0);
        a.put("loan_term_months", 300.0);
        a.put("age", 40.0);
        a.put("years_employed", 15.0);
        a.put("debt_ratio", 0.3);
        a.put("credit_history_years", 20.0);
        a.put("open_credit_lines", 4.0);
        return a;
    }

    /** {@link #typical()} with some values replaced ({@code null} removes the feature). */
    static Map<String, Double> typicalWith(Object... nameValue) {
        Map<String, Double> a = typical();
        for (int i = 0; i < nameValue.length; i += 2) {
            String name = (String) nameValue[i];
            Object v = nameValue[i + 1];
            if (v == null) {
                a.remove(name);
            } else {
                a.put(name, ((Number) v).doubleValue());
            }
        }
        return a;
    }
}
