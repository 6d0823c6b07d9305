package org.tiaoyu.qformer.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Collectors;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.data.AnnotationFormat;

/**
 * A training run's settings, as {@code qformer train} reads them from a JSON file (every field, its default and its
 * meaning: {@code docs/training.md}). Top-level names are HF Trainer's where it has one ({@code output_dir},
 * {@code seed}, {@code max_steps}, {@code num_train_epochs}, {@code save_steps}, {@code save_total_limit}); the
 * optimisation names are LAVIS's ({@code init_lr} is {@code lr} here).
 *
 * <p>{@link #read} refuses, before any work, an unknown field, a value of the wrong type and a value out of range,
 * naming the field; paths are resolved against the config file's directory. A field left out takes its default.
 */
public record TrainConfig(
        @JsonProperty("output_dir") String outputDir,
        @JsonProperty("seed") Long seed,
        @JsonProperty("max_steps") Integer maxSteps,
        @JsonProperty("num_train_epochs") Integer numTrainEpochs,
        @JsonProperty("save_steps") Integer saveSteps,
        @JsonProperty("save_total_limit") Integer saveTotalLimit,
        @JsonProperty("model") Model model,
        @JsonProperty("data") Data data,
        @JsonProperty("loss") Loss loss,
        @JsonProperty("optim") Optim optim,
        @JsonProperty("eval") Eval eval) {

    public TrainConfig {
        seed = seed != null ? seed : 42L;
        saveSteps = positive("save_steps", saveSteps != null ? saveSteps : 500);
        saveTotalLimit = positive("save_total_limit", saveTotalLimit != null ? saveTotalLimit : 2);
        if (maxSteps != null) {
            positive("max_steps", maxSteps);
        }
        if (numTrainEpochs != null) {
            positive("num_train_epochs", numTrainEpochs);
        }
        if (maxSteps == null && numTrainEpochs == null) {
            throw new IllegalArgumentException("max_steps or num_train_epochs: one is needed (max_steps wins when "
                    + "both are given)");
        }
        if (model == null) {
            throw new IllegalArgumentException("model: missing (init and path)");
        }
        if (data == null) {
            throw new IllegalArgumentException("data: missing (at least annotations)");
        }
        loss = loss != null ? loss : new Loss(null, null, null);
        optim = optim != null ? optim : new Optim(null, null, null, null, null, null, null, null, null, null, null,
                null, null);
        if (optim.layerDecay() != 1.0 && !model.trainVit()) {
            throw new IllegalArgumentException("optim.layer_decay: only applies to a vision tower that trains "
                    + "(model.train_vit: true); with a frozen one it would do nothing");
        }
        if (model.trainVit() && data.features() != null) {
            throw new IllegalArgumentException("model.train_vit: needs images; data.features gives cached features");
        }
    }

    /** Where the model comes from. */
    public enum Init {
        /** The Q-Former initialised at random (BLIP-2's initialisation) to the shape {@code path}'s config gives. */
        @JsonProperty("scratch") SCRATCH,
        /** The Q-Former's BERT parts from {@code bert_path}'s BERT weights, as LAVIS's {@code init_Qformer} does. */
        @JsonProperty("bert") BERT,
        /**
         * Every weight from {@code path}, to train on from there: stage 1, a retrieval directory or a stage-1
         * checkpoint; stage 2, a {@code Blip2ForConditionalGeneration} directory or a stage-2 checkpoint.
         */
        @JsonProperty("checkpoint") CHECKPOINT,
        /**
         * Stage 2: the Q-Former, query tokens and vision tower (its trained {@code ln_vision} included) from the
         * stage-1 checkpoint {@code qformer_path}; the language model, its tokenizer, the processor files and the
         * config from {@code path}; {@code language_projection} at random.
         */
        @JsonProperty("stage1") STAGE1;

        /** The config's name for it. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param init          where the Q-Former's weights come from; no default, so that no run starts from scratch
     *                      on a checkpoint by accident
     * @param path          a BLIP-2 directory: its config, frozen vision tower, tokenizer and processor files are
     *                      used in every case, its Q-Former weights with {@code init: checkpoint}
     * @param bertPath      a BERT directory ({@code bert-base-uncased} as the hub has it) for {@code init: bert}
     * @param qformerPath   a stage-1 checkpoint for {@code init: stage1} (stage 2)
     * @param prompt        stage 2: the text before each caption (LAVIS's {@code prompt}, e.g. "a photo of"),
     *                      which gets no loss; default none
     * @param trainVit      unfreeze the whole vision tower, as LAVIS's fine-tuning configs do ({@code freeze_vit:
     *                      False}); needs images, not cached features; default false
     * @param trainLnVision whether the vision tower's last LayerNorm ({@code post_layernorm}, LAVIS's
     *                      {@code ln_vision}) trains, as in LAVIS (default true)
     * @param dropout       overrides the Q-Former's {@code hidden_dropout_prob} and
     *                      {@code attention_probs_dropout_prob}; null keeps the config's
     */
    public record Model(
            @JsonProperty("init") Init init,
            @JsonProperty("path") String path,
            @JsonProperty("bert_path") String bertPath,
            @JsonProperty("qformer_path") String qformerPath,
            @JsonProperty("prompt") String prompt,
            @JsonProperty("train_vit") Boolean trainVit,
            @JsonProperty("train_ln_vision") Boolean trainLnVision,
            @JsonProperty("dropout") Double dropout) {

        public Model {
            if (init == null) {
                throw new IllegalArgumentException("model.init: missing (scratch, bert or checkpoint)");
            }
            if (path == null || path.isEmpty()) {
                throw new IllegalArgumentException("model.path: missing (a BLIP-2 model directory)");
            }
            if (init == Init.BERT && (bertPath == null || bertPath.isEmpty())) {
                throw new IllegalArgumentException("model.bert_path: needed with init bert");
            }
            if (init != Init.BERT && bertPath != null) {
                throw new IllegalArgumentException("model.bert_path: only read with init bert, but init is "
                        + init.configName());
            }
            if (init == Init.STAGE1 && (qformerPath == null || qformerPath.isEmpty())) {
                throw new IllegalArgumentException("model.qformer_path: needed with init stage1 (a stage-1 checkpoint)");
            }
            if (init != Init.STAGE1 && qformerPath != null) {
                throw new IllegalArgumentException("model.qformer_path: only read with init stage1, but init is "
                        + init.configName());
            }
            prompt = prompt != null ? prompt : "";
            trainVit = trainVit != null && trainVit;
            trainLnVision = trainLnVision == null || trainLnVision;
            if (dropout != null && !(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("model.dropout: must be in [0, 1), got " + dropout);
            }
        }
    }

    /**
     * @param annotations   the training pairs: COCO captions, a Karpathy-split list or a JSONL manifest
     * @param format        {@code auto} (default), {@code coco}, {@code karpathy} or {@code jsonl}
     * @param imageRoot     what image paths are relative to; default the annotation file's directory
     * @param features      a feature cache written by {@code qformer features}, read in place of the images
     * @param batchSize     pairs per step (per micro-batch with gradient accumulation); default 8
     * @param numWorkers    loader threads; default 2
     * @param prefetch      batches prepared ahead; default 2 × num_workers
     * @param shuffle       a new order every epoch from the seed (default); false keeps the file order
     * @param augment       LAVIS's {@code blip2_image_train} augmentation (default true; images only)
     * @param maxTxtLen     Q-Former tokens per caption, LAVIS's {@code max_txt_len}; default 32
     * @param maxWords      words kept of a caption, LAVIS's {@code max_words}; default 50
     */
    public record Data(
            @JsonProperty("annotations") String annotations,
            @JsonProperty("format") String format,
            @JsonProperty("image_root") String imageRoot,
            @JsonProperty("features") String features,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("num_workers") Integer numWorkers,
            @JsonProperty("prefetch") Integer prefetch,
            @JsonProperty("shuffle") Boolean shuffle,
            @JsonProperty("augment") Boolean augment,
            @JsonProperty("max_txt_len") Integer maxTxtLen,
            @JsonProperty("max_words") Integer maxWords) {

        public Data {
            if (annotations == null || annotations.isEmpty()) {
                throw new IllegalArgumentException("data.annotations: missing (a COCO, Karpathy or JSONL file)");
            }
            format = format != null ? format : "auto";
            try {
                AnnotationFormat.parse(format);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("data.format: " + e.getMessage());
            }
            batchSize = positive("data.batch_size", batchSize != null ? batchSize : 8);
            numWorkers = positive("data.num_workers", numWorkers != null ? numWorkers : 2);
            prefetch = positive("data.prefetch", prefetch != null ? prefetch : 2 * numWorkers);
            shuffle = shuffle == null || shuffle;
            augment = augment == null || augment;
            maxTxtLen = positive("data.max_txt_len", maxTxtLen != null ? maxTxtLen : 32);
            if (maxTxtLen < 2) {
                throw new IllegalArgumentException("data.max_txt_len: must hold [CLS] and [SEP], got " + maxTxtLen);
            }
            maxWords = positive("data.max_words", maxWords != null ? maxWords : 50);
        }
    }

    /** Each objective's weight in the total (LAVIS adds them with weight 1); 0 turns one off. */
    public record Loss(
            @JsonProperty("itc") Double itc,
            @JsonProperty("itm") Double itm,
            @JsonProperty("itg") Double itg) {

        public Loss {
            itc = weight("loss.itc", itc);
            itm = weight("loss.itm", itm);
            itg = weight("loss.itg", itg);
            if (itc == 0 && itm == 0 && itg == 0) {
                throw new IllegalArgumentException("loss: every weight is 0, nothing would train");
            }
        }

        private static double weight(String field, Double value) {
            double w = value != null ? value : 1.0;
            if (!(w >= 0 && Double.isFinite(w))) {
                throw new IllegalArgumentException(field + ": must be a finite number >= 0, got " + w);
            }
            return w;
        }
    }

    /**
     * Evaluation on a validation split while training, and the best checkpoint kept (docs/training.md
     * "Evaluation while training"). Stage 1 measures retrieval recall (LAVIS's protocol), stage 2 captions the
     * split's images (with {@code model.prompt}) and scores them with pycocoevalcap's metrics.
     *
     * @param annotations  the validation pairs, in any format {@code data.annotations} takes
     * @param format       as {@code data.format}
     * @param imageRoot    as {@code data.image_root}
     * @param everySteps   evaluate every this many steps (default: {@code save_steps}); an evaluation writes a
     *                     checkpoint too, so that the best is one
     * @param perEpoch     evaluate at the end of every epoch instead (LAVIS's rhythm); default false
     * @param metric       what "best" means: a figure's key, or keys joined by {@code +} to add them; default
     *                     {@code r_mean} (stage 1) or {@code CIDEr+Bleu_4} (stage 2), LAVIS's; higher is better
     * @param kTest        stage 1: candidates re-ranked with ITM per row, default 128
     * @param batchSize    images per batch, default 16
     * @param numBeams     stage 2: beams, default 5 (LAVIS's caption evaluation)
     * @param maxNewTokens stage 2: default 30
     * @param minNewTokens stage 2: default 8
     */
    public record Eval(
            @JsonProperty("annotations") String annotations,
            @JsonProperty("format") String format,
            @JsonProperty("image_root") String imageRoot,
            @JsonProperty("every_steps") Integer everySteps,
            @JsonProperty("per_epoch") Boolean perEpoch,
            @JsonProperty("metric") String metric,
            @JsonProperty("k_test") Integer kTest,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("num_beams") Integer numBeams,
            @JsonProperty("max_new_tokens") Integer maxNewTokens,
            @JsonProperty("min_new_tokens") Integer minNewTokens) {

        public Eval {
            if (annotations == null || annotations.isEmpty()) {
                throw new IllegalArgumentException("eval.annotations: missing (the validation pairs)");
            }
            format = format != null ? format : "auto";
            try {
                AnnotationFormat.parse(format);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("eval.format: " + e.getMessage());
            }
            perEpoch = perEpoch != null && perEpoch;
            if (perEpoch && everySteps != null) {
                throw new IllegalArgumentException("eval.every_steps: not with eval.per_epoch; choose one");
            }
            if (everySteps != null) {
                positive("eval.every_steps", everySteps);
            }
            if (metric != null && (metric.isBlank() || java.util.Arrays.stream(metric.split("\\+", -1))
                    .anyMatch(String::isBlank))) {
                throw new IllegalArgumentException("eval.metric: \"" + metric + "\" is not a key or keys joined "
                        + "by +");
            }
            kTest = positive("eval.k_test", kTest != null ? kTest : 128);
            batchSize = positive("eval.batch_size", batchSize != null ? batchSize : 16);
            numBeams = positive("eval.num_beams", numBeams != null ? numBeams : 5);
            maxNewTokens = positive("eval.max_new_tokens", maxNewTokens != null ? maxNewTokens : 30);
            minNewTokens = minNewTokens != null ? minNewTokens : 8;
            if (minNewTokens < 0 || minNewTokens > maxNewTokens) {
                throw new IllegalArgumentException("eval.min_new_tokens: must be in [0, max_new_tokens "
                        + maxNewTokens + "], got " + minNewTokens);
            }
        }

        /** The figures' keys that make up {@link #metric}, for {@code stage} when none is given. */
        public java.util.List<String> metricKeys(int stage) {
            String m = metric != null ? metric : stage == 1 ? "r_mean" : "CIDEr+Bleu_4";
            return java.util.List.of(m.split("\\+"));
        }

        /** Evaluation is due after step {@code finished}. */
        public boolean due(int finished, int saveSteps, int stepsPerEpoch, int totalSteps) {
            int every = perEpoch ? stepsPerEpoch : everySteps != null ? everySteps : saveSteps;
            return finished % every == 0 || finished == totalSteps;
        }
    }

    /** How the learning rate moves: {@code Schedule} in docs/training.md. */
    public enum Schedule {
        /** Linear warm-up from {@code warmup_lr} to {@code lr}, then a cosine to {@code min_lr}, every step. */
        @JsonProperty("linear_warmup_cosine") LINEAR_WARMUP_COSINE,
        /** LAVIS's {@code linear_warmup_cosine_lr}: warm-up within epoch 0, then one cosine value per epoch. */
        @JsonProperty("lavis_linear_warmup_cosine") LAVIS_LINEAR_WARMUP_COSINE,
        /** {@code lr} throughout. */
        @JsonProperty("constant") CONSTANT
    }

    /**
     * AdamW, the schedule and the step's guards; the defaults are LAVIS's BLIP-2 stage 1
     * ({@code pretrain_stage1.yaml}, {@code runner_base.py}).
     *
     * @param lr                        peak learning rate ({@code init_lr}), default 1e-4
     * @param minLr                     where the cosine ends, default 1e-5
     * @param warmupLr                  the rate at step 0, default 1e-6
     * @param warmupSteps               steps of linear warm-up, default 5000
     * @param schedule                  default {@code linear_warmup_cosine}
     * @param weightDecay               on every parameter but biases and 1-D ones, default 0.05
     * @param beta1                     default 0.9
     * @param beta2                     default 0.999
     * @param eps                       default 1e-8
     * @param maxGradNorm               clip the global gradient norm to this; null (default) does not clip
     * @param layerDecay                layer-wise learning-rate decay of the vision tower with {@code train_vit}:
     *                                  layer i of L gets {@code lr · layer_decay^(L − i)}, the embeddings
     *                                  {@code lr · layer_decay^(L + 1)} (BEiT's rule); default 1 (none)
     * @param gradientAccumulationSteps micro-batches per optimizer step, default 1
     * @param maxNonfiniteSteps         consecutive steps with a non-finite loss or gradient norm that stop the
     *                                  run (each is skipped), default 5
     */
    public record Optim(
            @JsonProperty("lr") Double lr,
            @JsonProperty("min_lr") Double minLr,
            @JsonProperty("warmup_lr") Double warmupLr,
            @JsonProperty("warmup_steps") Integer warmupSteps,
            @JsonProperty("schedule") Schedule schedule,
            @JsonProperty("weight_decay") Double weightDecay,
            @JsonProperty("beta1") Double beta1,
            @JsonProperty("beta2") Double beta2,
            @JsonProperty("eps") Double eps,
            @JsonProperty("max_grad_norm") Double maxGradNorm,
            @JsonProperty("layer_decay") Double layerDecay,
            @JsonProperty("gradient_accumulation_steps") Integer gradientAccumulationSteps,
            @JsonProperty("max_nonfinite_steps") Integer maxNonfiniteSteps) {

        public Optim {
            lr = nonNegative("optim.lr", lr != null ? lr : 1e-4);
            minLr = nonNegative("optim.min_lr", minLr != null ? minLr : 1e-5);
            warmupLr = nonNegative("optim.warmup_lr", warmupLr != null ? warmupLr : 1e-6);
            warmupSteps = warmupSteps != null ? warmupSteps : 5000;
            if (warmupSteps < 0) {
                throw new IllegalArgumentException("optim.warmup_steps: must be >= 0, got " + warmupSteps);
            }
            schedule = schedule != null ? schedule : Schedule.LINEAR_WARMUP_COSINE;
            weightDecay = nonNegative("optim.weight_decay", weightDecay != null ? weightDecay : 0.05);
            beta1 = unit("optim.beta1", beta1 != null ? beta1 : 0.9);
            beta2 = unit("optim.beta2", beta2 != null ? beta2 : 0.999);
            eps = nonNegative("optim.eps", eps != null ? eps : 1e-8);
            if (maxGradNorm != null && !(maxGradNorm > 0 && Double.isFinite(maxGradNorm))) {
                throw new IllegalArgumentException("optim.max_grad_norm: must be a finite number > 0, got "
                        + maxGradNorm);
            }
            layerDecay = layerDecay != null ? layerDecay : 1.0;
            if (!(layerDecay > 0 && layerDecay <= 1)) {
                throw new IllegalArgumentException("optim.layer_decay: must be in (0, 1], got " + layerDecay);
            }
            gradientAccumulationSteps = positive("optim.gradient_accumulation_steps",
                    gradientAccumulationSteps != null ? gradientAccumulationSteps : 1);
            maxNonfiniteSteps = positive("optim.max_nonfinite_steps", maxNonfiniteSteps != null ? maxNonfiniteSteps
                    : 5);
        }

        private static double unit(String field, double v) {
            if (!(v >= 0 && v < 1)) {
                throw new IllegalArgumentException(field + ": must be in [0, 1), got " + v);
            }
            return v;
        }
    }

    private static int positive(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + ": must be at least 1, got " + value);
        }
        return value;
    }

    private static double nonNegative(String field, double value) {
        if (!(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException(field + ": must be a finite number >= 0, got " + value);
        }
        return value;
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /**
     * Reads and checks a config file, with its paths resolved against the file's directory.
     *
     * @throws BadInputException {@code FILE: FIELD: problem}, for the first problem found
     */
    public static TrainConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot be read (" + (Files.exists(file) ? e.getMessage()
                    : "no such file") + ")");
        }
        TrainConfig config;
        try {
            config = JSON.readValue(text, TrainConfig.class);
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": " + describe(e));
        }
        if (config == null) {
            throw new BadInputException(file + ": empty (a JSON object is expected)");
        }
        return config.resolvedAgainst(file.toAbsolutePath().getParent());
    }

    /** The config with {@code --output-dir}, {@code --max-steps}, {@code --save-steps}, {@code --seed} applied. */
    public TrainConfig withOverrides(String outputDir, Integer maxSteps, Integer saveSteps, Long seed) {
        return new TrainConfig(outputDir != null ? Path.of(outputDir).toAbsolutePath().normalize().toString()
                : this.outputDir, seed != null ? seed : this.seed, maxSteps != null ? maxSteps : this.maxSteps,
                numTrainEpochs, saveSteps != null ? saveSteps : this.saveSteps, saveTotalLimit, model, data, loss,
                optim, eval);
    }

    /** The config as JSON, every default filled in (what a checkpoint records). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads what {@link #toJson} wrote. */
    public static TrainConfig fromJson(String json) {
        try {
            return JSON.readValue(json, TrainConfig.class);
        } catch (JsonProcessingException e) {
            throw new BadInputException("a saved training config: " + describe(e));
        }
    }

    /**
     * Checks what depends on the stage: stage 1 starts from scratch, BERT or a checkpoint, needs batches of 2 or more
     * and has no prompt; stage 2 starts from a stage-1 checkpoint or a stage-2 one.
     *
     * @return this
     * @throws IllegalArgumentException naming the field
     */
    private static final java.util.List<String> RETRIEVAL_KEYS = java.util.List.of("txt_r1", "txt_r5", "txt_r10",
            "txt_r_mean", "img_r1", "img_r5", "img_r10", "img_r_mean", "r_mean", "agg_metrics");
    private static final java.util.List<String> CAPTION_KEYS = java.util.List.of("Bleu_1", "Bleu_2", "Bleu_3",
            "Bleu_4", "ROUGE_L", "CIDEr");

    public TrainConfig forStage(int stage) {
        Init init = model.init();
        if (stage == 1) {
            if (init == Init.STAGE1) {
                throw new IllegalArgumentException("model.init: stage1 is for stage 2; stage 1 starts from scratch, "
                        + "bert or checkpoint");
            }
            if (data.batchSize() < 2) {
                throw new IllegalArgumentException("data.batch_size: stage 1 needs at least 2 (ITM draws its "
                        + "negatives from the batch), got " + data.batchSize());
            }
            if (!model.prompt().isEmpty()) {
                throw new IllegalArgumentException("model.prompt: only stage 2 reads it");
            }
            if (eval != null && eval.metricKeys(1).stream().anyMatch(k -> !RETRIEVAL_KEYS.contains(k))) {
                throw new IllegalArgumentException("eval.metric: stage 1 reports " + RETRIEVAL_KEYS + ", not "
                        + eval.metric());
            }
        } else if (stage == 2) {
            if (init != Init.STAGE1 && init != Init.CHECKPOINT) {
                throw new IllegalArgumentException("model.init: stage 2 starts from stage1 (a stage-1 checkpoint in "
                        + "model.qformer_path) or checkpoint, not " + init.configName());
            }
            if (eval != null && eval.metricKeys(2).stream().anyMatch(k -> !CAPTION_KEYS.contains(k))) {
                throw new IllegalArgumentException("eval.metric: stage 2 reports " + CAPTION_KEYS + ", not "
                        + eval.metric());
            }
        } else {
            throw new IllegalArgumentException("stage must be 1 or 2, got " + stage);
        }
        return this;
    }

    /** The output directory, which a run needs (from the config or {@code --output-dir}). */
    public Path requireOutputDir() {
        if (outputDir == null || outputDir.isEmpty()) {
            throw new IllegalArgumentException("output_dir: missing (in the config or --output-dir)");
        }
        return Path.of(outputDir);
    }

    private TrainConfig resolvedAgainst(Path dir) {
        Model m = new Model(model.init(), resolve(dir, model.path()), resolve(dir, model.bertPath()),
                resolve(dir, model.qformerPath()), model.prompt(), model.trainVit(), model.trainLnVision(),
                model.dropout());
        Data d = new Data(resolve(dir, data.annotations()), data.format(), resolve(dir, data.imageRoot()),
                resolve(dir, data.features()), data.batchSize(), data.numWorkers(), data.prefetch(), data.shuffle(),
                data.augment(), data.maxTxtLen(), data.maxWords());
        Eval e = eval == null ? null : new Eval(resolve(dir, eval.annotations()), eval.format(),
                resolve(dir, eval.imageRoot()), eval.everySteps(), eval.perEpoch(), eval.metric(), eval.kTest(),
                eval.batchSize(), eval.numBeams(), eval.maxNewTokens(), eval.minNewTokens());
        return new TrainConfig(resolve(dir, outputDir), seed, maxSteps, numTrainEpochs, saveSteps, saveTotalLimit,
                m, d, loss, optim, e);
    }

    private static String resolve(Path dir, String path) {
        return path == null ? null : dir.resolve(path).normalize().toString();
    }

    /** One line naming the field and the problem, from Jackson's exception. */
    private static String describe(JsonProcessingException e) {
        String field = e instanceof JsonMappingException m ? path(m) : "";
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted(Comparator.naturalOrder()).collect(Collectors.joining(", "));
            return field + ": unknown field" + (known.isEmpty() ? "" : " (known here: " + known + ")");
        }
        if (e instanceof ValueInstantiationException v && v.getCause() instanceof IllegalArgumentException bad) {
            return bad.getMessage();
        }
        if (e instanceof InvalidFormatException f) {
            return field + ": " + describeValue(f.getValue()) + " is not a valid " + typeName(f.getTargetType());
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return (field.isEmpty() ? "the config" : field) + ": wrong type, expected " + typeName(m.getTargetType());
        }
        return (field.isEmpty() ? "" : field + ": ") + "not valid JSON (" + e.getOriginalMessage() + ")";
    }

    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String describeValue(Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }

    private static String typeName(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "integer";
        }
        if (type == Double.class || type == double.class) {
            return "number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "string";
        }
        if (type.isEnum()) {
            return "value (one of " + java.util.Arrays.stream(type.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name().toLowerCase(java.util.Locale.ROOT)).collect(Collectors.joining(", "))
                    + ")";
        }
        if (type.isRecord()) {
            return "object";
        }
        return type.getSimpleName();
    }
}
