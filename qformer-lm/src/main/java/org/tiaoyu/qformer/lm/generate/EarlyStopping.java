package org.tiaoyu.qformer.lm.generate;

/** HF's {@code early_stopping} for beam search: {@code True}, {@code False} or {@code "never"}. */
public enum EarlyStopping {
    /** Stop a batch row as soon as it has {@code num_beams} finished hypotheses. */
    TRUE,
    /** Stop when the best running beam, scored at its current length, cannot beat the worst finished one (HF's
     *  default heuristic). */
    FALSE,
    /** Stop only when no running beam can beat the finished ones even at the maximum length (canonical search). */
    NEVER
}
