package org.tiaoyu.qformer.lm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Greedy, sampling and beam search on a toy Markov model whose answers can be worked out exactly. */
class DecodingStrategiesTest {

    private static final long EOS = 3;
    private static final long PAD = 0;

    /** Token 1 is always the most likely; EOS is likely after 2. */
    private static final float[][] TABLE = {
        {0f, 2f, 1f, 0.5f}, {0f, 2f, 1.5f, 0f}, {0f, 0.5f, 0f, 3f}, {0f, 1f, 0f, 0f}};

    private static MarkovSession session(long... lastTokens) {
        long[][] prefix = Arrays.stream(lastTokens).mapToObj(t -> new long[] {0, t}).toArray(long[][]::new);
        return new MarkovSession(TABLE, prefix, EOS, PAD);
    }

    @Test
    void greedyFollowsTheArgmaxAndPadsFinishedRows() {
        GenerationOutput out = Generator.generate(session(1, 2),
                GenerationConfig.builder().maxNewTokens(4).build());
        assertArrayEquals(new long[] {0, 1, 1, 1, 1, 1}, out.sequences()[0]);
        assertArrayEquals(new long[] {0, 2, 3, PAD, PAD, PAD}, out.sequences()[1]);   // EOS, then pad
        assertEquals(0, out.stepLogits().size(), "step logits are kept only when asked for");
        assertEquals(null, out.sequencesScores());
        GenerationOutput withLogits = Generator.generate(session(1, 2),
                GenerationConfig.builder().maxNewTokens(4).outputLogits(true).build());
        assertArrayEquals(out.sequences(), withLogits.sequences());
        assertEquals(4, withLogits.stepLogits().size());
    }

    @Test
    void decodingStopsOnceEveryRowIsFinished() {
        MarkovSession s = session(2, 2);
        GenerationOutput out = Generator.generate(s, GenerationConfig.builder().maxNewTokens(10).build());
        assertEquals(3, out.sequences()[0].length);                                   // prefix + EOS
        assertEquals(0, s.steps);                                                     // no step after the prompt
    }

    @Test
    void maxLengthCountsThePrefixAndMaxNewTokensWins() {
        assertEquals(5, Generator.generate(session(1), GenerationConfig.builder().maxLength(5).build())
                .sequences()[0].length);
        assertEquals(2 + 7, Generator.generate(session(1), GenerationConfig.builder().maxLength(5).maxNewTokens(7)
                .build()).sequences()[0].length);
    }

    @Test
    void minimumLengthsSuppressEos() {
        GenerationOutput out = Generator.generate(session(2),
                GenerationConfig.builder().maxNewTokens(4).minNewTokens(2).build());
        assertNotEquals(EOS, out.sequences()[0][2]);
        assertNotEquals(EOS, out.sequences()[0][3]);
        GenerationOutput byLength = Generator.generate(session(2),
                GenerationConfig.builder().maxNewTokens(4).minLength(3).build());   // prefix 2 + 1 new token
        assertNotEquals(EOS, byLength.sequences()[0][2]);
    }

    @Test
    void repetitionPenaltyAvoidsTokensAlreadySeen() {
        GenerationOutput out = Generator.generate(session(1),
                GenerationConfig.builder().maxNewTokens(1).repetitionPenalty(2.0).build());
        // 1 scores 2/2 = 1 after the penalty, 2 keeps 1.5.
        assertEquals(2, out.sequences()[0][2]);
    }

    @Test
    void samplingIsSeededAndFollowsTheDistribution() {
        GenerationConfig sample = GenerationConfig.builder().maxNewTokens(1).doSample(true).seed(7).build();
        int draws = 4000;
        int[] counts = new int[4];
        long[] lasts = new long[draws];
        Arrays.fill(lasts, 0);
        GenerationOutput out = Generator.generate(session(lasts), sample);
        for (long[] s : out.sequences()) {
            counts[(int) s[2]]++;
        }
        double[] p = Sampling.softmax(TABLE[0]);
        for (int t = 0; t < 4; t++) {
            double sd = Math.sqrt(draws * p[t] * (1 - p[t]));
            assertEquals(draws * p[t], counts[t], 4 * sd, "token " + t);
        }
        GenerationOutput again = Generator.generate(session(lasts), sample);
        assertTrue(Arrays.deepEquals(out.sequences(), again.sequences()), "same seed, same samples");
    }

