package org.tiaoyu.qformer.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.config.TextConfig;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.qformer.QueryTransformer;
import org.tiaoyu.qformer.lm.ImageTokens;
import org.tiaoyu.qformer.lm.LanguageProjection;
import org.tiaoyu.qformer.lm.generate.DecodingSession;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.VisionAttention.QkvBias;

/**
 * Greedy generation through a whole BLIP-2 shaped model with random weights: images through the ViT, the Q-Former
 * and {@code language_projection} (the "image" part), the language model's prompt (prefill: OPT's whole prompt;
 * T5's encoder and the first decoder step), then one cached step per further token. The loop is driven here with
 * argmax and never stops at EOS, so every run makes exactly {@code newTokens} tokens per row (random weights may pick
 * EOS at any step). One run is one {@link BenchRunner} unit: a single arena around the whole generation.
 */
public final class GenerateBench {

    /** Which language model sits behind the Q-Former. */
    public enum Lm { OPT, T5 }

    /**
     * The model's shape. {@link #real(Lm)} is ViT-L/14 at 224 px, BLIP-2's Q-Former (32 queries) and OPT-125m or
     * Flan-T5-small; {@link #tiny(Lm)} runs in well under a second.
     */
    public record Shape(String name, VisionConfig vision, QFormerConfig qformer, int queries, TextConfig text) {

        public static Shape real(Lm lm) {
            return new Shape(lm == Lm.OPT ? "vit-l-14+qformer+opt-125m" : "vit-l-14+qformer+flan-t5-small",
                    VisionBench.Shape.VIT_L_14.config, QFormerConfig.bertBase(), 32,
                    lm == Lm.OPT ? OptConfig.opt125m() : T5Config.flanT5Small());
        }

        public static Shape tiny(Lm lm) {
            VisionConfig vision = new VisionConfig(32, 64, 1, 2, 28, 14, 1e-5, Activation.QUICK_GELU, true, 0.0, 3);
            QFormerConfig qformer = new QFormerConfig(100, 32, 2, 2, 64, Activation.GELU, 0.1, 0.1, 512, 0.02,
                    1e-12, 0, 2, 32, false);
            TextConfig text = lm == Lm.OPT
                    ? new OptConfig(96, 32, 2, 64, 2, 2048, true, 32, Activation.RELU, 0.1, 0.0, true, true, false,
                            1, 2, 2, true)
                    : new T5Config(96, 32, 8, 64, 2, 2, 4, 32, 128, 0.1, 1e-6,
                            T5Config.FeedForwardProj.parse("gated-gelu"), false, false, 0, 1, 0);
            return new Shape("tiny-" + lm.name().toLowerCase(), vision, qformer, 4, text);
        }

        Blip2Config blip2() {
            // The image token is the last id; prompt text ids are drawn below it.
            return new Blip2Config(vision, qformer, text, queries, OptionalInt.of(text.vocabSize() - 1), 256,
                    List.of("Blip2ForConditionalGeneration"), 0.02, 1.0);
        }
    }

    /** Timings of one generation, ms: the image part, the prompt, and each cached step (tokens 2..N). */
    private record Run(double imageMs, double prefillMs, double[] stepMs) {}

    private GenerateBench() {}

