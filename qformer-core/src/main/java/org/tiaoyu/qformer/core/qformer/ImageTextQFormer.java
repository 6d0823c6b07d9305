package org.tiaoyu.qformer.core.qformer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.StateDict;
import org.tiaoyu.qformer.core.qformer.QFormerModel.ImageContext;
import org.tiaoyu.qformer.core.qformer.QFormerModel.Output;

/**
 * The Q-Former with its text embeddings and stage-1 heads: HF's {@code Blip2ForImageTextRetrieval} without the
 * vision tower, plus what LAVIS trains and HF drops — the learnable temperature {@code temp} and the ITG head
 * {@code cls} (decoder tied to {@code embeddings.word_embeddings}). Parameter paths are the checkpoint keys.
 *
 * <p>It runs the passes stage 1 needs: the query pass over image features ({@link #imagePass}), the text pass
 * ({@link #textPass}), a joint pass under a {@link MaskStrategy} ({@link #jointPass}), and the text-over-cached-
 * queries pass of ITG ({@link #textOverQueriesPass}); and the heads on their outputs.
 */
public final class ImageTextQFormer extends Module {

    private static final Logger LOG = LoggerFactory.getLogger(ImageTextQFormer.class);

    /** LAVIS's initial temperature ({@code self.temp = nn.Parameter(0.07 * torch.ones([]))}). */
    public static final double INITIAL_TEMPERATURE = 0.07;

    public final Blip2Config config;
    public final Tensor queryTokens;                 // [1, Q, D]
    public final QFormerTextEmbeddings embeddings;
    public final QFormerModel qformer;
    public final Linear visionProjection;            // D → E
    public final Linear textProjection;              // D → E
    public final Linear itmHead;                     // D → 2
    public final Tensor temp;                        // scalar
    public final ItgHead cls;

    public ImageTextQFormer(Blip2Config config, DataType type) {
        QFormerConfig q = config.qformer();
        this.config = config;
        this.queryTokens = parameter("query_tokens", Nd4j.zeros(type, 1, config.numQueryTokens(), q.hiddenSize()));
        this.embeddings = child("embeddings", new QFormerTextEmbeddings(q, type));
        this.qformer = child("qformer", new QFormerModel(q, true, type));
        this.visionProjection = child("vision_projection",
                new Linear(q.hiddenSize(), config.imageTextHiddenSize(), true, type));
        this.textProjection = child("text_projection",
                new Linear(q.hiddenSize(), config.imageTextHiddenSize(), true, type));
        this.itmHead = child("itm_head", new Linear(q.hiddenSize(), 2, true, type));
        this.temp = parameter("temp", Nd4j.scalar(type, INITIAL_TEMPERATURE));
        this.cls = child("cls", new ItgHead(q, embeddings.wordEmbeddings.weight, type));
    }

    /**
     * Loads a {@code Blip2ForImageTextRetrieval} directory or a stage-1 checkpoint (float32). {@code temp} and the
     * ITG head may be absent (an HF retrieval checkpoint): they keep LAVIS's initial values, which the log says.
     * Tensors of other parts (the vision tower, a language model) are left for their own modules.
     */
    public static ImageTextQFormer load(Path modelDir) {
        return load(modelDir, Blip2Config.read(modelDir));
    }

