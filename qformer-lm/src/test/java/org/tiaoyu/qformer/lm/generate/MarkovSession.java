package org.tiaoyu.qformer.lm.generate;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A toy language model for decoding tests: the next token's logits depend only on the last token
 * ({@code table[last]}). It keeps, per row, the last token, and checks that the generator feeds one token per row.
 */
final class MarkovSession implements DecodingSession {

    final float[][] table;
    private final long[][] prefix;
    private final long eos;
    private final long pad;
    private long[] last;
    int steps;

    MarkovSession(float[][] table, long[][] prefix, long eos, long pad) {
        this.table = table;
        this.prefix = prefix;
        this.eos = eos;
        this.pad = pad;
        this.last = Arrays.stream(prefix).mapToLong(p -> p[p.length - 1]).toArray();
    }

    @Override
    public long[][] prefix() {
        return prefix;
    }

    @Override
    public INDArray prefill() {
        return logits();
    }

    @Override
    public INDArray step(long[] tokens) {
        if (tokens.length != last.length) {
            throw new AssertionError(tokens.length + " tokens for " + last.length + " rows");
        }
        steps++;
        last = tokens.clone();
        return logits();
    }

    @Override
    public void select(long[] rows) {
        last = Arrays.stream(rows).map(r -> last[(int) r]).toArray();
    }

    @Override
    public long eosTokenId() {
        return eos;
    }

    @Override
    public long padTokenId() {
        return pad;
    }

    @Override
    public void close() {
        // nothing held outside Java arrays
    }

    @Override
    public void requireRoom(int newTokens) {
        // no positions: any length fits
    }

    @Override
    public int vocabSize() {
        return table.length;
    }

    @Override
    public long cacheBytes(long rows, int length) {
        return rows * Long.BYTES;                   // the last token of each row
    }

    /** The log-probability of {@code tokens} following {@code start} under the table. */
    double logProbability(long start, long[] tokens) {
        double sum = 0;
        long previous = start;
        for (long t : tokens) {
            float[] row = table[(int) previous].clone();
            Sampling.logSoftmaxInPlace(row);
            sum += row[(int) t];
            previous = t;
        }
        return sum;
    }

    private INDArray logits() {
        float[][] out = new float[last.length][];
        for (int i = 0; i < last.length; i++) {
            out[i] = table[(int) last[i]].clone();
        }
        return Nd4j.createFromArray(out);
    }
}
