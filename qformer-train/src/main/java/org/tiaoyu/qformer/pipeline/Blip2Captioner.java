package org.tiaoyu.qformer.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.qformer.QueryTransformer;
import org.tiaoyu.qformer.lm.ImageTokens;
import org.tiaoyu.qformer.lm.LanguageProjection;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.lm.generate.Generator;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * Captions images with a BLIP-2 OPT model directory as the hub ships it, as HF's {@code Blip2Processor} +
 * {@code Blip2ForConditionalGeneration.generate} (greedy) + {@code processor.batch_decode(skip_special_tokens=True)}
 * do: the prompt is {@code [image]·Q + tokenizer(prompt)} (the tokenizer adds its bos), left-padded in a batch; the
 * text is the whole decoded sequence, prompt included. Load once, caption many; close to free the tokenizer.
 */
public final class Blip2Captioner implements AutoCloseable {

    private final Blip2Config config;
    private final ImageProcessor processor;
    private final Blip2VisionTower vision;
    private final QueryTransformer queries;
    private final Linear projection;
    private final OptForCausalLm lm;
    private final HfTokenizer tokenizer;

    private Blip2Captioner(Path modelDir) {
        this.config = Blip2Config.read(modelDir);
        if (!(config.text() instanceof OptConfig)) {
            throw new BadInputException(modelDir + ": captioning supports OPT language models so far (this is "
                    + config.text().getClass().getSimpleName() + ")");
        }
        this.processor = ImageProcessor.fromModelDir(modelDir);
        this.vision = Blip2VisionTower.load(modelDir);
        this.queries = QueryTransformer.load(modelDir);
        this.projection = LanguageProjection.load(modelDir);
        this.lm = OptForCausalLm.load(modelDir);
        this.tokenizer = HfTokenizer.load(modelDir);
    }

    /** Loads a {@code Blip2ForConditionalGeneration} directory with its tokenizer and processor files. */
    public static Blip2Captioner load(Path modelDir) {
        return new Blip2Captioner(modelDir);
    }

    /** One caption per image, all with the same prompt ({@code ""} for none), greedy, up to {@code maxNewTokens}. */
    public List<String> caption(List<Path> images, String prompt, int maxNewTokens) {
        return caption(images, Collections.nCopies(images.size(), prompt), maxNewTokens);
    }

    /** One caption per image with its own prompt; the images form one batch. */
    public List<String> caption(List<Path> images, List<String> prompts, int maxNewTokens) {
        if (images.size() != prompts.size() || images.isEmpty()) {
            throw new IllegalArgumentException("need one prompt per image, got " + images.size() + " images and "
                    + prompts.size() + " prompts");
        }
        long imageToken = config.imageTokenIndex().orElseThrow(
                () -> new IllegalStateException("the model has no image_token_index"));
        INDArray ids;
        INDArray mask;
        {
            EncodedBatch encoded = tokenizer.encodeBatch(prompts, PaddingSide.LEFT);
            int q = config.numQueryTokens();
            long[][] withImages = new long[encoded.size()][q + encoded.length()];
            long[][] maskWithImages = new long[encoded.size()][q + encoded.length()];
            for (int i = 0; i < encoded.size(); i++) {
                for (int j = 0; j < q; j++) {
                    withImages[i][j] = imageToken;
                    maskWithImages[i][j] = 1;
                }
                System.arraycopy(encoded.inputIds()[i], 0, withImages[i], q, encoded.length());
                System.arraycopy(encoded.attentionMask()[i], 0, maskWithImages[i], q, encoded.length());
            }
            ids = Nd4j.createFromArray(withImages);
            mask = Nd4j.createFromArray(maskWithImages);
        }
        long[][] sequences;
        try (var noGrad = Grad.off(); var arena = Arena.open("caption")) {
            Tensor pixels = Tensor.constant(processor.pixelValues(images));
            Tensor projected = projection.forward(queries.forward(vision.encode(pixels).lastHiddenState())
                    .lastHiddenState());
            Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids, imageToken);
            sequences = Generator.generate(lm.startDecoding(ids, embeds, mask),
                    GenerationConfig.builder().maxNewTokens(maxNewTokens).build()).sequences();
        }
        return new ArrayList<>(tokenizer.decodeBatch(sequences, true));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