    @Test
    void topKOneAndTinyTopPSampleTheArgmax() {
        for (GenerationConfig c : List.of(
                GenerationConfig.builder().maxNewTokens(3).doSample(true).topK(1).seed(1).build(),
                GenerationConfig.builder().maxNewTokens(3).doSample(true).topP(0.01).seed(1).build())) {
            GenerationOutput out = Generator.generate(session(0, 1, 2), c);
            GenerationOutput greedy = Generator.generate(session(0, 1, 2),
                    GenerationConfig.builder().maxNewTokens(3).build());
            assertTrue(Arrays.deepEquals(greedy.sequences(), out.sequences()), c.toString());
        }
    }

    @Test
    void samplingReturnsSeveralSequencesPerRow() {
        GenerationOutput out = Generator.generate(session(0, 2), GenerationConfig.builder().maxNewTokens(2)
                .doSample(true).numReturnSequences(3).seed(3).build());
        assertEquals(6, out.sequences().length);
        for (int i = 0; i < 6; i++) {
            assertEquals(i < 3 ? 0 : 2, out.sequences()[i][1], "row " + i + " keeps its prompt");
        }
    }

    /**
     * With as many beams as there are sequences, HF's search with early_stopping "never" (a bound that is exact for a
     * positive length penalty) or a zero length penalty is exhaustive: its best sequences are the best of all.
     */
    @Test
    void wideBeamSearchFindsTheBestSequences() {
        Random random = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            float[][] table = new float[4][4];
            for (float[] row : table) {
                for (int v = 0; v < 4; v++) {
                    row[v] = (float) random.nextGaussian() * 2;
                }
            }
            for (double lengthPenalty : new double[] {0.0, 1.0, 2.0}) {
                int maxNew = 3;
                GenerationConfig config = GenerationConfig.builder().maxNewTokens(maxNew).numBeams(40)
                        .numReturnSequences(3).lengthPenalty(lengthPenalty).earlyStopping(EarlyStopping.NEVER).build();
                MarkovSession s = new MarkovSession(table, new long[][] {{0}}, EOS, PAD);
                GenerationOutput out = Generator.generate(s, config);

                List<double[]> all = new ArrayList<>();                                // score, then tokens
                enumerate(s, new long[0], maxNew, lengthPenalty, all);
                all.sort((a, b) -> Double.compare(b[0], a[0]));
                for (int r = 0; r < 3; r++) {
                    assertEquals(all.get(r)[0], out.sequencesScores()[r], 1e-5, "trial " + trial + " rank " + r);
                }
            }
        }
    }

    private static void enumerate(MarkovSession s, long[] tokens, int maxNew, double lengthPenalty,
            List<double[]> out) {
        if (tokens.length > 0 && (tokens[tokens.length - 1] == EOS || tokens.length == maxNew)) {
            out.add(new double[] {s.logProbability(0, tokens) / Math.pow(tokens.length, lengthPenalty)});
            return;
        }
        for (long t = 0; t < 4; t++) {
            long[] next = Arrays.copyOf(tokens, tokens.length + 1);
            next[tokens.length] = t;
            enumerate(s, next, maxNew, lengthPenalty, out);
        }
    }

    @Test
    void beamSearchFindsWhatGreedyMisses() {
        // From 0, greedy takes 1 (logit 2) and then keeps going; 0 → 2 → EOS is likelier as a whole.
        GenerationConfig beams = GenerationConfig.builder().maxNewTokens(3).numBeams(2).build();
        GenerationOutput out = Generator.generate(session(0), beams);
        MarkovSession s = session(0);
        long[] found = Arrays.copyOfRange(out.sequences()[0], 2, out.sequences()[0].length);
        double score = s.logProbability(0, Arrays.stream(found).filter(t -> t != PAD).toArray());
        GenerationOutput greedy = Generator.generate(session(0), GenerationConfig.builder().maxNewTokens(3).build());
        double greedyScore = s.logProbability(0, Arrays.copyOfRange(greedy.sequences()[0], 2, 5)) / 3;
        assertTrue(out.sequencesScores()[0] >= greedyScore, out.sequencesScores()[0] + " < " + greedyScore);
        assertEquals(score / Arrays.stream(found).filter(t -> t != PAD).count(), out.sequencesScores()[0], 1e-6);
    }

    @Test
    void invalidSettingsAreRefusedWithTheirHfNames() {
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.builder().numBeams(2)
                .numReturnSequences(3).build());
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.builder().numReturnSequences(2).build());
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.builder().doSample(true).numBeams(2)
                .build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationConfig.builder().topP(0).build());
        assertTrue(e.getMessage().startsWith("top_p"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.builder().temperature(0).build());
    }
}