    public static BenchResult run(Shape shape, int batch, int promptTokens, int newTokens, int warmup, int steps) {
        if (batch < 1 || promptTokens < 0 || newTokens < 2) {
            throw new IllegalArgumentException("need batch >= 1, prompt tokens >= 0 and new tokens >= 2, got "
                    + batch + ", " + promptTokens + " and " + newTokens);
        }
        Nd4j.getRandom().setSeed(0);
        Blip2Config config = shape.blip2();
        Blip2VisionTower vision = randomFrozen(new Blip2VisionTower(config.vision(), QkvBias.FUSED, DataType.FLOAT));
        QueryTransformer queries = randomFrozen(new QueryTransformer(config, DataType.FLOAT));
        Linear projection = randomFrozen(LanguageProjection.create(config, DataType.FLOAT));
        Module lm = randomFrozen(config.text() instanceof OptConfig opt
                ? new OptForCausalLm(opt, DataType.FLOAT)
                : new T5ForConditionalGeneration((T5Config) config.text(), DataType.FLOAT));

        int s = config.vision().imageSize();
        INDArray pixels = Nd4j.randn(DataType.FLOAT, batch, 3, s, s);
        long imageToken = config.imageTokenIndex().getAsInt();
        INDArray ids = promptIds(batch, shape.queries(), promptTokens, imageToken);
        INDArray mask = Nd4j.ones(DataType.INT64, ids.shape());

        List<Run> runs = new ArrayList<>();
        BenchResult timed = BenchRunner.run("generate", warmup, steps, 0.0, () -> {
            try (var noGrad = Grad.off()) {
                long t0 = System.nanoTime();
                Tensor projected = projection.forward(queries.forward(
                        vision.encode(Tensor.constant(pixels)).lastHiddenState()).lastHiddenState()); // [B, Q, E]
                Tensor embeds = ImageTokens.scatter(embed(lm, ids), projected, ids, imageToken);  // [B, Q+P, E]
                long t1 = System.nanoTime();
                try (DecodingSession session = lm instanceof OptForCausalLm opt
                        ? opt.startDecoding(ids, embeds, mask)
                        : ((T5ForConditionalGeneration) lm).startDecoding(embeds, mask)) {
                    long[] next = argmax(session.prefill());
                    long t2 = System.nanoTime();
                    double[] stepMs = new double[newTokens - 1];
                    for (int i = 0; i < stepMs.length; i++) {
                        long start = System.nanoTime();
                        try (var step = Arena.open("decode-step")) {      // as Generator runs a step
                            next = argmax(session.step(next));         // never stops at EOS: exactly N tokens
                        }
                        stepMs[i] = (System.nanoTime() - start) / 1e6;
                    }
                    runs.add(new Run((t1 - t0) / 1e6, (t2 - t1) / 1e6, stepMs));
                }
            }
        }, Map.of());
        List<Run> measured = runs.subList(warmup, runs.size());

        double image = median(measured.stream().mapToDouble(Run::imageMs).toArray());
        double prefill = median(measured.stream().mapToDouble(Run::prefillMs).toArray());
        double[] perPosition = new double[newTokens - 1];                // median over runs, token 2..N
        for (int i = 0; i < perPosition.length; i++) {
            int k = i;
            perPosition[i] = median(measured.stream().mapToDouble(r -> r.stepMs()[k]).toArray());
        }
        double stepTotal = Arrays.stream(perPosition).sum();
        int ends = Math.min(5, perPosition.length);
        double first = Arrays.stream(perPosition, 0, ends).average().orElse(Double.NaN);
        double last = Arrays.stream(perPosition, perPosition.length - ends, perPosition.length).average()
                .orElse(Double.NaN);

        Map<String, Object> details = new LinkedHashMap<>();
        details.put("shape", shape.name());
        details.put("batch", batch);
        details.put("prompt_tokens", promptTokens);
        details.put("prefix_tokens", ids.size(1));
        details.put("new_tokens", newTokens);
        details.put("image_ms", round(image));
        details.put("prefill_ms", round(prefill));
        details.put("step_median_ms", round(median(perPosition)));
        details.put("step_first5_ms", round(first));
        details.put("step_last5_ms", round(last));
        details.put("step_growth", round(last / first));
        details.put("decode_ms", round(prefill + stepTotal));
        details.put("tokens_per_s", round(batch * (double) newTokens / ((prefill + stepTotal) / 1000)));
        details.put("step_tokens_per_s", round(batch / (median(perPosition) / 1000)));
        details.put("step_ms", Arrays.stream(perPosition).map(GenerateBench::round).toArray());
        details.put("parameters", vision.parameterCount() + queries.parameterCount() + projection.parameterCount()
                + lm.parameterCount());
        details.put("lm_parameters", lm.parameterCount());
        return new BenchResult(timed.name(), timed.millis(), timed.flopsPerUnit(), timed.peakRssMb(),
                timed.endRssMb(), details);
    }

    /** Scaled normal weights, as {@link VisionBench}: std 1/√fan-in for matrices, 0.02 for vectors. */
    private static <M extends Module> M randomFrozen(M module) {
        module.namedParameters().values().forEach(p -> p.data().assign(Nd4j.randn(DataType.FLOAT, p.shape())
                .muli(p.rank() == 1 ? 0.02 : 1.0 / Math.sqrt(p.size(-1)))));
        module.freeze();
        return module;
    }

    /** [B, Q + P]: Q image tokens, then P random text ids below the image token. */
    private static INDArray promptIds(int batch, int queries, int promptTokens, long imageToken) {
        long[][] ids = new long[batch][queries + promptTokens];
        SplittableRandom random = new SplittableRandom(0);
        for (long[] row : ids) {
            Arrays.fill(row, 0, queries, imageToken);
            for (int j = queries; j < row.length; j++) {
                row[j] = 3 + random.nextLong(imageToken - 3);
            }
        }
        return Nd4j.createFromArray(ids);
    }

    private static Tensor embed(Module lm, INDArray ids) {
        return lm instanceof OptForCausalLm opt ? opt.embed(ids) : ((T5ForConditionalGeneration) lm).embed(ids);
    }

    /** The first index of each row's largest score (greedy decoding). */
    private static long[] argmax(INDArray logits) {
        float[][] scores = logits.toFloatMatrix();
        long[] next = new long[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int best = 0;
            for (int j = 1; j < scores[i].length; j++) {
                if (scores[i][j] > scores[i][best]) {
                    best = j;
                }
            }
            next[i] = best;
        }
        return next;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
