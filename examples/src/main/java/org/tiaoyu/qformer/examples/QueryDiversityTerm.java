package org.tiaoyu.qformer.examples;

import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.Stage1Loss;

/**
 * A loss term of one's own beside ITC/ITM/ITG: it pushes the query tokens to look at different things by
 * penalising the cosine similarity between the ITC image features of different queries of the same image,
 * {@code mean over b and i≠j of (f_bi · f_bj)²}. Written only with the engine's ops, so its gradient comes for free.
 */
public final class QueryDiversityTerm implements Stage1Loss.Term {

    @Override
    public Tensor compute(Stage1Loss.Outputs outputs, Stage1Loss.Batch batch) {
        Tensor feats = outputs.imageFeats();                                      // [B, Q, E], L2-normalised
        long q = feats.size(1);
        Tensor cosines = Ops.matmul(feats, feats, false, true, 1.0);              // [B, Q, Q]
        Tensor offDiagonal = Tensor.constant(Nd4j.ones(feats.dataType(), q, q).subi(Nd4j.eye(q)
                .castTo(feats.dataType())));
        return Ops.mean(cosines.mul(cosines).mul(offDiagonal), false).mul((double) (q * q) / (q * (q - 1)));
    }
}
