import java.nio.file.Path;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.vision.image.ImageInput;

/** The README's quick start (README.md "Quick start (Java)"); the fixture directory may be given as an argument. */
public class QuickStart {
    public static void main(String[] args) {
        Path e2e = Path.of(args.length > 0 ? args[0] : "testdata/e2e");
        try (Blip2Captioner blip2 = Blip2Captioner.load(e2e.resolve("caption_model"))) {
            ImageInput photo = ImageInput.of(e2e.resolve("images/photo_640x427.jpg"));
            GenerationConfig greedy = blip2.defaults().toBuilder().maxNewTokens(12).build();
            System.out.println(blip2.caption(photo, "", greedy).text());
            GenerationConfig beams = greedy.toBuilder().numBeams(3).build();
            System.out.println(blip2.caption(photo, "a photo of", beams).text());
        }
    }
}
