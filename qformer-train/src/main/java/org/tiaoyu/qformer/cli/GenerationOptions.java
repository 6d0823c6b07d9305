package org.tiaoyu.qformer.cli;

import java.util.Locale;
import org.tiaoyu.qformer.lm.generate.EarlyStopping;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The decoding options {@code caption}, {@code vqa} and {@code generate} share, named as HF's {@code generate}
 * arguments; an option not given keeps the model directory's {@code generation_config.json} value (or HF's default).
 */
final class GenerationOptions {

    @Spec
    private CommandSpec options;                 // this mixin's own options

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;                 // the command it is mixed into

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "New tokens at most.")
    Integer maxNewTokens;

    @Option(names = "--min-new-tokens", paramLabel = "N", description = "No end of sequence before N new tokens.")
    Integer minNewTokens;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Tokens at most, prompt included (OPT) or decoder start included (T5).")
    Integer maxLength;

    @Option(names = "--min-length", paramLabel = "N", description = "No end of sequence before N tokens in all.")
    Integer minLength;

    @Option(names = "--num-beams", paramLabel = "K", description = "Beam search with K beams (1: greedy).")
    Integer numBeams;

    @Option(names = "--length-penalty", paramLabel = "X",
            description = "Beam scores are divided by (new tokens)^X (HF default 1.0).")
    Double lengthPenalty;

    @Option(names = "--early-stopping", paramLabel = "true|false|never",
            description = "Beam search's stopping rule (HF default false).")
    String earlyStopping;

    @Option(names = "--num-return-sequences", paramLabel = "N", description = "Sequences per image (beams, samples).")
    Integer numReturnSequences;

    @Option(names = "--do-sample", description = "Sample the next token instead of taking the most likely one.")
    boolean doSample;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default 1.0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens (default 50).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Sample among the most likely tokens whose probability reaches P (default 1.0).")
    Double topP;

    @Option(names = "--repetition-penalty", paramLabel = "X", description = "Penalise tokens already seen (1.0: off).")
    Double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default 0).")
    Long seed;

    /**
     * The decoding settings: {@code defaults} with the given options applied; an invalid value or combination is a
     * usage error (exit 2) that names the option.
     */
    GenerationConfig settings(GenerationConfig defaults) {
        try {
            return apply(defaults);
        } catch (IllegalArgumentException e) {
            // GenerationConfig speaks HF's names (max_new_tokens); each is an option here (--max-new-tokens).
            String message = e.getMessage();
            for (OptionSpec option : options.options()) {
                String flag = option.longestName();
                message = message.replaceAll("\\b" + flag.substring(2).replace('-', '_') + "\\b", flag);
            }
            throw new ParameterException(command.commandLine(), message, e);
        }
    }

    private GenerationConfig apply(GenerationConfig defaults) {
        GenerationConfig.Builder b = defaults.toBuilder();
        if (maxLength != null) {
            b.maxLength(maxLength).useMaxLength();
        }
        if (maxNewTokens != null) {
            b.maxNewTokens(maxNewTokens);
        }
        if (minNewTokens != null) {
            b.minNewTokens(minNewTokens);
        }
        if (minLength != null) {
            b.minLength(minLength);
        }
        if (numBeams != null) {
            b.numBeams(numBeams);
        }
        if (lengthPenalty != null) {
            b.lengthPenalty(lengthPenalty);
        }
        if (earlyStopping != null) {
            b.earlyStopping(switch (earlyStopping.toLowerCase(Locale.ROOT)) {
                case "true" -> EarlyStopping.TRUE;
                case "false" -> EarlyStopping.FALSE;
                case "never" -> EarlyStopping.NEVER;
                default -> throw new IllegalArgumentException("--early-stopping must be true, false or never, got "
                        + earlyStopping);
            });
        }
        if (numReturnSequences != null) {
            b.numReturnSequences(numReturnSequences);
        }
        if (doSample) {
            b.doSample(true);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (seed != null) {
            b.seed(seed);
        }
        return b.build();
    }
}
