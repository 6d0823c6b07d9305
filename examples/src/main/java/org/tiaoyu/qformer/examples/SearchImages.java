package org.tiaoyu.qformer.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.NativeBackend;
import org.tiaoyu.qformer.pipeline.Blip2FeatureExtractor;
import org.tiaoyu.qformer.vision.image.ImageInput;

/**
 * Text→image search over a folder: every picture's ITC features once (a batch at a time), then each query's text
 * feature, and the pictures ranked by the best query's cosine similarity — the first stage of LAVIS's retrieval.
 * Works with a {@code Blip2ForImageTextRetrieval} directory (e.g. {@code Salesforce/blip2-itm-vit-g}) or a stage-1
 * checkpoint of {@code qformer train stage1}.
 *
 * <p>Run: {@code java -cp … org.tiaoyu.qformer.examples.SearchImages MODEL_DIR IMAGE_FOLDER "QUERY" [TOP_K]}.
 */
public final class SearchImages {

    /** A picture and its similarity to the query. */
    public record Hit(Path image, double similarity) {}

    private SearchImages() {}

    /** The {@code topK} pictures of {@code folder} (PNG, JPEG, BMP, GIF, WebP) most similar to {@code query}. */
    public static List<Hit> search(Path modelDir, Path folder, String query, int topK) throws IOException {
        List<Path> images;
        try (Stream<Path> files = Files.list(folder)) {
            images = files.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT)
                    .matches(".*\\.(png|jpe?g|bmp|gif|webp)")).sorted().toList();
        }
        List<Hit> hits = new ArrayList<>();
        try (Blip2FeatureExtractor blip2 = Blip2FeatureExtractor.load(modelDir)) {
            Blip2FeatureExtractor.TextFeatures text = blip2.text(List.of(query));
            for (int start = 0; start < images.size(); start += 16) {
                List<Path> batch = images.subList(start, Math.min(images.size(), start + 16));
                INDArray similarity = Blip2FeatureExtractor.similarity(
                        blip2.image(batch.stream().map(ImageInput::of).toList()), text);       // [batch, 1]
                for (int i = 0; i < batch.size(); i++) {
                    hits.add(new Hit(batch.get(i), similarity.getDouble(i, 0)));
                }
            }
        }
        hits.sort(Comparator.comparingDouble(Hit::similarity).reversed());
        return hits.subList(0, Math.min(topK, hits.size()));
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: SearchImages MODEL_DIR IMAGE_FOLDER \"QUERY\" [TOP_K]");
            System.exit(2);
        }
        NativeBackend.configure();
        int topK = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        for (Hit hit : search(Path.of(args[0]), Path.of(args[1]), args[2], topK)) {
            System.out.printf(Locale.ROOT, "%.4f  %s%n", hit.similarity(), hit.image());
        }
    }
}
