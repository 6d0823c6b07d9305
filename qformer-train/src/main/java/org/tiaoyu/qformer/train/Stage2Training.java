package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.StateDict;
import org.tiaoyu.qformer.core.qformer.QueryTransformer;
import org.tiaoyu.qformer.data.BatchLoader;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.lm.LanguageProjection;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * BLIP-2 stage 2: the query outputs, projected by {@code language_projection}, are the soft prompt of a frozen
 * language model that learns to caption. The Q-Former, its query tokens, the projection and {@code ln_vision} train
 * (the whole vision tower with {@code model.train_vit}); the language model stays frozen, with its own dropout
 * active as in LAVIS.
 * <ul>
 *   <li>OPT, as LAVIS's {@code Blip2OPT.forward}: {@code [queries ; prompt + caption + "\n"]}, next-token loss with
 *       no loss on the queries, the prompt (with its bos) and the padding.</li>
 *   <li>Flan-T5, as LAVIS's {@code Blip2T5.forward} (prefix language modelling): the encoder reads
 *       {@code [queries ; prompt]}, the decoder is taught the caption (with T5's {@code </s>}), the padding
 *       ignored.</li>
 * </ul>
 * The model is saved as a {@code Blip2ForConditionalGeneration} directory (config, every weight, the tokenizer and
 * processor files of {@code model.path}), which {@code qformer caption} takes as it is.
 */
public final class Stage2Training extends CaptionTrainingStage<Stage2Training.Batch> {

    private static final long IGNORE = -100;

    /**
     * A batch as a step takes it.
     *
     * @param visual        pixel values [B, 3, S, S], or cached features
     * @param inputIds      OPT: ids of {@code prompt + caption + "\n"} [B, T], bos first, right-padded; T5: the
     *                      encoder's prompt ids
     * @param attentionMask [B, T]
     * @param labels        OPT: {@code inputIds} with the bos, the prompt and the padding at -100; T5: the
     *                      caption's ids (the decoder's targets) with the padding at -100
     */
    public record Batch(INDArray visual, INDArray inputIds, INDArray attentionMask, long[][] labels) {}

    private final QueryTransformer queries;
    private final Linear projection;
    private final OptForCausalLm opt;                    // exactly one of opt and t5
    private final T5ForConditionalGeneration t5;
    private final int promptLength;

    private Stage2Training(TrainConfig config, Path modelDir, VisualInput visual, QueryTransformer queries,
            Linear projection, OptForCausalLm opt, T5ForConditionalGeneration t5, String initDescription) {
        super(config, modelDir, visual, HfTokenizer.load(modelDir), initDescription);
        this.queries = queries;
        this.projection = projection;
        this.opt = opt;
        this.t5 = t5;
        if (tokenizer.specialIds().pad().isEmpty()) {
            throw new BadInputException(modelDir + ": the tokenizer has no pad token");
        }
        this.promptLength = tokenizer.encode(config.model().prompt()).length;   // with its bos, as LAVIS counts
        long queryCount = queries.queryTokens.data().size(1);
        if (opt != null && config.data().maxTxtLen() + queryCount > opt.config.maxPositionEmbeddings()) {
            throw new BadInputException("data.max_txt_len: " + config.data().maxTxtLen() + " tokens after the "
                    + queryCount + " queries are more than the " + opt.config.maxPositionEmbeddings()
                    + " positions of the language model in " + modelDir);
        }
    }

    /**
     * Loads the model as {@code config.model()} says, and reads the data.
     *
     * @throws BadInputException for a missing or unusable model, data file or feature cache, or no usable record
     */
    public static Stage2Training create(TrainConfig config) {
        config.forStage(2);
        TrainConfig.Model m = config.model();
        Path modelDir = Path.of(m.path());
        Blip2Config blip2 = Blip2Config.read(modelDir);
        if (m.dropout() != null) {
            blip2 = blip2.withQFormer(blip2.qformer().withDropout(m.dropout()));
        }
        Path qformerSource = m.init() == TrainConfig.Init.STAGE1 ? Path.of(m.qformerPath()) : modelDir;
        QueryTransformer queries = new QueryTransformer(blip2, DataType.FLOAT);
        try (Checkpoint checkpoint = Checkpoint.open(qformerSource)) {
            StateDict.LoadReport report = StateDict.load(queries, checkpoint, "", false);
            if (!report.missing().isEmpty()) {
                throw new BadInputException(qformerSource + ": not a checkpoint of this model's Q-Former: "
                        + report.missing().size() + " tensors missing (first " + report.missing().get(0) + ")");
            }
        }
        Linear projection;
        String init;
        if (m.init() == TrainConfig.Init.STAGE1) {
            projection = LanguageProjection.create(blip2, DataType.FLOAT);
            Rng rng = new Rng(config.seed());
            rng.fillNormal(projection.weight.data(), 0.0, blip2.initializerRange());   // HF's _init_weights
            projection.bias.data().assign(0);
            init = "the Q-Former, queries and vision tower from the stage-1 checkpoint " + qformerSource
                    + ", language_projection at random (seed " + config.seed() + "), the language model from "
                    + modelDir;
        } else {
            projection = LanguageProjection.load(modelDir);
            init = "every weight from the checkpoint " + modelDir;
        }
        VisualInput visual = new VisualInput(Blip2VisionTower.load(qformerSource),
                ImageProcessor.fromModelDir(modelDir), config.data(), m);
        boolean decoderOnly = blip2.useDecoderOnlyLanguageModel();
        return new Stage2Training(config, modelDir, visual, queries, projection,
                decoderOnly ? OptForCausalLm.load(modelDir) : null,
                decoderOnly ? null : T5ForConditionalGeneration.load(modelDir), init);
    }

    @Override
    public int stage() {
        return 2;
    }

    @Override
    public BatchLoader.BatchMaker<Batch> batchMaker() {
        String prompt = config.model().prompt();
        int maxTxtLen = config.data().maxTxtLen();
        return (records, rngs) -> {
            VisualInput.Prepared p = visual.prepare(records, rngs);
            if (p.usable().isEmpty()) {
                return new BatchLoader.Prepared<>(null, p.skipped());
            }
            List<String> captions = p.usable().stream().map(CaptionRecord::caption).toList();
            EncodedBatch text;
            EncodedBatch targets;
            synchronized (tokenizer) {
                if (opt != null) {
                    text = tokenizer.encodeBatch(captions.stream().map(c -> prompt + c + "\n").toList(),
                            PaddingSide.RIGHT, maxTxtLen);
                    targets = text;
                } else {
                    text = tokenizer.encodeBatch(captions.stream().map(c -> prompt).toList(), PaddingSide.RIGHT,
                            maxTxtLen);
                    targets = tokenizer.encodeBatch(captions, PaddingSide.RIGHT, maxTxtLen);
                }
            }
            int ignoredPrefix = opt != null ? promptLength : 0;
            long[][] labels = new long[targets.size()][];
            for (int b = 0; b < labels.length; b++) {
                labels[b] = targets.inputIds()[b].clone();
                for (int t = 0; t < labels[b].length; t++) {
                    if (t < ignoredPrefix || targets.attentionMask()[b][t] == 0) {
                        labels[b][t] = IGNORE;
                    }
                }
            }
            return new BatchLoader.Prepared<>(new Batch(p.visual(), text.inputIdsArray(), text.attentionMaskArray(),
                    labels), p.skipped());
        };
    }

    @Override
    public Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>(visual.trainableParameters());
        out.putAll(queries.trainableParameters());
        projection.trainableParameters().forEach((name, p) -> out.put("language_projection." + name, p));
        return out;
    }

    @Override
    public void train(Rng rng) {
        queries.train(rng);
        // Frozen is not eval: LAVIS leaves the language model in training mode, so its own dropout stays on.
        if (opt != null) {
            opt.train(rng);
        } else {
            t5.train(rng);
        }
    }

    @Override
    public void eval() {
        queries.eval();
        (opt != null ? opt : t5).eval();
    }

    @Override
    public Map<String, Tensor> losses(Batch batch, Rng rng) {
        Tensor soft = projection.forward(queries.forward(visual.embeds(batch.visual())).lastHiddenState()); // [B,Q,E]
        long b = soft.size(0);
        long q = soft.size(1);
        INDArray mask = Nd4j.concat(1, Nd4j.ones(DataType.INT64, b, q), batch.attentionMask().castTo(DataType.INT64));
        Tensor logits;                                                                      // [B, T, V]
        if (opt != null) {
            // The scores at the positions that predict text tokens, Q−1 to Q+T−2 (HF's shifted causal-LM loss).
            long t = batch.inputIds().size(1);
            Tensor hidden = opt.forward(Ops.concat(1, soft, opt.embed(batch.inputIds())), mask).lastHiddenState();
            logits = opt.logits(Ops.contiguous(hidden.slice(1, q - 1, q + t - 1)));
        } else {
            Tensor encoded = t5.encode(Ops.concat(1, soft, t5.embed(batch.inputIds())), mask);
            logits = t5.logits(shiftRight(batch.labels()), encoded, mask);
        }
        long t = logits.size(1);
        long[] targets = new long[(int) (b * t)];
        for (int i = 0; i < b; i++) {
            System.arraycopy(batch.labels()[i], 0, targets, (int) (i * t), (int) t);
        }
        Tensor loss = Ops.crossEntropy(logits.reshape(b * t, logits.size(2)), targets, 0.0, IGNORE);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("loss", loss);
        out.put("loss_lm", loss);
        return out;
    }

    /** HF's T5 {@code _shift_right}: the decoder start token, then the labels but the last, -100 as padding. */
    private INDArray shiftRight(long[][] labels) {
        long[][] ids = new long[labels.length][];
        for (int b = 0; b < labels.length; b++) {
            ids[b] = new long[labels[b].length];
            ids[b][0] = t5.config.decoderStartTokenId();
            for (int t = 1; t < ids[b].length; t++) {
                long label = labels[b][t - 1];
                ids[b][t] = label == IGNORE ? t5.config.padTokenId() : label;
            }
        }
        return Nd4j.createFromArray(ids);
    }

    @Override
    public void release(Batch batch) {
        Arena.release(batch.visual(), batch.inputIds(), batch.attentionMask());
    }

    @Override
    public void saveModel(Path dir) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        queries.namedParameters().forEach((name, p) -> tensors.put(name, p.data()));
        projection.namedParameters().forEach((name, p) -> tensors.put("language_projection." + name, p.data()));
        (opt != null ? opt : t5).namedParameters().forEach((name, p) -> tensors.put("language_model." + name,
                p.data()));
        writeModel(dir, tensors);
    }

    @Override
    public void loadModel(Path dir) {
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            StateDict.load(visual.tower, checkpoint, "vision_model.", true);
            StateDict.load(queries, checkpoint, "", false);
            StateDict.load(projection, checkpoint, "language_projection.", true);
        }
    }

}
