package org.tiaoyu.qformer.lm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * The e2e fixture's tokenizer probes: what transformers 5.18 gives for {@code tokenizer(text)}, its tokens,
 * {@code batch_decode(..., skip_special_tokens=True)} and (OPT only) {@code skip_special_tokens=False}, on the
 * caption model's GPT-2 byte-level BPE and the retrieval model's bert-base-uncased WordPiece.
 */
class TokenizerProbesTest {

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

    @TestFactory
    List<DynamicTest> captionProbes() {
        return probes("caption_model", caption);
    }

    @TestFactory
    List<DynamicTest> retrievalProbes() {
        return probes("retrieval_model", retrieval);
    }

    private static List<DynamicTest> probes(String model, HfTokenizer tokenizer) {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode probe : reference.path(model).path("tokenizer_probes")) {
            String text = probe.path("text").asText();
            tests.add(DynamicTest.dynamicTest(model + " " + text.replace("\n", "\\n").replace("\t", "\\t"), () -> {
                long[] ids = longs(probe.path("input_ids"));
                assertArrayEquals(ids, tokenizer.encode(text), "input_ids");
                assertEquals(strings(probe.path("tokens")), tokenizer.tokens(text), "tokens");
                assertEquals(probe.path("decode_skip_special").asText(), tokenizer.decode(ids, true),
                        "decode skip_special_tokens=True");
                if (probe.has("decode_raw")) {
                    assertEquals(probe.path("decode_raw").asText(), tokenizer.decode(ids, false),
                            "decode skip_special_tokens=False");
                }
            }));
        }
        assertEquals(14, tests.size(), model + " probes");
        return tests;
    }

    @Test
    void captionSpecialIds() {
        JsonNode expected = reference.path("caption_model").path("special_ids");
        SpecialTokenIds ids = caption.specialIds();
        assertEquals(OptionalLong.of(expected.path("bos").asLong()), ids.bos());
        assertEquals(OptionalLong.of(expected.path("eos").asLong()), ids.eos());
        assertEquals(OptionalLong.of(expected.path("pad").asLong()), ids.pad());
        assertEquals(OptionalLong.of(expected.path("unk").asLong()), ids.unk());
        assertEquals(OptionalLong.empty(), ids.cls());
        assertEquals(OptionalLong.empty(), ids.sep());
        assertEquals(OptionalLong.empty(), ids.mask());
        assertEquals(OptionalLong.of(reference.path("caption_model").path("image_token_id").asLong()),
                caption.tokenId("<image>"));
        assertEquals(OptionalLong.of(50260), caption.tokenId("<image>"));
        assertEquals(OptionalLong.of(3294), caption.tokenId("Ġdog"));
        assertEquals(OptionalLong.empty(), caption.tokenId("[DEC]"));
    }

    @Test
    void retrievalSpecialIds() {
        SpecialTokenIds ids = retrieval.specialIds();
        assertEquals(new SpecialTokenIds(OptionalLong.of(30522), OptionalLong.empty(), OptionalLong.of(0),
                OptionalLong.of(100), OptionalLong.of(101), OptionalLong.of(102), OptionalLong.of(103)), ids);
        JsonNode model = reference.path("retrieval_model");
        assertEquals(OptionalLong.of(model.path("dec_token_id").asLong()), retrieval.tokenId("[DEC]"));
        assertEquals(OptionalLong.of(model.path("image_token_id").asLong()), retrieval.tokenId("<image>"));
        assertEquals(OptionalLong.of(30522), retrieval.tokenId("[DEC]"));
        assertEquals(OptionalLong.of(30523), retrieval.tokenId("<image>"));
        assertEquals(OptionalLong.of(3899), retrieval.tokenId("dog"));
    }

    private static long[] longs(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
