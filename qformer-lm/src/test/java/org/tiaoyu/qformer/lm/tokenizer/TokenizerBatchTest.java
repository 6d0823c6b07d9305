package org.tiaoyu.qformer.lm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * Padded batches against the e2e reference: the caption processor's batch with right and left padding (its
 * columns after the 8 image tokens are the tokenizer's) and the retrieval batch; truncation as HF's
 * {@code truncation=True, max_length=n}.
 */
class TokenizerBatchTest {

    private static final int IMAGE_TOKENS = 8;

    private static JsonNode reference;
    private static HfTokenizer caption;
    private static HfTokenizer retrieval;

    @BeforeAll
    static void load() throws IOException {
        reference = new ObjectMapper().readTree(Fixtures.path("e2e/e2e_reference.json").toFile());
        caption = HfTokenizer.load(Fixtures.path("e2e/caption_model"));
        retrieval = HfTokenizer.load(Fixtures.path("e2e/retrieval_model"));
    }

    @AfterAll
    static void close() {
        caption.close();
        retrieval.close();
    }

    @Test
    void captionBatchRightPadded() {
        JsonNode batch = reference.path("caption_batched").path("default");
        EncodedBatch encoded = caption.encodeBatch(strings(batch.path("prompts")), PaddingSide.RIGHT);
        assertBatch(batch, IMAGE_TOKENS, encoded);
    }

    @Test
    void captionBatchLeftPadded() {
        JsonNode batch = reference.path("caption_batched").path("left");
        assertEquals("left", batch.path("tokenizer_padding_side").asText());
        EncodedBatch encoded = caption.encodeBatch(strings(batch.path("prompts")), PaddingSide.LEFT);
        assertBatch(batch, IMAGE_TOKENS, encoded);
    }

    @Test
    void retrievalBatch() {
        JsonNode batch = reference.path("retrieval_batched_itc");
        EncodedBatch encoded = retrieval.encodeBatch(strings(batch.path("texts")), PaddingSide.RIGHT);
        assertBatch(batch, 0, encoded);
    }

    @Test
    void asInt64Arrays() {
        EncodedBatch encoded = retrieval.encodeBatch(List.of("a photo of", "a photo of a cat"), PaddingSide.RIGHT);
        try (INDArray ids = encoded.inputIdsArray(); INDArray mask = encoded.attentionMaskArray()) {
            assertEquals(DataType.INT64, ids.dataType());
            assertEquals(DataType.INT64, mask.dataType());
            assertArrayEquals(new long[] {2, 7}, ids.shape());
            assertArrayEquals(new long[] {101, 1037, 6302, 1997, 102, 0, 0}, ids.getRow(0).toLongVector());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 0, 0}, mask.getRow(0).toLongVector());
        }
    }

    @Test
    void truncationKeepsTheSpecialTokens() {
        // "Hello, my dog is cute" is [CLS] hello , my dog is cute [SEP] and </s> Hello , Ġmy Ġdog Ġis Ġcute.
        EncodedBatch bert = retrieval.encodeBatch(List.of("Hello, my dog is cute", "a"), PaddingSide.RIGHT, 5);
        assertArrayEquals(new long[] {101, 7592, 1010, 2026, 102}, bert.inputIds()[0]);
        assertArrayEquals(new long[] {101, 1037, 102, 0, 0}, bert.inputIds()[1]);
        assertArrayEquals(new long[] {1, 1, 1, 0, 0}, bert.attentionMask()[1]);

        EncodedBatch opt = caption.encodeBatch(List.of("Hello, my dog is cute", "a"), PaddingSide.LEFT, 4);
        assertArrayEquals(new long[] {2, 15500, 15, 620}, opt.inputIds()[0]);
        assertArrayEquals(new long[] {1, 1, 2, 68}, opt.inputIds()[1]);
        assertArrayEquals(new long[] {0, 0, 1, 1}, opt.attentionMask()[1]);

        EncodedBatch onlySpecials = retrieval.encodeBatch(List.of("a photo of"), PaddingSide.RIGHT, 2);
        assertArrayEquals(new long[] {101, 102}, onlySpecials.inputIds()[0]);
        assertThrows(IllegalArgumentException.class,
                () -> retrieval.encodeBatch(List.of("a photo of"), PaddingSide.RIGHT, 1));

        EncodedBatch longEnough = retrieval.encodeBatch(List.of("a photo of"), PaddingSide.RIGHT, 512);
        assertArrayEquals(retrieval.encode("a photo of"), longEnough.inputIds()[0]);
    }

    private static void assertBatch(JsonNode expected, int skipColumns, EncodedBatch actual) {
        long[][] ids = rows(expected.path("input_ids"), skipColumns);
        long[][] mask = rows(expected.path("attention_mask"), skipColumns);
        assertEquals(ids.length, actual.size());
        for (int b = 0; b < ids.length; b++) {
            assertArrayEquals(ids[b], actual.inputIds()[b], "input_ids row " + b);
            assertArrayEquals(mask[b], actual.attentionMask()[b], "attention_mask row " + b);
        }
    }

    private static long[][] rows(JsonNode array, int skipColumns) {
        return StreamSupport.stream(array.spliterator(), false)
                .map(row -> StreamSupport.stream(row.spliterator(), false).mapToLong(JsonNode::asLong).toArray())
                .map(row -> Arrays.copyOfRange(row, skipColumns, row.length))
                .toArray(long[][]::new);
    }

    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
