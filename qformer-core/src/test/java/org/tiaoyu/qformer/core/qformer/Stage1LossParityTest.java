package org.tiaoyu.qformer.core.qformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * LAVIS's exact stage-1 losses, logits and gradients (testdata/stage1, a float64 PyTorch reference that
 * follows blip2_qformer.py step by step) reproduced in float32 within 1e-4 (gradients: 1e-4 + 1e-4·|reference|).
 */
class Stage1LossParityTest {

    /** Special ids of the fixture (its meta.json): pad 0, [DEC] 119. */
    static final long PAD = 0;
    static final long DEC = 119;

    static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        INDArray e = expected.castTo(DataType.DOUBLE).dup('c'); // linear indices below are in c order
        INDArray a = actual.castTo(DataType.DOUBLE).dup('c');
        for (long i = 0; i < e.length(); i++) {
            double allowed = tolerance + tolerance * Math.abs(e.getDouble(i));
            double diff = Math.abs(e.getDouble(i) - a.getDouble(i));
            assertTrue(diff <= allowed, what + "[" + i + "]: expected " + e.getDouble(i) + ", got " + a.getDouble(i));
        }
    }

    @Test
    void lossesLogitsAndGradientsMatchLavis() {
        Path dir = Fixtures.path("stage1");
        var model = ImageTextQFormer.load(dir.resolve("stage1_model"));
        try (var in = SafetensorsFile.open(dir.resolve("stage1_inputs.safetensors"));
                var ref = SafetensorsFile.open(dir.resolve("stage1_reference.safetensors"))) {
            Tensor image = Tensor.variable(in.load("image_embeds", DataType.FLOAT));
            var batch = new Stage1Loss.Batch(image, in.load("input_ids"), in.load("attention_mask"));
            var negatives = new Stage1Loss.Negatives(in.load("itm_neg_image_idx").toLongVector(),
                    in.load("itm_neg_text_idx").toLongVector());
            var result = new Stage1Loss(model, DEC, PAD).compute(batch, negatives);

            assertClose(ref.load("loss_itc"), result.itc().loss().data(), 1e-4, "loss_itc");
            assertClose(ref.load("loss_itm"), result.itm().loss().data(), 1e-4, "loss_itm");
            assertClose(ref.load("loss_itg"), result.itg().loss().data(), 1e-4, "loss_itg");
            assertClose(ref.load("loss"), result.loss().data(), 1e-4, "loss");
            assertClose(ref.load("sim_i2t"), result.itc().simI2t().data(), 1e-4, "sim_i2t");
            assertClose(ref.load("sim_t2i"), result.itc().simT2i().data(), 1e-4, "sim_t2i");
            assertClose(ref.load("itm_logits"), result.itm().logits().data(), 1e-4, "itm_logits");
            assertArrayEquals(ref.load("itm_labels").toLongVector(), result.itm().labels());
            assertClose(ref.load("itg_logits"), result.itg().logits().data(), 1e-4, "itg_logits");
            assertArrayEquals(ref.load("itg_labels").reshape(-1).toLongVector(), result.itg().labels().reshape(-1).toLongVector());
            assertArrayEquals(ref.load("decoder_input_ids").reshape(-1).toLongVector(),
                    result.itg().decoderInputIds().reshape(-1).toLongVector());
            assertClose(ref.load("image_feats"), result.outputs().imageFeats().data(), 1e-4, "image_feats");
            assertClose(ref.load("text_feat"), result.outputs().textFeat().data(), 1e-4, "text_feat");

            result.loss().backward();
            int checked = 0;
            for (var e : model.namedParameters().entrySet()) {
                INDArray grad = e.getValue().grad();
                assertNotNull(grad, "no gradient for " + e.getKey());
                assertClose(ref.load("grad." + e.getKey()), grad, 1e-4, "grad." + e.getKey());
                checked++;
            }
            assertEquals(ref.tensors().stream().filter(t -> t.name().startsWith("grad.") && !t.name().endsWith(".f64")
                    && !t.name().equals("grad.image_embeds")).count(), checked, "every reference gradient checked");
            assertClose(ref.load("grad.image_embeds"), image.grad(), 1e-4, "grad.image_embeds");
        }
    }
}
