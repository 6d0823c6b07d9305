package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * The three self-attention masks of BLIP-2's stage 1 (LAVIS {@code blip2_qformer.py}) over the sequence
 * [Q queries ; T text tokens]. Padding text tokens (mask 0) are hidden from every row in all three.
 * <ul>
 *   <li>{@link #UNIMODAL} (ITC): queries see only queries, text sees only text;</li>
 *   <li>{@link #BIDIRECTIONAL} (ITM): everything sees everything;</li>
 *   <li>{@link #MULTIMODAL_CAUSAL} (ITG): queries see only queries; text token t sees every query and the text
 *       tokens up to and including t.</li>
 * </ul>
 */
public enum MaskStrategy {
    UNIMODAL,
    BIDIRECTIONAL,
    MULTIMODAL_CAUSAL;

    /** The additive value of a hidden position: large and negative, never -inf (so no NaN can arise). */
    public static final double HIDDEN = -1e9;

    /**
     * Which position may attend to which: [B, Q+T, Q+T], 1 = row may see column, 0 = not.
     *
     * @param queries     Q, the number of query tokens (never padded)
     * @param textPadding [B, T] text attention mask, 1 = real token, 0 = padding (T may be 0: null)
     */
    public INDArray visibility(int queries, INDArray textPadding) {
        int batch = textPadding == null ? 1 : (int) textPadding.size(0);
        int text = textPadding == null ? 0 : (int) textPadding.size(1);
        long[] padding = textPadding == null ? new long[0] : textPadding.reshape('c', new long[] {(long) batch * text})
                .castTo(DataType.INT64).toLongVector();
        int length = queries + text;
        float[] visible = new float[batch * length * length];
        for (int b = 0; b < batch; b++) {
            for (int row = 0; row < length; row++) {
                for (int col = 0; col < length; col++) {
                    boolean realColumn = col < queries || padding[b * text + col - queries] != 0;
                    if (realColumn && sees(row, col, queries)) {
                        visible[(b * length + row) * length + col] = 1f;
                    }
                }
            }
        }
        return Nd4j.create(visible, new long[] {batch, length, length}, 'c');
    }

    private boolean sees(int row, int col, int queries) {
        boolean rowIsQuery = row < queries;
        boolean colIsQuery = col < queries;
        return switch (this) {
            case BIDIRECTIONAL -> true;
            case UNIMODAL -> rowIsQuery == colIsQuery;
            case MULTIMODAL_CAUSAL -> rowIsQuery ? colIsQuery : colIsQuery || col <= row;
        };
    }

    /** The additive mask [B, 1, Q+T, Q+T] for {@link QFormerModel#forward}, in the given type. */
    public Tensor build(int queries, INDArray textPadding, DataType type) {
        return additive(visibility(queries, textPadding), type);
    }

    /**
     * An additive mask [B, 1, L, S] from any visibility [B, L, S] (1 = visible): for masks of your own, or a slice
     * of one of the three (e.g. the text rows of {@link #MULTIMODAL_CAUSAL} for a pass over cached query keys).
     */
    public static Tensor additive(INDArray visibility, DataType type) {
        INDArray hidden = visibility.castTo(type).rsub(1.0).muli(HIDDEN); // 0 where visible
        long[] s = visibility.shape();
        return Tensor.constant(hidden.reshape(s[0], 1, s[1], s[2]));
    }
}
