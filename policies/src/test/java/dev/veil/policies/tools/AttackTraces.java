package dev.veil.policies.tools;

import dev.veil.policies.SoftmaxRegression;
import java.util.Locale;

/** What the attack trace tools share: the attacker's starting image and the trace's line format. */
final class AttackTraces {
    private AttackTraces() {}

    /** The first t-shirt among the first 2,000 test images that the model gets right. */
    static double[] firstTShirt(SoftmaxRegression model) {
        double[][] test = FashionMnist.testImages(2000);
        int[] labels = FashionMnist.testLabels(2000);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == 0 && model.predict(test[i]).topIndex() == 0) {
                return test[i];
            }
        }
        throw new IllegalStateException("no t-shirt among the first 2,000 test images that the model gets right");
    }

    /** One line of a replay trace: an analyst's query (pixels to 5 decimals) with the model's raw scores. */
    static String line(String caller, long tsMs, double[] pixels, double[] scores) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"caller\":\"").append(caller).append("\",\"tenant\":\"acme\",\"roles\":[\"analyst\"],\"ts_ms\":").append(tsMs)
                .append(",\"features\":[");
        for (int i = 0; i < pixels.length; i++) {
            sb.append(i > 0 ? "," : "").append(String.format(Locale.ROOT, "%.5f", pixels[i]));
        }
        sb.append("],\"scores\":[");
        for (int i = 0; i < scores.length; i++) {
            sb.append(i > 0 ? "," : "").append(scores[i]);
        }
        return sb.append("]}").toString();
    }
}
