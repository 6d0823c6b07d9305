package org.tiaoyu.qformer.core.config;

import java.nio.file.Path;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * The typed {@code config.json} of a model directory as HF's {@code save_pretrained} writes it. Which record
 * a directory gets is decided by its {@code model_type} (or, when that is absent, its {@code architectures}),
 * as HF's {@code AutoConfig} does:
 * <ul>
 *   <li>{@code blip-2} → {@link Blip2Config} ({@code Blip2ForConditionalGeneration},
 *       {@code Blip2ForImageTextRetrieval}, stage-1 checkpoints);</li>
 *   <li>{@code blip_2_vision_model} → {@link VisionConfig} ({@code Blip2VisionModel});</li>
 *   <li>{@code clip_vision_model} → {@link ClipVisionConfig} ({@code CLIPVisionModel}).</li>
 * </ul>
 * Fields a config leaves out take HF's defaults; fields we do not use are ignored.
 */
public sealed interface ModelConfig permits Blip2Config, VisionConfig, ClipVisionConfig {

    /**
     * Reads and validates a model directory's {@code config.json}.
     *
     * @param modelDir the model directory, or the {@code config.json} file itself
     * @return the config, of the type the file's {@code model_type} names
     * @throws BadInputException when the file is missing or unreadable, is not JSON, holds a field of the wrong
     *                           type or an invalid value, or names a model type we do not support; the message
     *                           is one line starting with the file's path
     */
    static ModelConfig read(Path modelDir) {
        return HfConfigReader.read(modelDir);
    }
}
