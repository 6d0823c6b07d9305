package org.tiaoyu.qformer.lm.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * HF's beam search ({@code _beam_search}, transformers 5), per batch row: each step the running beams' summed
 * log-probabilities (log-softmax, then the processors) are extended by every token and the best 2·K candidates kept;
 * of those, candidates that end in EOS or reach the maximum length and rank among the first K become finished
 * hypotheses, scored by their sum over (new tokens)^length_penalty; the best K others run on. The prompt runs once
 * per row and the cache is widened to K beams after it.
 */
final class BeamSearch {

    /** HF's stand-in for "impossible". */
    private static final double IMPOSSIBLE = -1.0e9;

    /** A token sequence with its score. */
    private record Hypothesis(long[] tokens, int length, double score) {}

    /** One batch row's search. */
    private static final class Row {
        final List<Hypothesis> running = new ArrayList<>();
        final List<Hypothesis> finished = new ArrayList<>();
        boolean improvable = true;                    // HF's is_early_stop_heuristic_unsatisfied
    }

    private BeamSearch() {}

    static GenerationOutput run(DecodingSession session, GenerationConfig config) {
        long[][] prefix = session.prefix();
        int batch = prefix.length;
        int prefixLength = prefix[0].length;
        int beams = config.numBeams();
        int maxLength = config.maxLength(prefixLength);
        long eos = session.eosTokenId();
        long fill = Generator.fillTokenId(config, eos, session.padTokenId());
        List<LogitsProcessor> processors = LogitsProcessor.forConfig(config, prefixLength, eos);

        // Every beam of a row starts from the same prompt, run once.
        float[][] scores = Generator.prefill(session, beams, null);

        Row[] rows = new Row[batch];
        for (int b = 0; b < batch; b++) {
            rows[b] = new Row();
            long[] tokens = Arrays.copyOf(prefix[b], maxLength);
            Arrays.fill(tokens, prefixLength, maxLength, fill);
            for (int k = 0; k < beams; k++) {         // only the first beam is live at the start
                rows[b].running.add(new Hypothesis(tokens, prefixLength, k == 0 ? 0 : IMPOSSIBLE));
            }
        }
        int length = prefixLength;
        while (true) {
            boolean allCandidatesStop = true;
            long[] cacheRows = new long[batch * beams];
            long[] nextTokens = new long[batch * beams];
            for (int b = 0; b < batch; b++) {
                Row row = rows[b];
                List<Candidate> candidates = topCandidates(row, scores, b, beams, processors, length);
                List<Hypothesis> extended = new ArrayList<>();
                boolean[] stops = new boolean[candidates.size()];
                for (int j = 0; j < candidates.size(); j++) {
                    Candidate c = candidates.get(j);
                    long[] tokens = row.running.get(c.beam).tokens.clone();
                    tokens[length] = c.token;
                    stops[j] = c.token == eos || length + 1 >= maxLength;
                    allCandidatesStop &= stops[j];
                    extended.add(new Hypothesis(tokens, length + 1, c.score));
                }
                // The best K that do not stop run on (stopping ones only fill up, as HF's -1e9 penalty does).
                Integer[] order = new Integer[extended.size()];
                for (int j = 0; j < order.length; j++) {
                    order[j] = j;
                }
                double[] runScores = new double[extended.size()];
                for (int j = 0; j < runScores.length; j++) {
                    runScores[j] = extended.get(j).score + (stops[j] ? IMPOSSIBLE : 0);
                }
                Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -runScores[j]));
                row.running.clear();
                for (int k = 0; k < beams; k++) {
                    int j = order[k];
                    Hypothesis h = extended.get(j);
                    row.running.add(new Hypothesis(h.tokens, h.length, runScores[j]));
                    cacheRows[b * beams + k] = (long) b * beams + candidates.get(j).beam;
                    nextTokens[b * beams + k] = candidates.get(j).token;
                }
                updateFinished(row, extended, stops, beams, length + 1 - prefixLength, config);
            }
            length++;
            for (Row row : rows) {
                row.improvable &= improvable(row, length - prefixLength, maxLength - prefixLength, config);
            }
            boolean improvement = Arrays.stream(rows).anyMatch(r -> r.improvable);
            boolean allFull = Arrays.stream(rows).allMatch(r -> isFull(r, beams));
            if (!improvement || (allFull && config.earlyStopping() == EarlyStopping.TRUE) || allCandidatesStop) {
                break;
            }
            Generator.step(session, cacheRows, nextTokens, scores, null);
        }
        return output(rows, config.numReturnSequences(), prefixLength);
    }

    /** A continuation: beam {@code beam} extended by {@code token}, with its summed log-probability. */
    private record Candidate(int beam, long token, double score) {}

    /** The best 2·K continuations of a row's running beams, best first; turns the rows' scores into log-probabilities. */
    private static List<Candidate> topCandidates(Row row, float[][] scores, int b, int beams,
            List<LogitsProcessor> processors, int length) {
        int keep = 2 * beams;
        List<Candidate> best = new ArrayList<>(keep + 1);
        for (int k = 0; k < beams; k++) {
            Hypothesis h = row.running.get(k);
            float[] logProbs = scores[b * beams + k];
            Sampling.logSoftmaxInPlace(logProbs);
            for (LogitsProcessor p : processors) {
                p.process(h.tokens, length, logProbs);
            }
            for (int v = 0; v < logProbs.length; v++) {
                double s = (double) logProbs[v] + h.score;
                if (best.size() < keep || s > best.get(best.size() - 1).score) {
                    int at = best.size();
                    while (at > 0 && best.get(at - 1).score < s) {
                        at--;
                    }
                    best.add(at, new Candidate(k, v, s));
                    if (best.size() > keep) {
                        best.remove(keep);
                    }
                }
            }
        }
        return best;
    }

    /**
     * HF's {@code _update_finished_beams}: of the first K candidates, those that stop become finished hypotheses
     * (score / newTokens^length_penalty) unless the row can no longer improve or is full under early stopping; the
     * row keeps its best K finished ones.
     */
    private static void updateFinished(Row row, List<Hypothesis> candidates, boolean[] stops, int beams, int newTokens,
            GenerationConfig config) {
        boolean closed = !row.improvable || (isFull(row, beams) && config.earlyStopping() == EarlyStopping.TRUE);
        if (closed) {
            return;
        }
        List<Hypothesis> merged = new ArrayList<>(row.finished);
        for (int j = 0; j < beams; j++) {
            if (stops[j]) {
                Hypothesis c = candidates.get(j);
                merged.add(new Hypothesis(c.tokens, c.length, c.score / Math.pow(newTokens, config.lengthPenalty())));
            }
        }
        merged.sort(Comparator.comparingDouble((Hypothesis h) -> -h.score));   // stable: earlier ones win ties
        row.finished.clear();
        row.finished.addAll(merged.subList(0, Math.min(beams, merged.size())));
    }

    private static boolean isFull(Row row, int beams) {
        return row.finished.size() == beams;
    }

    /**
     * HF's {@code _check_early_stop_heuristic}: can the best running beam still beat the worst finished hypothesis?
     * It is scored at its current length ({@code early_stopping} false), or at the maximum one ("never" with a
     * positive length penalty).
     */
    private static boolean improvable(Row row, int generated, int maxGenerated, GenerationConfig config) {
        if (row.finished.size() < row.running.size()) {
            return true;                                     // an empty finished slot scores -1e9: always beatable
        }
        int length = config.earlyStopping() == EarlyStopping.NEVER && config.lengthPenalty() > 0
                ? maxGenerated : generated;
        double bestRunning = row.running.get(0).score / Math.pow(length, config.lengthPenalty());
        double worstFinished = row.finished.get(row.finished.size() - 1).score;
        return bestRunning > worstFinished;
    }

    /** The best {@code count} finished hypotheses of every row, cut to the longest one returned. */
    private static GenerationOutput output(Row[] rows, int count, int prefixLength) {
        List<Hypothesis> chosen = new ArrayList<>();
        for (Row row : rows) {
            for (int i = 0; i < count; i++) {
                chosen.add(i < row.finished.size() ? row.finished.get(i) : row.running.get(i));
            }
        }
        int length = chosen.stream().mapToInt(Hypothesis::length).max().orElse(prefixLength);
        long[][] sequences = new long[chosen.size()][];
        double[] scores = new double[chosen.size()];
        for (int i = 0; i < sequences.length; i++) {
            sequences[i] = Arrays.copyOf(chosen.get(i).tokens, length);
            scores[i] = chosen.get(i).score;
        }
        return new GenerationOutput(sequences, scores, List.of());
    }
}
