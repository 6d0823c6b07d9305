package org.tiaoyu.qformer.core.qformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.QFormerModel.Output;

/**
 * Proves what each {@link MaskStrategy} lets the Q-Former see, on a tiny random double-precision model with
 * non-trivial LayerNorms and biases: one input row (a query, a text token, a padded token) or one image is
 * perturbed and every output row is compared with the unperturbed run. Where the mask forbids influence, the
 * output must not move (≤ 1e-12; with the -1e9 additive mask it is in fact exactly unchanged); where it allows
 * it, it must move clearly (> 1e-6). Also: the visibility matrices themselves, and that LAVIS's separate passes
 * (image, text, text over cached queries) equal the rows of one joint pass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MaskVisibilityTest {

    static final double UNCHANGED = 1e-12;
    static final double CHANGED = 1e-6;

    static final int B = 2;
    static final int Q = 3;
    static final int T = 5;
    static final int N = 4;    // image tokens
    static final int DV = 6;   // image width

    /** Batch 0: five real tokens; batch 1: three real tokens, then two pads (id 0). */
    static final long[][] IDS = {{1, 5, 7, 9, 2}, {1, 6, 8, 0, 0}};
    static final long[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};

    ImageTextQFormer model;
    INDArray ids;
    INDArray mask;
    INDArray image;       // [B, N, DV]
    INDArray embeddings;  // [B, Q+T, D]: LayerNorm input of the joint pass

    @BeforeAll
    void setUp() {
        // Two layers, cross-attention in layer 0 only (frequency 2); weights N(0, 0.5²) so that influence is large.
        var config = TinyQFormers.config(8, 2, 2, 16, 2, Q, 20, 8, DV, 4, 0.5);
        model = TinyQFormers.model(config, 7, 0.3);
        ids = TinyQFormers.longs(IDS);
        mask = TinyQFormers.longs(MASK);
        image = TinyQFormers.gaussian(11, 1.0, B, N, DV);
        try (var noGrad = Grad.off()) {
            embeddings = model.embeddings.forward(ids, model.queries(B)).data().dup();
        }
    }

    // ---- helpers ----

    INDArray run(INDArray emb, INDArray img, MaskStrategy strategy) {
        try (var noGrad = Grad.off()) {
            Tensor m = strategy.build(Q, mask, DataType.DOUBLE);
            return model.qformer.forward(Tensor.constant(emb), Q, m, Tensor.constant(img), null)
                    .lastHiddenState().data().dup();
        }
    }

    /** The embeddings with row {@code row} of batch {@code b} moved by a random N(0,1) vector. */
    INDArray perturbRow(int b, int row, long seed) {
        INDArray e = embeddings.dup();
        INDArray delta = TinyQFormers.gaussian(seed, 1.0, e.size(2));
        e.get(NDArrayIndex.point(b), NDArrayIndex.point(row), NDArrayIndex.all()).addi(delta);
        return e;
    }

    INDArray perturbImage(int b, long seed) {
        INDArray img = image.dup();
        img.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.all())
                .addi(TinyQFormers.gaussian(seed, 1.0, N, DV));
        return img;
    }

    static double rowDiff(INDArray a, INDArray b, int batch, int row) {
        INDArray x = a.get(NDArrayIndex.point(batch), NDArrayIndex.point(row), NDArrayIndex.all());
        INDArray y = b.get(NDArrayIndex.point(batch), NDArrayIndex.point(row), NDArrayIndex.all());
        return x.sub(y).amaxNumber().doubleValue();
    }

    static boolean isQuery(int row) {
        return row < Q;
    }

    static boolean isPad(int b, int row) {
        return row >= Q && MASK[b][row - Q] == 0;
    }

    static void assertUnchanged(INDArray base, INDArray moved, int b, int row, String what) {
        double d = rowDiff(base, moved, b, row);
        assertTrue(d <= UNCHANGED, what + ": output row " + row + " of batch " + b + " moved by " + d
                + " but may not see the change");
    }

    static void assertChanged(INDArray base, INDArray moved, int b, int row, String what) {
        double d = rowDiff(base, moved, b, row);
        assertTrue(d > CHANGED, what + ": output row " + row + " of batch " + b + " moved by only " + d
                + " but must see the change");
    }

    /** Nothing in any other batch element may move. */
    static void assertOtherBatchUnchanged(INDArray base, INDArray moved, int b, String what) {
        for (int other = 0; other < B; other++) {
            if (other != b) {
                for (int row = 0; row < Q + T; row++) {
                    assertUnchanged(base, moved, other, row, what + " (other batch element)");
                }
            }
        }
    }

    // ---- ITC: unimodal ----

    @Test
    void unimodalTextNeverReachesQueries() {
        INDArray base = run(embeddings, image, MaskStrategy.UNIMODAL);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int row = Q + t;
                String what = "UNIMODAL, text " + t + " of batch " + b + " changed";
                INDArray moved = run(perturbRow(b, row, 100 + row), image, MaskStrategy.UNIMODAL);
                assertOtherBatchUnchanged(base, moved, b, what);
                for (int q = 0; q < Q; q++) {
                    assertUnchanged(base, moved, b, q, what);
                }
                if (!isPad(b, row)) {
                    for (int r = Q; r < Q + T; r++) { // every text row sees every real text token
                        assertChanged(base, moved, b, r, what);
                    }
                }
            }
        }
    }

    @Test
    void unimodalQueriesAndImageNeverReachText() {
        INDArray base = run(embeddings, image, MaskStrategy.UNIMODAL);
        for (int b = 0; b < B; b++) {
            for (int q = 0; q < Q; q++) {
                String what = "UNIMODAL, query " + q + " of batch " + b + " changed";
                INDArray moved = run(perturbRow(b, q, 200 + q), image, MaskStrategy.UNIMODAL);
                assertOtherBatchUnchanged(base, moved, b, what);
                for (int r = 0; r < Q; r++) {
                    assertChanged(base, moved, b, r, what);
                }
                for (int r = Q; r < Q + T; r++) {
                    assertUnchanged(base, moved, b, r, what);
                }
            }
            String what = "UNIMODAL, image of batch " + b + " changed";
            INDArray moved = run(embeddings, perturbImage(b, 300 + b), MaskStrategy.UNIMODAL);
            assertOtherBatchUnchanged(base, moved, b, what);
            for (int r = 0; r < Q; r++) {
                assertChanged(base, moved, b, r, what);
            }
            for (int r = Q; r < Q + T; r++) {
                assertUnchanged(base, moved, b, r, what);
            }
        }
    }

    // ---- ITG: multimodal causal ----

    @Test
    void causalTextSeesOnlyEarlierTextAndNoQuerySeesText() {
        INDArray base = run(embeddings, image, MaskStrategy.MULTIMODAL_CAUSAL);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int row = Q + t;
                if (isPad(b, row)) {
                    continue; // padding: see paddingNeverInfluencesRealRows
                }
                String what = "MULTIMODAL_CAUSAL, text " + t + " of batch " + b + " changed";
                INDArray moved = run(perturbRow(b, row, 400 + row), image, MaskStrategy.MULTIMODAL_CAUSAL);
                assertOtherBatchUnchanged(base, moved, b, what);
                for (int r = 0; r < Q + T; r++) {
                    if (r < row) {
                        assertUnchanged(base, moved, b, r, what); // the queries and earlier text
                    } else {
                        assertChanged(base, moved, b, r, what);   // itself and every later row (pads included)
                    }
                }
            }
        }
    }

    @Test
    void causalQueriesAndImageReachEveryTextToken() {
        INDArray base = run(embeddings, image, MaskStrategy.MULTIMODAL_CAUSAL);
        for (int b = 0; b < B; b++) {
            for (int q = 0; q < Q; q++) {
                String what = "MULTIMODAL_CAUSAL, query " + q + " of batch " + b + " changed";
                INDArray moved = run(perturbRow(b, q, 500 + q), image, MaskStrategy.MULTIMODAL_CAUSAL);
                assertOtherBatchUnchanged(base, moved, b, what);
                for (int r = 0; r < Q + T; r++) {
                    assertChanged(base, moved, b, r, what);
                }
            }
            // Layer 0 cross-attends; layer 1's text rows read the queries that carry the image.
            String what = "MULTIMODAL_CAUSAL, image of batch " + b + " changed";
            INDArray moved = run(embeddings, perturbImage(b, 600 + b), MaskStrategy.MULTIMODAL_CAUSAL);
            assertOtherBatchUnchanged(base, moved, b, what);
            for (int r = 0; r < Q + T; r++) {
                assertChanged(base, moved, b, r, what);
            }
        }
    }

    // ---- ITM: bidirectional ----

    @Test
    void bidirectionalEveryRealRowAndTheImageReachEveryRow() {
        INDArray base = run(embeddings, image, MaskStrategy.BIDIRECTIONAL);
        for (int b = 0; b < B; b++) {
            for (int row = 0; row < Q + T; row++) {
                if (isPad(b, row)) {
                    continue;
                }
                String what = "BIDIRECTIONAL, row " + row + " of batch " + b + " changed";
                INDArray moved = run(perturbRow(b, row, 700 + row), image, MaskStrategy.BIDIRECTIONAL);
                assertOtherBatchUnchanged(base, moved, b, what);
                for (int r = 0; r < Q + T; r++) {
                    assertChanged(base, moved, b, r, what);
                }
            }
            String what = "BIDIRECTIONAL, image of batch " + b + " changed";
            INDArray moved = run(embeddings, perturbImage(b, 800 + b), MaskStrategy.BIDIRECTIONAL);
            assertOtherBatchUnchanged(base, moved, b, what);
            for (int r = 0; r < Q + T; r++) {
                assertChanged(base, moved, b, r, what);
            }
        }
    }

    // ---- padding ----

    @ParameterizedTest
    @EnumSource(MaskStrategy.class)
    void paddingNeverInfluencesRealRows(MaskStrategy strategy) {
        INDArray base = run(embeddings, image, strategy);
        int b = 1;
        for (int row = Q; row < Q + T; row++) {
            if (!isPad(b, row)) {
                continue;
            }
            String what = strategy + ", padded text row " + row + " changed";
            INDArray moved = run(perturbRow(b, row, 900 + row), image, strategy);
            assertOtherBatchUnchanged(base, moved, b, what);
            for (int r = 0; r < Q + T; r++) {
                if (!isPad(b, r)) {
                    assertUnchanged(base, moved, b, r, what);
                }
            }
        }
        // The same through the ids: any token at the padded positions, the real rows never know.
        INDArray otherIds = ids.dup();
        otherIds.putScalar(1, 3, 13);
        otherIds.putScalar(1, 4, 17);
        INDArray otherEmbeddings;
        try (var noGrad = Grad.off()) {
            otherEmbeddings = model.embeddings.forward(otherIds, model.queries(B)).data().dup();
        }
        INDArray moved = run(otherEmbeddings, image, strategy);
        String what = strategy + ", ids at padded positions changed";
        assertOtherBatchUnchanged(base, moved, b, what);
        for (int r = 0; r < Q + T; r++) {
            if (!isPad(b, r)) {
                assertUnchanged(base, moved, b, r, what);
            } else {
                assertChanged(base, moved, b, r, what); // the padded rows themselves do move (so ids did change)
            }
        }
    }

    // ---- the masks themselves ----

    /** Q = 2, T = 3: batch 0 with its last token padded, batch 1 without padding. Columns q0 q1 t0 t1 t2. */
    @Test
    void visibilityMatricesAreTheHandWrittenOnes() {
        INDArray padding = TinyQFormers.longs(new long[][] {{1, 1, 0}, {1, 1, 1}});
        double[][] unimodalPadded = {
                {1, 1, 0, 0, 0},
                {1, 1, 0, 0, 0},
                {0, 0, 1, 1, 0},
                {0, 0, 1, 1, 0},
                {0, 0, 1, 1, 0}};
        double[][] unimodalFull = {
                {1, 1, 0, 0, 0},
                {1, 1, 0, 0, 0},
                {0, 0, 1, 1, 1},
                {0, 0, 1, 1, 1},
                {0, 0, 1, 1, 1}};
        double[][] bidirectionalPadded = {
                {1, 1, 1, 1, 0},
                {1, 1, 1, 1, 0},
                {1, 1, 1, 1, 0},
                {1, 1, 1, 1, 0},
                {1, 1, 1, 1, 0}};
        double[][] bidirectionalFull = {
                {1, 1, 1, 1, 1},
                {1, 1, 1, 1, 1},
                {1, 1, 1, 1, 1},
                {1, 1, 1, 1, 1},
                {1, 1, 1, 1, 1}};
        double[][] causalPadded = {
                {1, 1, 0, 0, 0},
                {1, 1, 0, 0, 0},
                {1, 1, 1, 0, 0},
                {1, 1, 1, 1, 0},
                {1, 1, 1, 1, 0}};
        double[][] causalFull = {
                {1, 1, 0, 0, 0},
                {1, 1, 0, 0, 0},
                {1, 1, 1, 0, 0},
                {1, 1, 1, 1, 0},
                {1, 1, 1, 1, 1}};
        assertMask(MaskStrategy.UNIMODAL, padding, unimodalPadded, unimodalFull);
        assertMask(MaskStrategy.BIDIRECTIONAL, padding, bidirectionalPadded, bidirectionalFull);
        assertMask(MaskStrategy.MULTIMODAL_CAUSAL, padding, causalPadded, causalFull);
    }

    private static void assertMask(MaskStrategy s, INDArray padding, double[][] batch0, double[][] batch1) {
        INDArray expected = Nd4j.create(new double[][][] {batch0, batch1});
        INDArray visible = s.visibility(2, padding);
        assertArrayEquals(new long[] {2, 5, 5}, visible.shape(), s + " visibility shape");
        assertEquals(expected, visible.castTo(DataType.DOUBLE), s + " visibility");

        Tensor additive = s.build(2, padding, DataType.DOUBLE);
        assertEquals(DataType.DOUBLE, additive.dataType(), s + " additive mask type");
        assertArrayEquals(new long[] {2, 1, 5, 5}, additive.shape(), s + " additive mask shape");
        INDArray a = additive.data();
        for (int b = 0; b < 2; b++) {
            for (int r = 0; r < 5; r++) {
                for (int c = 0; c < 5; c++) {
                    double v = a.getDouble(b, 0, r, c);
                    double want = expected.getDouble(b, r, c) == 1 ? 0.0 : MaskStrategy.HIDDEN;
                    assertEquals(want, v, 0.0, s + " additive mask at " + b + "," + r + "," + c);
                    assertTrue(Double.isFinite(v), "never -inf");
                }
            }
        }
    }

    // ---- LAVIS's separate passes equal one joint pass ----

    static INDArray rows(Output o, long from, long to) {
        return o.lastHiddenState().data()
                .get(NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup();
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-12, what + ": max |difference| " + diff);
    }

    @Test
    void lavisSeparatePassesEqualOneJointPass() {
        try (var noGrad = Grad.off()) {
            Tensor img = Tensor.constant(image);
            Output unimodal = model.jointPass(ids, mask, img, MaskStrategy.UNIMODAL);
            Output causal = model.jointPass(ids, mask, img, MaskStrategy.MULTIMODAL_CAUSAL);
            Output imagePass = model.imagePass(img);
            Output textPass = model.textPass(ids, mask);

            assertClose(rows(unimodal, Q, Q + T), rows(textPass, 0, T), "ITC text pass vs UNIMODAL text rows");
            assertClose(rows(unimodal, 0, Q), rows(imagePass, 0, Q), "image pass vs UNIMODAL query rows");
            assertClose(rows(causal, 0, Q), rows(imagePass, 0, Q), "image pass vs MULTIMODAL_CAUSAL query rows");

            Output itg = model.textOverQueriesPass(ids, mask, imagePass);
            assertClose(rows(causal, Q, Q + T), rows(itg, 0, T),
                    "text over cached queries vs MULTIMODAL_CAUSAL text rows");

            // ... and with [DEC] in place of [CLS], as Stage1Loss runs it; also the cached keys/values themselves.
            INDArray dec = ids.dup();
            dec.get(NDArrayIndex.all(), NDArrayIndex.point(0)).assign(19);
            assertClose(rows(model.jointPass(dec, mask, img, MaskStrategy.MULTIMODAL_CAUSAL), Q, Q + T),
                    rows(model.textOverQueriesPass(dec, mask, imagePass), 0, T), "[DEC] text over cached queries");
            for (int layer = 0; layer < imagePass.keyValues().size(); layer++) {
                INDArray jointKey = causal.keyValues().get(layer).key().data();
                INDArray cachedKey = imagePass.keyValues().get(layer).key().data();
                assertClose(jointKey.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, Q),
                        NDArrayIndex.all()).dup(), cachedKey.dup(), "layer " + layer + " query keys");
            }
        }
    }
}
