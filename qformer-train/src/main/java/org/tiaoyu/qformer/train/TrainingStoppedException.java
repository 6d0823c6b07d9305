package org.tiaoyu.qformer.train;

/** Training itself could not go on (e.g. too many non-finite steps in a row); the last checkpoint is intact. */
public final class TrainingStoppedException extends RuntimeException {

    public TrainingStoppedException(String message) {
        super(message);
    }
}