    /**
     * {@link #load(Path)} with the directory's config replaced by {@code config} (e.g. another dropout), which must
     * give the same tensor shapes.
     */
    public static ImageTextQFormer load(Path modelDir, Blip2Config config) {
        if (config.savedAs(Blip2Config.CONDITIONAL_GENERATION) && !config.savedAs(Blip2Config.IMAGE_TEXT_RETRIEVAL)) {
            throw new BadInputException(modelDir + ": a " + Blip2Config.CONDITIONAL_GENERATION + " model, which "
                    + "captions and answers (qformer caption, vqa, generate), not an image-text matching one ("
                    + Blip2Config.IMAGE_TEXT_RETRIEVAL + " or a stage-1 checkpoint)");
        }
        ImageTextQFormer model = new ImageTextQFormer(config, DataType.FLOAT);
        model.initialize(new Rng(0));
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            StateDict.LoadReport report = StateDict.load(model, checkpoint, "", false);
            List<String> required = report.missing().stream()
                    .filter(name -> !name.equals("temp") && !name.startsWith("cls.")).toList();
            if (!required.isEmpty()) {
                throw new BadInputException(modelDir + ": not an image-text Q-Former checkpoint: " + required.size()
                        + " tensors missing (" + String.join(", ", required.subList(0, Math.min(5, required.size())))
                        + (required.size() > 5 ? ", ..." : "") + ")");
            }
            if (!report.missing().isEmpty()) {
                LOG.debug("{}: no temp / ITG head in the checkpoint; using LAVIS's initial values", modelDir);
            }
        }
        return model;
    }

    /**
     * BLIP-2's initialisation (HF {@code Blip2PreTrainedModel._init_weights}, LAVIS): weights and embeddings and the
     * query tokens from N(0, initializer_range), biases 0, LayerNorm weights 1, temperature 0.07.
     */
    public void initialize(Rng rng) {
        double std = config.qformer().initializerRange();
        for (Map.Entry<String, Tensor> e : namedParameters().entrySet()) {
            String name = e.getKey();
            INDArray p = e.getValue().data();
            if (name.equals("temp")) {
                p.assign(INITIAL_TEMPERATURE);
            } else if (name.endsWith("bias")) {
                p.assign(0);
            } else if (name.toLowerCase().endsWith("layernorm.weight")) {
                p.assign(1);
            } else {
                rng.fillNormal(p, 0.0, std);
            }
        }
    }

    public int numQueries() {
        return (int) queryTokens.size(1);
    }

    /** The learnable query tokens for a batch: [B, Q, D] (a broadcast, so gradients sum over the batch). */
    public Tensor queries(long batch) {
        return queryTokens.add(Ops.full(queryTokens.dataType(), 0.0, batch, 1, 1));
    }

    /**
     * Queries alone, cross-attending to the image: LAVIS's {@code Qformer.bert(query_embeds=query_tokens,
     * encoder_hidden_states=image_embeds, use_cache=True)}. Its key/values feed {@link #textOverQueriesPass}.
     */
    public Output imagePass(Tensor imageEmbeds) {
        return imagePass(qformer.encodeImage(imageEmbeds), imageEmbeds.size(0));
    }

    /** {@link #imagePass(Tensor)} over images whose cross-attention keys/values are computed already. */
    public Output imagePass(ImageContext image, long batch) {
        return qformer.forward(queries(batch), numQueries(), null, image, null);
    }

    /** Text alone, bidirectional over the real tokens: the ITC text pass. */
    public Output textPass(INDArray inputIds, INDArray attentionMask) {
        Tensor mask = MaskStrategy.BIDIRECTIONAL.build(0, attentionMask, queryTokens.dataType());
        return qformer.forward(embeddings.forward(inputIds, null), 0, mask, (ImageContext) null, null);
    }

    /** [queries ; text] in one pass under {@code strategy} (ITM uses {@link MaskStrategy#BIDIRECTIONAL}). */
    public Output jointPass(INDArray inputIds, INDArray attentionMask, Tensor imageEmbeds, MaskStrategy strategy) {
        return jointPass(inputIds, attentionMask, qformer.encodeImage(imageEmbeds), strategy);
    }

    /** {@link #jointPass(INDArray, INDArray, Tensor, MaskStrategy)} over encoded images (one per text row). */
    public Output jointPass(INDArray inputIds, INDArray attentionMask, ImageContext image, MaskStrategy strategy) {
        Tensor mask = strategy.build(numQueries(), attentionMask, queryTokens.dataType());
        Tensor input = embeddings.forward(inputIds, queries(inputIds.size(0)));
        return qformer.forward(input, numQueries(), mask, image, null);
    }

    /**
     * Text rows attending to the queries' cached self-attention keys/values of {@code imagePass} and to earlier
     * text: LAVIS's ITG pass. The same as the text rows of a {@link MaskStrategy#MULTIMODAL_CAUSAL} joint pass,
     * without recomputing the queries. Gradients flow into the cached keys and values.
     */
    public Output textOverQueriesPass(INDArray inputIds, INDArray attentionMask, Output imagePass) {
        int q = numQueries();
        INDArray visible = MaskStrategy.MULTIMODAL_CAUSAL.visibility(q, attentionMask);
        INDArray textRows = visible.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(q, visible.size(1)),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();          // [B, T, Q+T]
        Tensor mask = MaskStrategy.additive(textRows, queryTokens.dataType());
        return qformer.forward(embeddings.forward(inputIds, null), 0, mask, (ImageContext) null,
                imagePass.keyValues());
    }

    /** ITC image features: L2-normalised {@code vision_projection} of every query output, [B, Q, E]. */
    public Tensor imageFeatures(Output imagePass) {
        return Ops.l2Normalize(visionProjection.forward(imagePass.lastHiddenState()), -1, 1e-12);
    }

    /** ITC text feature: L2-normalised {@code text_projection} of the first ([CLS]) token's output, [B, E]. */
    public Tensor textFeature(Output textPass) {
        Tensor h = textPass.lastHiddenState();
        Tensor cls = h.slice(1, 0, 1).reshape(h.size(0), h.size(2));
        return Ops.l2Normalize(textProjection.forward(cls), -1, 1e-12);
    }

    /**
     * The ITC similarity of every image with every text: the best query's dot product of the normalised features,
     * [B_image, B_text] from image features [B_image, Q, E] and text features [B_text, E] (LAVIS's
     * {@code sim_q2t.max(-1)}; HF's retrieval logits without temperature).
     */
    public static Tensor imageTextSimilarity(Tensor imageFeats, Tensor textFeat) {
        long images = imageFeats.size(0);
        long queries = imageFeats.size(1);
        Tensor perQuery = Ops.matmul(imageFeats.reshape(images * queries, -1), textFeat, false, true, 1.0)
                .reshape(images, queries, textFeat.size(0));                    // [B_image, Q, B_text]
        return Ops.max(perQuery, 1);
    }

    /** ITM logits [B, 2]: {@code itm_head} on each query row of a joint pass, averaged over the queries. */
    public Tensor itmLogits(Output jointPass) {
        Tensor queryRows = jointPass.lastHiddenState().slice(1, 0, numQueries());
        return itmHead.forward(queryRows).mean(1);
    }

    /** ITG vocabulary scores [B, T, V] at every text position of a text pass. */
    public Tensor itgLogits(Output textRows) {
        return cls.forward(textRows.lastHiddenState());
    }
}
