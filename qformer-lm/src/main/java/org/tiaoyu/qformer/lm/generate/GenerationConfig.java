package org.tiaoyu.qformer.lm.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * The decoding settings of HF's {@code GenerationConfig} that {@link Generator} honours, with HF's defaults and
 * meanings. Lengths count the prefix ({@link DecodingSession#prefix}): {@code maxNewTokens}, when set, wins over
 * {@code maxLength}. Build with {@link #builder()}; start from a model directory's {@code generation_config.json}
 * with {@link #fromModelDir}.
 *
 * @param maxNewTokens       new tokens at most, or -1 to use {@code maxLength}
 * @param maxLength          prefix + new tokens at most (HF default 20)
 * @param minNewTokens       EOS is suppressed until this many new tokens
 * @param minLength          EOS is suppressed until the sequence (prefix included) is this long
 * @param numBeams           1: greedy or sampling; more: beam search
 * @param lengthPenalty      beam scores are divided by (new tokens)^lengthPenalty
 * @param earlyStopping      beam search's stopping rule
 * @param numReturnSequences sequences returned per row (at most {@code numBeams} for beam search)
 * @param doSample           sample instead of taking the most likely token (not with beams)
 * @param temperature        sampling: logits are divided by it
 * @param topK               sampling: keep the k most likely tokens (0: all; HF default 50)
 * @param topP               sampling: keep the smallest set of tokens whose probability reaches p (1: all)
 * @param repetitionPenalty  logits of tokens already in the sequence are divided (positive) or multiplied
 *                           (negative) by it (1: off)
 * @param seed               sampling's random seed (the same seed gives the same samples)
 * @param outputLogits       greedy and sampling: keep every step's raw logits in the output (HF's
 *                           {@code output_logits}); off by default, as they take [rows, V] floats a step
 */
public record GenerationConfig(int maxNewTokens, int maxLength, int minNewTokens, int minLength, int numBeams,
        double lengthPenalty, EarlyStopping earlyStopping, int numReturnSequences, boolean doSample, double temperature,
        int topK, double topP, double repetitionPenalty, long seed, boolean outputLogits) {

    public GenerationConfig {
        if (maxNewTokens < 1 && maxNewTokens != -1) {
            throw new IllegalArgumentException("max_new_tokens must be positive, got " + maxNewTokens);
        }
        if (maxLength < 1) {
            throw new IllegalArgumentException("max_length must be positive, got " + maxLength);
        }
        if (minNewTokens < 0) {
            throw new IllegalArgumentException("min_new_tokens must not be negative, got " + minNewTokens);
        }
        if (minLength < 0) {
            throw new IllegalArgumentException("min_length must not be negative, got " + minLength);
        }
        if (!Double.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("length_penalty must be a finite number, got " + lengthPenalty);
        }
        if (numBeams < 1) {
            throw new IllegalArgumentException("num_beams must be positive, got " + numBeams);
        }
        if (numReturnSequences < 1) {
            throw new IllegalArgumentException("num_return_sequences must be positive, got " + numReturnSequences);
        }
        if (numBeams > 1 && numReturnSequences > numBeams) {
            throw new IllegalArgumentException("num_return_sequences " + numReturnSequences
                    + " is more than num_beams " + numBeams);
        }
        if (numBeams == 1 && !doSample && numReturnSequences > 1) {
            throw new IllegalArgumentException("greedy decoding returns one sequence per row; num_return_sequences "
                    + numReturnSequences + " needs beams or sampling");
        }
        if (doSample && numBeams > 1) {
            throw new IllegalArgumentException("sampling with beams (beam-sample) is not supported; use "
                    + "num_beams 1 with sampling, or beam search without");
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive finite number, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must not be negative, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a positive finite number, got "
                    + repetitionPenalty);
        }
        if (earlyStopping == null) {
            throw new IllegalArgumentException("early_stopping must not be null");
        }
    }

    /** HF's defaults: greedy, up to 20 tokens in all. */
    public static GenerationConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        return b.maxLength(maxLength).minNewTokens(minNewTokens)
                .minLength(minLength).numBeams(numBeams).lengthPenalty(lengthPenalty).earlyStopping(earlyStopping)
                .numReturnSequences(numReturnSequences).doSample(doSample).temperature(temperature).topK(topK)
                .topP(topP).repetitionPenalty(repetitionPenalty).seed(seed).outputLogits(outputLogits);
    }

    /** The longest a sequence may get, given its prefix length. */
    public int maxLength(int prefixLength) {
        return maxNewTokens >= 0 ? prefixLength + maxNewTokens : maxLength;
    }

    /** Whether this is beam search. */
    public boolean beamSearch() {
        return numBeams > 1;
    }

    /**
     * The settings of {@code modelDir/generation_config.json} over HF's defaults (the defaults alone when the file is
     * absent); token ids in it are the model's business and are ignored here.
     *
     * @throws BadInputException when the file is not JSON or holds an invalid value, naming the file
     */
    public static GenerationConfig fromModelDir(Path modelDir) {
        Path file = modelDir.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) {
            return defaults();
        }
        try {
            JsonNode json = new ObjectMapper().readTree(file.toFile());
            if (json == null || !json.isObject()) {
                throw new BadInputException(file + ": expected a JSON object");
            }
            Builder b = builder();
            if (json.hasNonNull("max_new_tokens")) {
                b.maxNewTokens(intField(file, json, "max_new_tokens"));
            }
            if (json.hasNonNull("max_length")) {
                b.maxLength(intField(file, json, "max_length"));
            }
            if (json.hasNonNull("min_new_tokens")) {
                b.minNewTokens(intField(file, json, "min_new_tokens"));
            }
            if (json.hasNonNull("min_length")) {
                b.minLength(intField(file, json, "min_length"));
            }
            if (json.hasNonNull("num_beams")) {
                b.numBeams(intField(file, json, "num_beams"));
            }
            if (json.hasNonNull("num_return_sequences")) {
                b.numReturnSequences(intField(file, json, "num_return_sequences"));
            }
            if (json.hasNonNull("top_k")) {
                b.topK(intField(file, json, "top_k"));
            }
            if (json.hasNonNull("length_penalty")) {
                b.lengthPenalty(numberField(file, json, "length_penalty"));
            }
            if (json.hasNonNull("temperature")) {
                b.temperature(numberField(file, json, "temperature"));
            }
            if (json.hasNonNull("top_p")) {
                b.topP(numberField(file, json, "top_p"));
            }
            if (json.hasNonNull("repetition_penalty")) {
                b.repetitionPenalty(numberField(file, json, "repetition_penalty"));
            }
            if (json.hasNonNull("output_logits")) {
                b.outputLogits(json.get("output_logits").asBoolean());
            }
            if (json.hasNonNull("do_sample")) {
                b.doSample(json.get("do_sample").asBoolean());
            }
            if (json.hasNonNull("early_stopping")) {
                JsonNode e = json.get("early_stopping");
                b.earlyStopping(e.isBoolean() ? (e.asBoolean() ? EarlyStopping.TRUE : EarlyStopping.FALSE)
                        : "never".equals(e.asText()) ? EarlyStopping.NEVER : null);
            }
            return b.build();
        } catch (IOException e) {
            throw new BadInputException(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""),
                    e);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage(), e);
        }
    }

    private static int intField(Path file, JsonNode json, String name) {
        JsonNode v = json.get(name);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new BadInputException(file + ": " + name + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static double numberField(Path file, JsonNode json, String name) {
        JsonNode v = json.get(name);
        if (!v.isNumber()) {
            throw new BadInputException(file + ": " + name + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    /** Fluent settings; {@link #build} checks them. */
    public static final class Builder {
        private int maxNewTokens = -1;
        private int maxLength = 20;
        private int minNewTokens;
        private int minLength;
        private int numBeams = 1;
        private double lengthPenalty = 1.0;
        private EarlyStopping earlyStopping = EarlyStopping.FALSE;
        private int numReturnSequences = 1;
        private boolean doSample;
        private double temperature = 1.0;
        private int topK = 50;
        private double topP = 1.0;
        private double repetitionPenalty = 1.0;
        private long seed;
        private boolean outputLogits;

        private Builder() {}

        /** At most {@code v} new tokens (at least 1); wins over {@link #maxLength}. */
        public Builder maxNewTokens(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("max_new_tokens must be at least 1, got " + v);
            }
            maxNewTokens = v;
            return this;
        }

        /** Drops {@code max_new_tokens}, so that {@link #maxLength} bounds the sequences. */
        public Builder useMaxLength() {
            maxNewTokens = -1;
            return this;
        }

        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        public Builder minNewTokens(int v) {
            minNewTokens = v;
            return this;
        }

        public Builder minLength(int v) {
            minLength = v;
            return this;
        }

        public Builder numBeams(int v) {
            numBeams = v;
            return this;
        }

        public Builder lengthPenalty(double v) {
            lengthPenalty = v;
            return this;
        }

        public Builder earlyStopping(EarlyStopping v) {
            earlyStopping = v;
            return this;
        }

        public Builder numReturnSequences(int v) {
            numReturnSequences = v;
            return this;
        }

        public Builder doSample(boolean v) {
            doSample = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(double v) {
            topP = v;
            return this;
        }

        public Builder repetitionPenalty(double v) {
            repetitionPenalty = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder outputLogits(boolean v) {
            outputLogits = v;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, maxLength, minNewTokens, minLength, numBeams, lengthPenalty,
                    earlyStopping, numReturnSequences, doSample, temperature, topK, topP, repetitionPenalty, seed,
                    outputLogits);
        }
    }
}
