package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.data.BatchLoader;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.data.SkippedRecord;

/**
 * What a {@link Trainer} trains: the model of one BLIP-2 stage with its data and its objective. The trainer owns the
 * loop, the optimizer, the schedule, checkpoints and metrics; a stage says what a batch is, what the loss of one is,
 * and how its model is saved so that the inference commands load it.
 *
 * @param <B> a prepared batch
 */
public interface TrainingStage<B> extends AutoCloseable {

    /** 1 or 2. */
    int stage();

    /** How the model was initialised, for the log (so no run trains "from scratch" on a checkpoint by accident). */
    String initDescription();

    /** The usable training pairs, in file order. */
    List<CaptionRecord> records();

    /** The pairs left out when the data was read, and why. */
    List<SkippedRecord> skippedRecords();

    /** Makes batches from records; called on loader threads. */
    BatchLoader.BatchMaker<B> batchMaker();

    /** The parameters the optimizer updates, by checkpoint name. */
    Map<String, Tensor> trainableParameters();

    /** Learning-rate scales of some trainable parameters (layer-wise decay); the others get the rate itself. */
    default Map<String, Double> lrScales() {
        return Map.of();
    }

    /** Switches dropout on, drawing from {@code rng}. */
    void train(Rng rng);

    /** Switches dropout off (evaluation). */
    void eval();

    /**
     * The objective on one batch: the total to backpropagate under the key {@code "loss"}, and each part (e.g.
     * {@code loss_itc}) for the metrics.
     */
    Map<String, Tensor> losses(B batch, Rng rng);

    /** Frees what a batch holds off the Java heap, once its step is done. */
    void release(B batch);

    /** Writes the model into {@code dir} (which exists and is empty) as the inference commands load it. */
    void saveModel(Path dir);

    /** Reads every parameter back from a directory {@link #saveModel} wrote (to resume). */
    void loadModel(Path dir);

    @Override
    void close();
}
