package org.tiaoyu.qformer.lm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;

/** Loading: bad files give one-line errors naming the file; {@code clean_up_tokenization_spaces} is honoured. */
class TokenizerLoadTest {

    @TempDir
    Path dir;

    @Test
    void missingTokenizerJson() {
        BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertOneLineNaming(dir.resolve("tokenizer.json"), e);
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void corruptTokenizerJson() throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"model\": {\n");
        BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertOneLineNaming(file, e);
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void jsonThatIsNotATokenizer() throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"),
                "{\"version\": \"1.0\", \"model\": {\"type\": \"Nonsense\", \"vocab\": {\"a\": 0}}}");
        BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertOneLineNaming(file, e);
        assertTrue(e.getMessage().startsWith(file + ": not a valid tokenizer file ("), e.getMessage());
    }

    @Test
    void garbageAndJsonWithoutAVocabularyAreNotTokenizerFiles() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        byte[] garbage = new byte[3000];
        new java.util.Random(3).nextBytes(garbage);
        Files.write(file, garbage);
        assertEquals(file + ": not a valid tokenizer file (not UTF-8 text)",
                assertThrows(BadInputException.class, () -> HfTokenizer.load(dir)).getMessage());
        Files.writeString(file, "{\"garbage\": true}");
        assertEquals(file + ": not a valid tokenizer file (it has no model.vocab)",
                assertThrows(BadInputException.class, () -> HfTokenizer.load(dir)).getMessage());
    }

    @Test
    void cleanUpTokenizationSpacesFromTheConfig() throws IOException {
        Files.copy(Fixtures.path("e2e/retrieval_model/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"clean_up_tokenization_spaces\": true, \"pad_token\": {\"content\": \"[PAD]\"}}");
        try (HfTokenizer fixture = HfTokenizer.load(Fixtures.path("e2e/retrieval_model"));
                HfTokenizer cleaning = HfTokenizer.load(dir)) {
            long[] ids = fixture.encode("don't can't it's");
            assertEquals("don ' t can ' t it ' s", fixture.decode(ids, true));
            assertEquals("don't can't it's", cleaning.decode(ids, true));
            assertEquals(List.of("don't can't it's"), cleaning.decodeBatch(new long[][] {ids}, true));
            assertEquals(0L, cleaning.specialIds().pad().orElseThrow()); // an AddedToken object names it
            assertFalse(cleaning.specialIds().cls().isPresent()); // no special_tokens_map.json here
        }
    }

    @Test
    void paddingNeedsAPadToken() throws IOException {
        Files.copy(Fixtures.path("e2e/caption_model/tokenizer.json"), dir.resolve("tokenizer.json"));
        try (HfTokenizer noConfig = HfTokenizer.load(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> noConfig.encodeBatch(List.of("a", "b c"), PaddingSide.RIGHT));
            assertTrue(e.getMessage().contains("no pad token"), e.getMessage());
        }
    }

    private static void assertOneLineNaming(Path file, BadInputException e) {
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
