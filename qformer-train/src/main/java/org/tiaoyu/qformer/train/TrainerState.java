package org.tiaoyu.qformer.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code trainer_state.json} of a checkpoint: where the run stands, beside the weights and the optimizer state.
 * With these, a resumed run continues as if it had never stopped.
 *
 * @param step          optimizer steps done
 * @param microBatches  batches consumed from the loader (epoch = microBatches / batches per epoch)
 * @param rngSeed       the training generator (dropout, hard negatives): its seed …
 * @param rngCounter    … and how many values it has drawn
 * @param nonfiniteInRow consecutive skipped non-finite steps up to here
 * @param skippedRecords records left out while loading batches so far ({@code source: reason})
 * @param config        the run's config, every default filled in
 * @param bestStep      the checkpoint the validation scored best so far; null without evaluation
 * @param bestScore     its score ({@code eval.metric})
 */
record TrainerState(
        @JsonProperty("step") int step,
        @JsonProperty("micro_batches") long microBatches,
        @JsonProperty("rng_seed") long rngSeed,
        @JsonProperty("rng_counter") long rngCounter,
        @JsonProperty("nonfinite_in_row") int nonfiniteInRow,
        @JsonProperty("skipped_records") List<String> skippedRecords,
        @JsonProperty("config") JsonNode config,
        @JsonProperty("best_step") Integer bestStep,
        @JsonProperty("best_score") Double bestScore) {}
