package org.tiaoyu.qformer.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.vision.image.ImageInput;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * The Flan-T5 path of {@link Blip2Captioner}, on the T5 fixture's weights with a SentencePiece-Unigram
 * {@code tokenizer.json} written here (T5's layout: Metaspace, {@code </s>} appended by the post-processor): the
 * prompt is {@code [image]·Q + tokenizer(prompt)}, the output starts with the decoder start token and excludes the
 * prompt, and right padding in a batch changes nothing.
 */
class T5CaptionerTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void hubStyleDirectory() throws Exception {
        TinyT5Directory.write(dir);
    }

    @Test
    void theTokenizerIsT5s() {
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertArrayEquals(new long[] {3, 4, 5, 1}, tokenizer.encode("a photo of"));        // </s> appended
            assertArrayEquals(new long[] {1}, tokenizer.encode(""));
            assertEquals("a photo of", tokenizer.decode(new long[] {0, 3, 4, 5, 1}, true));
        }
    }

    @Test
    void captionsAreTheGeneratorsSequencesDecodedWithoutThePrompt() {
        List<ImageInput> images = List.of(ImageInput.of(Fixtures.path("e2e/images/photo_640x427.jpg")),
                ImageInput.of(Fixtures.path("e2e/images/gray_257x129.png")));
        List<String> prompts = List.of("a photo of", "question: what is shown? short answer:");
        GenerationConfig settings = GenerationConfig.builder().maxNewTokens(6).build();
        try (Blip2Captioner captioner = Blip2Captioner.load(dir); HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            List<Caption> batch = captioner.caption(images, prompts, settings);
            Blip2Generator generator = Blip2Generator.load(dir);
            for (int i = 0; i < 2; i++) {
                long[] text = tokenizer.encode(prompts.get(i));
                long[] ids = new long[4 + text.length];
                Arrays.fill(ids, 0, 4, 99);
                System.arraycopy(text, 0, ids, 4, text.length);
                long[] expected = generator.generate(ImageProcessor.fromModelDir(dir).process(List.of(images.get(i))),
                        Nd4j.createFromArray(new long[][] {ids}), Nd4j.ones(DataType.INT64, 1, ids.length), settings)
                        .sequences()[0];
                Caption single = captioner.caption(List.of(images.get(i)), List.of(prompts.get(i)), settings).get(0);
                assertArrayEquals(expected, single.tokens(), "image " + i);
                assertEquals(0, single.tokens()[0], "starts with decoder_start_token_id");
                assertEquals(tokenizer.decode(expected, true), single.text());
                // Right padding in the batch changes nothing (up to the trailing fill of shorter rows).
                assertArrayEquals(expected, Arrays.copyOf(batch.get(i).tokens(), expected.length), "batched " + i);
                assertEquals(single.text(), batch.get(i).text());
            }
        }
    }
}
