import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.VisionAttention.QkvBias;

/** A Blip2VisionModel directory with random weights: ViT-B/16 at 224 px (768 wide, 12 layers, 12 heads). */
public class MakeTower {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        VisionConfig c = new VisionConfig(768, 3072, 12, 12, 224, 16, 1e-6, Activation.GELU, true, 0.0, 3);
        Nd4j.getRandom().setSeed(0);
        Blip2VisionTower tower = new Blip2VisionTower(c, QkvBias.FUSED, DataType.FLOAT);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tower.namedParameters().forEach((name, p) -> tensors.put(name, Nd4j.randn(DataType.FLOAT, p.shape())
                .muli(p.rank() == 1 ? 0.02 : 1.0 / Math.sqrt(p.size(-1)))));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        Files.writeString(dir.resolve("config.json"), """
            {"model_type": "blip_2_vision_model", "architectures": ["Blip2VisionModel"], "hidden_size": 768,
             "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12, "image_size": 224,
             "patch_size": 16, "layer_norm_eps": 1e-6, "hidden_act": "gelu", "qkv_bias": true,
             "attention_dropout": 0.0}
            """);
        System.out.println(tensors.keySet().iterator().next() + " ... " + tensors.size() + " tensors");
    }
}
